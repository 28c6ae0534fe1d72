//! Posters: one frame of a video (MP4/MOV, WebM/MKV) as the image that the
//! pipeline then sizes, crops, overlays and encodes. The frame is taken by
//! Debian's `ffmpeg`, run as a bounded subprocess (docs/video.md says why
//! not in-process): only the `pipe` and `file` protocols, one thread, an
//! address-space cap through `prlimit`, a pixel cap on the decoder, a
//! timeout that kills it, and nothing on its stdin but the video.
//!
//! A video whose index comes before its media (a "fast start" MP4, any
//! WebM/MKV) is streamed from storage into ffmpeg's stdin, and reading stops
//! once ffmpeg has its frame: only the bytes up to that frame are read. An
//! MP4 with its index at the end cannot be decoded from a pipe; it is copied
//! to a temporary file first (capped at `video.max_bytes`), which ffmpeg
//! seeks in.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use signet_storage::{ObjectKey, StorageError, Store};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::admin::metrics::{bump, Metrics};
use crate::http::error::Error;

/// File extensions whose files take `poster`.
pub(crate) const VIDEO_EXTENSIONS: [&str; 5] = ["mp4", "m4v", "mov", "webm", "mkv"];

/// Bytes read before typing the container; an MP4's boxes ahead of its
/// `moov` or `mdat` must fit here for it to be streamed.
const HEAD_BYTES: usize = 64 << 10;

/// ffmpeg's log is kept up to this size (it names the duration early).
const MAX_LOG_BYTES: usize = 64 << 10;

/// Frames `auto` looks at (after dark ones are dropped), and the stretch of
/// the video it looks in.
const AUTO_FRAMES: u32 = 50;
const AUTO_SECONDS: u32 = 30;

/// Whether a key names a video (by extension, case-insensitively).
pub(crate) fn is_video_key(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| VIDEO_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

/// Which frame: a time, or a representative frame that is not dark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum At {
    Auto,
    Seconds(f64),
}

impl At {
    /// From the canonical value of the `poster` option.
    pub(crate) fn parse(value: &str) -> Option<At> {
        match value {
            "auto" => Some(At::Auto),
            v => v.parse().ok().map(At::Seconds),
        }
    }
}

/// How ffmpeg is run, from `[video]` and `[limits]`.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// ffmpeg and prlimit, found on the `PATH` at start; `None` turns
    /// posters off (501).
    pub(crate) programs: Option<(PathBuf, PathBuf)>,
    pub(crate) max_bytes: u64,
    pub(crate) timeout: Duration,
    pub(crate) max_memory: u64,
    pub(crate) max_pixels: u64,
}

impl Settings {
    /// Looks `ffmpeg` (a name on the `PATH` or a path) and `prlimit` up.
    pub(crate) fn find(
        ffmpeg: &str,
        max_bytes: u64,
        timeout: Duration,
        max_memory: u64,
        max_pixels: u64,
    ) -> Settings {
        let programs = find_program(ffmpeg).zip(find_program("prlimit"));
        if programs.is_none() {
            tracing::warn!(
                ffmpeg,
                "ffmpeg or prlimit not found: video posters answer 501 (docs/video.md)"
            );
        }
        Settings {
            programs,
            max_bytes,
            timeout,
            max_memory,
            max_pixels,
        }
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Path::new(name).is_file().then(|| PathBuf::from(name));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// How the video reaches ffmpeg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    /// Streamed into stdin, as `-f mov` or `-f matroska`.
    Pipe(&'static str),
    /// Copied to a temporary file first (an MP4 indexed at its end).
    File,
}

/// Types a video by its first bytes: EBML is Matroska/WebM; ISO/QuickTime
/// boxes are MP4/MOV, streamable when `moov` comes before `mdat`.
fn sniff(head: &[u8]) -> Result<Feed, Error> {
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Ok(Feed::Pipe("matroska"));
    }
    const FIRST: [&[u8; 4]; 7] = [
        b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot",
    ];
    let known = head
        .get(4..8)
        .is_some_and(|kind| FIRST.iter().any(|f| &f[..] == kind));
    if !known {
        return Err(Error::BadVideo(
            "not a video signet can read: MP4/MOV or WebM/MKV, by its first bytes".to_owned(),
        ));
    }
    let mut at = 0usize;
    // `at` stays below the head's length, so `at + 16` cannot overflow.
    while let Some(header) = head.get(at..).and_then(|h| h.get(..8)) {
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = &header[4..8];
        let size = match size32 {
            // To the end of the file: nothing after it.
            0 if kind == b"moov" => return Ok(Feed::Pipe("mov")),
            0 => return Ok(Feed::File),
            1 => match head.get(at + 8..at + 16) {
                Some(b) => u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
                None => return Ok(Feed::File),
            },
            n => u64::from(n),
        };
        if size < 8 {
            return Err(Error::BadVideo(
                "not a valid MP4/MOV: a box shorter than its header".to_owned(),
            ));
        }
        if kind == b"moov" {
            return Ok(Feed::Pipe("mov"));
        }
        if kind == b"mdat" {
            return Ok(Feed::File);
        }
        at = match usize::try_from(size).ok().and_then(|s| at.checked_add(s)) {
            Some(next) => next,
            None => return Ok(Feed::File),
        };
    }
    // The boxes run past the head: the file, which ffmpeg can seek in.
    Ok(Feed::File)
}

/// The frame at `at` of the video at `key`, as a BMP for the pipeline.
pub(crate) async fn extract(
    store: &dyn Store,
    key: &ObjectKey,
    at: At,
    settings: &Settings,
    metrics: &Metrics,
) -> Result<Vec<u8>, Error> {
    match frame(store, key, at, settings, metrics).await? {
        Some(bmp) => Ok(bmp),
        // Every frame `auto` looked at was dark: the first one, then.
        None if at == At::Auto => frame(store, key, At::Seconds(0.0), settings, metrics)
            .await?
            .ok_or_else(|| Error::BadVideo("the video has no frame to show".to_owned())),
        None => Err(Error::BadVideo("the video has no frame to show".to_owned())),
    }
}

/// One ffmpeg run: `None` when it found no frame to give (`auto` over dark
/// frames only).
async fn frame(
    store: &dyn Store,
    key: &ObjectKey,
    at: At,
    settings: &Settings,
    metrics: &Metrics,
) -> Result<Option<Vec<u8>>, Error> {
    let Some((ffmpeg, prlimit)) = &settings.programs else {
        return Err(Error::NoVideoDecoder);
    };
    bump(&metrics.storage_reads);
    let body = store.read(key, None).await?;
    if body.meta.size > settings.max_bytes {
        return Err(Error::SourceTooBig {
            size: body.meta.size,
            limit: settings.max_bytes,
        });
    }
    let broke_off = |e: std::io::Error| {
        Error::Storage(StorageError::Unavailable(format!(
            "reading {} broke off: {e}",
            key.as_str()
        )))
    };
    // Fused: a stream that ended during the head is not polled again.
    let mut rest = body.stream.fuse();
    let mut head = Vec::new();
    while head.len() < HEAD_BYTES {
        match rest.next().await {
            Some(chunk) => head.extend_from_slice(&chunk.map_err(broke_off)?),
            None => break,
        }
    }
    let feed = sniff(&head)?;

    let work = async {
        // The copy for a file feed lives until ffmpeg is done with it.
        let mut copy = None;
        let input = match feed {
            Feed::Pipe(_) => "pipe:0".to_owned(),
            Feed::File => {
                let tmp = tempfile::Builder::new()
                    .prefix("signet-poster-")
                    .tempfile()
                    .map_err(|e| io_failure("a temporary file for a video", &e))?;
                let mut file = tokio::fs::File::from_std(
                    tmp.as_file()
                        .try_clone()
                        .map_err(|e| io_failure("a temporary file for a video", &e))?,
                );
                let mut written = head.len() as u64;
                file.write_all(&head)
                    .await
                    .map_err(|e| io_failure("a temporary file for a video", &e))?;
                while let Some(chunk) = rest.next().await {
                    let chunk: Bytes = chunk.map_err(broke_off)?;
                    written += chunk.len() as u64;
                    if written > settings.max_bytes {
                        return Err(Error::SourceTooBig {
                            size: written,
                            limit: settings.max_bytes,
                        });
                    }
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| io_failure("a temporary file for a video", &e))?;
                }
                file.flush()
                    .await
                    .map_err(|e| io_failure("a temporary file for a video", &e))?;
                let path = tmp.path().to_string_lossy().into_owned();
                copy = Some(tmp);
                path
            }
        };
        let mut child = command(ffmpeg, prlimit, settings, feed, at, &input)
            .spawn()
            .map_err(|e| {
                tracing::error!(error = %e, "cannot start ffmpeg");
                Error::Internal
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let feeding = async {
            let (Some(mut stdin), Feed::Pipe(_)) = (stdin, feed) else {
                return Ok(());
            };
            // ffmpeg closes its end once it has the frame: stop reading then.
            if stdin.write_all(&head).await.is_err() {
                return Ok(());
            }
            while let Some(chunk) = rest.next().await {
                let chunk: Bytes = chunk.map_err(broke_off)?;
                if stdin.write_all(&chunk).await.is_err() {
                    break;
                }
            }
            Ok::<(), Error>(())
        };
        // A BMP of the largest frame the decoder may give, and its header.
        let max_out = usize::try_from(settings.max_pixels.saturating_mul(4))
            .unwrap_or(usize::MAX)
            .saturating_add(1024);
        let (fed, out, log, status) = tokio::join!(
            feeding,
            read_capped(stdout, max_out),
            read_capped(stderr, MAX_LOG_BYTES),
            child.wait()
        );
        drop(copy);
        fed?;
        let status = status.map_err(|e| {
            tracing::error!(error = %e, "waiting for ffmpeg failed");
            Error::Internal
        })?;
        Ok::<_, Error>((out, log, status))
    };
    let (out, log, status) = tokio::time::timeout(settings.timeout, work)
        .await
        .map_err(|_| Error::TransformTimeout)??;
    let log = String::from_utf8_lossy(&log.bytes);
    if !status.success() {
        let why = reason(&log, &input_names());
        tracing::debug!(%status, why, "ffmpeg refused a video");
        return Err(Error::BadVideo(match status.code() {
            Some(_) => format!("the video cannot be decoded: {why}"),
            None => {
                "the video cannot be decoded within the server's memory and time limits".to_owned()
            }
        }));
    }
    if out.overflowed {
        return Err(Error::BadVideo(
            "the video's frame is larger than limits.max_source_pixels".to_owned(),
        ));
    }
    if !out.bytes.is_empty() {
        return Ok(Some(out.bytes));
    }
    match at {
        At::Auto => Ok(None),
        At::Seconds(t) => Err(Error::BadRequest(match duration(&log) {
            Some(d) => format!("poster={t}: past the end of the video ({d} seconds long)"),
            None => format!("poster={t}: the video has no frame at that time"),
        })),
    }
}

fn io_failure(what: &str, e: &std::io::Error) -> Error {
    tracing::error!(error = %e, "{what}");
    Error::Internal
}

/// The ffmpeg command line for one frame.
fn command(
    ffmpeg: &Path,
    prlimit: &Path,
    settings: &Settings,
    feed: Feed,
    at: At,
    input: &str,
) -> Command {
    let mut cmd = Command::new(prlimit);
    cmd.arg(format!("--as={}", settings.max_memory))
        .arg(format!("--cpu={}", settings.timeout.as_secs().max(1) + 1))
        .arg("--")
        .arg(ffmpeg)
        .args(["-nostdin", "-hide_banner", "-nostats", "-loglevel", "info"])
        .args(["-threads", "1", "-filter_threads", "1"])
        .args(["-protocol_whitelist", "file,pipe"])
        .args(["-max_pixels", &settings.max_pixels.to_string()]);
    let time = match at {
        At::Seconds(t) => Some(format!("{t}")),
        At::Auto => None,
    };
    match feed {
        Feed::Pipe("mov") => {
            // The index came first, so ffmpeg skips forward to the keyframe
            // before the time by reading (not decoding), then decodes to it.
            if let Some(t) = &time {
                cmd.args(["-ss", t]);
            }
            cmd.args(["-f", "mov", "-i", input]);
        }
        Feed::Pipe(format) => {
            // Matroska on a pipe cannot seek (ffmpeg gives no frame): decode
            // up to the time (an output `-ss`).
            cmd.args(["-f", format, "-i", input]);
            if let Some(t) = &time {
                cmd.args(["-ss", t]);
            }
        }
        Feed::File => {
            // Seek to the keyframe before the time, then decode to it.
            if let Some(t) = &time {
                cmd.args(["-ss", t]);
            }
            cmd.args(["-f", "mov", "-i", input]);
        }
    }
    if at == At::Auto {
        cmd.args(["-t", &AUTO_SECONDS.to_string()]).args([
            "-vf",
            &format!(
                "signalstats,metadata=select:key=lavfi.signalstats.YAVG:value=40:\
                 function=greater,thumbnail=n={AUTO_FRAMES}"
            ),
        ]);
    }
    cmd.args(["-map", "0:v:0", "-frames:v", "1", "-an", "-sn", "-dn"])
        .args(["-f", "image2pipe", "-c:v", "bmp", "pipe:1"])
        .stdin(match feed {
            Feed::Pipe(_) => Stdio::piped(),
            Feed::File => Stdio::null(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_clear()
        .kill_on_drop(true);
    cmd
}

/// What came out of a pipe, up to a cap (the rest is read and dropped so
/// ffmpeg never blocks on a full pipe).
struct Captured {
    bytes: Vec<u8>,
    overflowed: bool,
}

async fn read_capped(pipe: Option<impl AsyncRead + Unpin>, cap: usize) -> Captured {
    let mut got = Captured {
        bytes: Vec::new(),
        overflowed: false,
    };
    let Some(mut pipe) = pipe else {
        return got;
    };
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => {
                let room = cap.saturating_sub(got.bytes.len());
                got.bytes.extend_from_slice(&buf[..n.min(room)]);
                got.overflowed |= n > room;
            }
        }
    }
}

/// Names ffmpeg gives the input in its log, hidden from clients.
fn input_names() -> [&'static str; 2] {
    ["pipe:0", "signet-poster-"]
}

/// The last line of ffmpeg's log that says what went wrong, without
/// addresses or file names.
fn reason(log: &str, hidden: &[&str]) -> String {
    let line = log
        .lines()
        .rev()
        .find(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("invalid") || l.contains("error") || l.contains("could not")
        })
        .unwrap_or("no frame decoded");
    // `[h264 @ 0x55…] what`: keep the codec, drop the address.
    let mut text = String::new();
    let mut rest = line.trim();
    while let Some(open) = rest.strip_prefix('[') {
        let Some(close) = open.find(']') else { break };
        let tag = open[..close].split(" @ ").next().unwrap_or("");
        if !tag.is_empty() && tag != "IMGUTILS" {
            text = format!("{tag}: ");
        }
        rest = open[close + 1..].trim_start();
    }
    let rest = match hidden.iter().any(|h| rest.contains(h)) {
        true => rest.rsplit(": ").next().unwrap_or(rest),
        false => rest,
    };
    text.push_str(rest);
    text.chars().take(200).collect()
}

/// `Duration: 00:01:02.50` from ffmpeg's log, in seconds.
fn duration(log: &str) -> Option<f64> {
    let at = log.find("Duration: ")?;
    let hms = log[at + 10..].split(',').next()?;
    let mut parts = hms.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    let total =
        h.parse::<f64>().ok()? * 3600.0 + m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?;
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], len: u32) -> Vec<u8> {
        let mut b = len.to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.resize(len as usize, 0);
        b
    }

    #[test]
    fn mp4s_stream_when_the_index_comes_first() {
        let fast = [boxed(b"ftyp", 24), boxed(b"moov", 100), boxed(b"mdat", 16)].concat();
        assert_eq!(sniff(&fast).unwrap(), Feed::Pipe("mov"));
        let late = [boxed(b"ftyp", 24), boxed(b"mdat", 100), boxed(b"moov", 16)].concat();
        assert_eq!(sniff(&late).unwrap(), Feed::File);
        // A box that runs past what was read: the file, which can seek.
        let long = [boxed(b"ftyp", 24), 1_000_000u32.to_be_bytes().to_vec()].concat();
        assert_eq!(
            sniff(&[long, b"free".to_vec()].concat()).unwrap(),
            Feed::File
        );
        assert_eq!(
            sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F]).unwrap(),
            Feed::Pipe("matroska")
        );
    }

    #[test]
    fn lying_boxes_are_refused_not_looped_on() {
        let zero = [
            boxed(b"ftyp", 24),
            4u32.to_be_bytes().to_vec(),
            b"free".to_vec(),
        ]
        .concat();
        assert!(matches!(sniff(&zero), Err(Error::BadVideo(_))));
        let short_index = [
            boxed(b"ftyp", 24),
            4u32.to_be_bytes().to_vec(),
            b"moov".to_vec(),
        ]
        .concat();
        assert!(matches!(sniff(&short_index), Err(Error::BadVideo(_))));
        // A 64-bit size that overflows the offset.
        let mut huge = boxed(b"ftyp", 24);
        huge.extend_from_slice(&1u32.to_be_bytes());
        huge.extend_from_slice(b"free");
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(sniff(&huge).unwrap(), Feed::File);
        assert!(matches!(sniff(b"GIF89a...."), Err(Error::BadVideo(_))));
        assert!(matches!(sniff(b""), Err(Error::BadVideo(_))));
    }

    #[test]
    fn ffmpeg_reasons_lose_addresses_and_paths() {
        let log = "Input #0...\n[png @ 0x5589] [IMGUTILS @ 0x7ffd] Picture size 100000x100000 is invalid\n";
        assert_eq!(
            reason(log, &input_names()),
            "png: Picture size 100000x100000 is invalid"
        );
        let log = "/tmp/signet-poster-Ab12: Invalid data found when processing input\n";
        assert_eq!(
            reason(log, &input_names()),
            "Invalid data found when processing input"
        );
        assert_eq!(
            duration("  Duration: 00:01:02.50, start: 0.000000"),
            Some(62.5)
        );
        assert_eq!(duration("Duration: N/A, bitrate"), None);
    }

    #[test]
    fn videos_are_named_by_extension() {
        assert!(is_video_key("a/b/clip.MP4"));
        assert!(is_video_key("clip.webm"));
        assert!(!is_video_key("clip.m3u8"));
        assert!(!is_video_key("mp4"));
        assert_eq!(At::parse("auto"), Some(At::Auto));
        assert_eq!(At::parse("3.5"), Some(At::Seconds(3.5)));
    }
}

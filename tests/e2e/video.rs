//! Protected video the JW Player way: an HLS stream made by Debian's ffmpeg
//! at test time (a master playlist, a TS variant and an fMP4 variant) under
//! a protected folder. One signed playlist URL must play the whole stream
//! in real clients (ffprobe, ffmpeg), while every segment needs its own
//! token. DASH too: ffmpeg's `SegmentTemplate` and `SegmentList` streams,
//! the template signed for its folder by a JWT.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::harness::{config, now, Media, Resp, Server};
use crate::tokens::{claims, hs256, md5_sig};

const SECONDS: u32 = 4;

/// Makes `private/stream/` with `master.m3u8`, `ts/index.m3u8` and
/// `fmp4/index.m3u8` (with `EXT-X-MAP`), one-second segments.
fn make_stream(root: &Path) {
    let dir = root.join("private/stream");
    for variant in ["ts", "fmp4"] {
        std::fs::create_dir_all(dir.join(variant)).unwrap();
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-v", "error", "-y", "-f", "lavfi", "-i"])
            .arg(format!("testsrc=duration={SECONDS}:size=160x120:rate=10"))
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                "10",
                "-f",
                "hls",
            ])
            .args(["-hls_time", "1", "-hls_playlist_type", "vod"]);
        if variant == "fmp4" {
            cmd.args([
                "-hls_segment_type",
                "fmp4",
                "-hls_fmp4_init_filename",
                "init.mp4",
            ]);
            cmd.arg("-hls_segment_filename")
                .arg(dir.join("fmp4/seg%03d.m4s"));
        } else {
            cmd.arg("-hls_segment_filename")
                .arg(dir.join("ts/seg%03d.ts"));
        }
        let status = cmd
            .arg(dir.join(variant).join("index.m3u8"))
            .status()
            .unwrap();
        assert!(status.success(), "ffmpeg made the {variant} variant");
    }
    std::fs::write(
        dir.join("master.m3u8"),
        "#EXTM3U\n#EXT-X-VERSION:7\n\
         #EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=160x120\nts/index.m3u8\n\
         #EXT-X-STREAM-INF:BANDWIDTH=210000,RESOLUTION=160x120\nfmp4/index.m3u8\n",
    )
    .unwrap();
}

fn ffmpeg_ready() -> bool {
    let ready = ["ffmpeg", "ffprobe"].iter().all(|t| {
        Command::new(t)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    signet_testkit::require_peer("Debian's ffmpeg and ffprobe", ready, "run `make test-deps`")
}

/// Plays `url` with ffmpeg to the end and returns how many frames of its
/// first video stream were decoded (one `framecrc` line each).
fn frames_played(url: &str) -> usize {
    let out = Command::new("ffmpeg")
        .args([
            "-v", "error", "-i", url, "-map", "0:v:0", "-f", "framecrc", "-",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .count()
}

/// The URIs a playlist names (URI lines and `URI="…"` attributes).
fn uris(playlist: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in playlist.lines() {
        if line.starts_with("#EXT") {
            let mut rest = line;
            while let Some(at) = rest.find("URI=\"") {
                let value = &rest[at + 5..];
                let end = value.find('"').unwrap();
                out.push(value[..end].to_owned());
                rest = &value[end..];
            }
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            out.push(line.trim().to_owned());
        }
    }
    out
}

/// Every file the stream reaches from `master` (a signed target), fetched
/// as a client resolves them; returns (path, response) pairs.
fn walk(s: &Server, master: &str) -> Vec<(String, Resp)> {
    let mut seen = Vec::new();
    let mut queue = vec![master.to_owned()];
    while let Some(target) = queue.pop() {
        let r = s.get(&target);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        let path = target.split('?').next().unwrap().to_owned();
        if path.ends_with(".m3u8") {
            assert_eq!(
                r.header("content-type"),
                Some("application/vnd.apple.mpegurl")
            );
            let folder = &path[..path.rfind('/').unwrap() + 1];
            for uri in uris(&r.text()) {
                assert!(
                    uri.contains("jwt=") || (uri.contains("exp=") && uri.contains("sig=")),
                    "{path} names {uri} without a token"
                );
                queue.push(format!("{folder}{uri}"));
            }
        }
        seen.push((path, r));
    }
    seen
}

fn md5_target(path: &str, exp: i64) -> String {
    format!(
        "{path}?exp={exp}&sig={}",
        md5_sig(&path[1..], exp, "jwsecret")
    )
}

fn jwt_target(path: &str, exp_in: i64) -> String {
    let mut c = claims(json!(path), now());
    c["exp"] = json!(now() + exp_in);
    format!("{path}?jwt={}", hs256(c, "topsecret"))
}

#[test]
fn one_signed_playlist_url_plays_the_whole_stream_and_each_token_opens_one_file() {
    if !ffmpeg_ready() {
        return;
    }
    let media = Media::new();
    make_stream(&media.root());
    let s = Server::start(&config(&media.root(), ""));
    let master = "/private/stream/master.m3u8";

    for (scheme, signed) in [
        ("md5", md5_target(master, now() + 600)),
        ("jwt", jwt_target(master, 600)),
    ] {
        let files = walk(&s, &signed);
        let segments: Vec<&(String, Resp)> = files
            .iter()
            .filter(|(p, _)| !p.ends_with(".m3u8"))
            .collect();
        // 2 variants × 4 one-second segments, plus the fMP4 init segment.
        assert!(
            segments.len() > 2 * SECONDS as usize,
            "{scheme}: {} files",
            segments.len()
        );
        assert!(
            files.iter().any(|(p, _)| p.ends_with("init.mp4")),
            "{scheme}: EXT-X-MAP"
        );
        for (path, r) in &segments {
            let want = if path.ends_with(".ts") {
                "video/mp2t"
            } else if path.ends_with(".m4s") {
                "video/iso.segment"
            } else {
                "video/mp4"
            };
            assert_eq!(r.header("content-type"), Some(want), "{path}");
            let bare = s.get(path);
            assert_eq!(
                (bare.status, bare.auth()),
                (403, Some("missing token")),
                "{path}"
            );
        }
        // A real HLS client plays the signed URL to the end.
        let url = format!("http://{}{signed}", s.media);
        let probe = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "format=duration",
                "-of",
                "csv=p=0",
            ])
            .arg(&url)
            .output()
            .unwrap();
        assert!(
            probe.status.success(),
            "{scheme}: {}",
            String::from_utf8_lossy(&probe.stderr)
        );
        let duration: f64 = String::from_utf8_lossy(&probe.stdout)
            .trim()
            .parse()
            .unwrap();
        assert!(
            (duration - f64::from(SECONDS)).abs() < 0.5,
            "{scheme}: {duration} s"
        );
        assert_eq!(frames_played(&url), SECONDS as usize * 10, "{scheme}");
    }
}

#[test]
fn segment_tokens_are_for_their_own_file_and_expire_with_the_playlist() {
    if !ffmpeg_ready() {
        return;
    }
    let media = Media::new();
    make_stream(&media.root());
    let s = Server::start(&config(&media.root(), ""));
    let exp = now() + 120;
    let r = s.get(&md5_target("/private/stream/ts/index.m3u8", exp));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r
        .header("cache-control")
        .unwrap()
        .starts_with("public, max-age="));
    let names = uris(&r.text());
    let (first, second) = (&names[0], &names[1]);
    // The segment tokens expire with the playlist's token.
    assert!(first.contains(&format!("exp={exp}&")), "{first}");
    // One segment's token on another segment.
    let query = first.split_once('?').unwrap().1;
    let other = second.split('?').next().unwrap();
    let r = s.get(&format!("/private/stream/ts/{other}?{query}"));
    assert_eq!((r.status, r.auth()), (403, Some("signature mismatch")));
    // An expired playlist token opens nothing.
    let r = s.get(&md5_target("/private/stream/master.m3u8", now() - 1));
    assert_eq!((r.status, r.auth()), (403, Some("expired key")));
    // A playlist on a public path is served as stored when no token comes.
    std::fs::create_dir_all(media.root().join("public/stream")).unwrap();
    std::fs::write(
        media.root().join("public/stream/a.m3u8"),
        "#EXTM3U\nseg.ts\n",
    )
    .unwrap();
    let r = s.get("/public/stream/a.m3u8");
    assert_eq!((r.status, r.text().as_str()), (200, "#EXTM3U\nseg.ts\n"));
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.apple.mpegurl")
    );
}

#[test]
fn playlists_signet_will_not_sign_are_a_clear_422() {
    let media = Media::new();
    let dir = media.root().join("private/bad");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "data.m3u8",
            "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"data:,k\"\nseg.ts\n",
            "data:",
        ),
        ("dots.m3u8", "#EXTM3U\n../../public/notes.txt\n", ". or .."),
        ("file.m3u8", "#EXTM3U\nfile:///etc/passwd\n", "file:"),
        ("text.m3u8", "hello\n", "#EXTM3U"),
    ];
    for (name, body, _) in &cases {
        std::fs::write(dir.join(name), body).unwrap();
    }
    std::fs::write(
        dir.join("huge.m3u8"),
        format!("#EXTM3U\n{}\n", "a".repeat(20_000)),
    )
    .unwrap();
    let s = Server::start(&config(&media.root(), ""));
    for (name, _, says) in cases.iter().chain([&("huge.m3u8", "", "longer than")]) {
        let r = s.get(&md5_target(&format!("/private/bad/{name}"), now() + 60));
        assert_eq!(r.status, 422, "{name}: {}", r.text());
        assert!(r.text().contains(says), "{name}: {}", r.text());
    }
}

/// The issue's hostile playlists: each answers within a second, a clear
/// 422 or a playlist whose tricks are left unsigned, and nothing a
/// playlist names is ever fetched (a listener on loopback sees no
/// connection).
#[test]
fn hostile_playlists_answer_fast_and_nothing_they_name_is_fetched() {
    let media = Media::new();
    let dir = media.root().join("private/hostile");
    std::fs::create_dir_all(&dir).unwrap();
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let port = trap.local_addr().unwrap().port();
    let refused = [
        // 10⁶ lines: 5 MB, over the 4 MiB rewrite limit, refused unread.
        (
            "million.m3u8",
            format!("#EXTM3U\n{}", "s.ts\n".repeat(1_000_000)),
            "bytes",
        ),
        // 100 001 URIs within the byte limit.
        (
            "many.m3u8",
            format!("#EXTM3U\n{}", "s.ts\n".repeat(100_001)),
            "more than",
        ),
        (
            "mib-line.m3u8",
            format!("#EXTM3U\n{}.ts\n", "a".repeat(1 << 20)),
            "longer than",
        ),
        (
            "encoded-dots.m3u8",
            "#EXTM3U\n%2e%2e/%2E%2E/public/notes.txt\n".into(),
            "",
        ),
        (
            "other-host.m3u8",
            format!("#EXTM3U\n//127.0.0.1:{port}/x.ts\n"),
            "",
        ),
        (
            "file.m3u8",
            "#EXTM3U\n#EXT-X-MAP:URI=\"file:///etc/passwd\"\n".into(),
            "file:",
        ),
        (
            "unclosed.m3u8",
            "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k.key\n".into(),
            "not closed",
        ),
    ];
    let served = [
        // An absolute URL is the author's: left as written, never fetched.
        (
            "loopback.m3u8",
            format!("#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:{port}/steal.ts\n"),
        ),
        // A master naming itself loops a client, not signet: one rewrite.
        (
            "loop.m3u8",
            "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nloop.m3u8\n".into(),
        ),
    ];
    for (name, body, _) in &refused {
        std::fs::write(dir.join(name), body).unwrap();
    }
    for (name, body) in &served {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let s = Server::start(&config(&media.root(), ""));
    for (name, _, says) in &refused {
        let started = std::time::Instant::now();
        let r = s.get(&md5_target(&format!("/private/hostile/{name}"), now() + 60));
        assert_eq!(r.status, 422, "{name}: {}", r.text());
        assert!(r.text().contains(says), "{name}: {}", r.text());
        assert!(
            started.elapsed().as_secs() < 1,
            "{name}: {:?}",
            started.elapsed()
        );
    }
    let r = s.get(&md5_target("/private/hostile/loopback.m3u8", now() + 60));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        uris(&r.text()),
        [format!("http://127.0.0.1:{port}/steal.ts")]
    );
    let r = s.get(&jwt_target("/private/hostile/loop.m3u8", 60));
    assert_eq!(r.status, 200, "{}", r.text());
    let uri = &uris(&r.text())[0];
    assert!(uri.starts_with("loop.m3u8?jwt="), "{uri}");
    assert_eq!(s.get(&format!("/private/hostile/{uri}")).status, 200);
    assert!(
        matches!(trap.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "signet connected to a URI named in a playlist"
    );
}

/// Two DASH streams by ffmpeg's muxer: `SegmentTemplate` (`dash/`) and
/// `SegmentList` (`dash-list/`), 4 one-second segments each.
fn make_dash(root: &Path) {
    for (folder, template) in [("dash", "1"), ("dash-list", "0")] {
        let dir = root.join("private").join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
            .arg(format!("testsrc=duration={SECONDS}:size=160x120:rate=10"))
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                "10",
                "-f",
                "dash",
            ])
            .args([
                "-seg_duration",
                "1",
                "-use_timeline",
                "0",
                "-use_template",
                template,
            ])
            .arg(dir.join("manifest.mpd"))
            .status()
            .unwrap();
        assert!(status.success(), "ffmpeg made {folder}");
    }
}

/// The `attr="…"` values of a manifest, XML-unescaped.
fn attribute_values(mpd: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    mpd.match_indices(&needle)
        .map(|(at, _)| {
            let value = &mpd[at + needle.len()..];
            value[..value.find('"').unwrap()].replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn a_signed_dash_manifest_plays_and_templates_are_signed_for_their_folder() {
    if !ffmpeg_ready() {
        return;
    }
    let media = Media::new();
    make_dash(&media.root());
    let s = Server::start(&config(&media.root(), ""));

    // SegmentTemplate: a JWT for the folder the segments are in.
    let master = jwt_target("/private/dash/manifest.mpd", 300);
    let r = s.get(&master);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/dash+xml"));
    let mpd = r.text();
    let templates = attribute_values(&mpd, "media");
    assert_eq!(templates.len(), 1, "{mpd}");
    let (template, query) = templates[0].split_once('?').unwrap();
    assert!(template.contains("$Number%05d$"), "{template}");
    let jwt = query.strip_prefix("jwt=").unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], json!("/private/dash/"), "{claims}");
    // The folder token opens the segments, not a neighbour's files.
    let segment = format!("/private/dash/chunk-stream0-00002.m4s?{query}");
    assert_eq!(s.get(&segment).status, 200);
    assert_eq!(s.get("/private/dash/chunk-stream0-00002.m4s").status, 403);
    assert_eq!(
        s.get(&format!("/private/dash-list/manifest.mpd?{query}"))
            .status,
        403
    );
    // A real DASH client plays the signed manifest URL to the end: every
    // frame of every segment decoded (one framecrc line each).
    let url = format!("http://{}{master}", s.media);
    assert_eq!(frames_played(&url), SECONDS as usize * 10);
    // MD5 signs one file: a template manifest opened with it is refused.
    let r = s.get(&md5_target("/private/dash/manifest.mpd", now() + 60));
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("JWT"), "{}", r.text());

    // SegmentList: every file signed for itself, MD5 as well as JWT.
    let r = s.get(&md5_target("/private/dash-list/manifest.mpd", now() + 60));
    assert_eq!(r.status, 200, "{}", r.text());
    let mpd = r.text();
    let mut files = attribute_values(&mpd, "media");
    files.extend(attribute_values(&mpd, "sourceURL"));
    assert_eq!(files.len(), 5, "{mpd}");
    for uri in &files {
        assert!(uri.contains("exp=") && uri.contains("sig="), "{uri}");
        assert_eq!(
            s.get(&format!("/private/dash-list/{uri}")).status,
            200,
            "{uri}"
        );
    }
    let url = format!(
        "http://{}{}",
        s.media,
        md5_target("/private/dash-list/manifest.mpd", now() + 60)
    );
    // ffmpeg's DASH demuxer stops early on a SegmentList (Debian's 5.1
    // plays 2 of the 4 segments from any HTTP server): the signed manifest
    // must play exactly what the same stream plays unprotected.
    let public = media.root().join("public/dash-list");
    std::fs::create_dir_all(&public).unwrap();
    for entry in std::fs::read_dir(media.root().join("private/dash-list")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), public.join(entry.file_name())).unwrap();
    }
    let unprotected = frames_played(&format!("http://{}/public/dash-list/manifest.mpd", s.media));
    assert!(unprotected > 0);
    assert_eq!(frames_played(&url), unprotected);
}

/// `path_tokens = true`: `/_jwt/<token>/<path>`. A JWT for the stream's
/// folder in the path is inherited by every relative URI, so the stream
/// plays from one URL with no rewriting (for players and CDNs that drop
/// query strings); the token never reaches the access log.
#[test]
fn a_token_in_the_path_plays_the_stream_and_is_never_logged() {
    if !ffmpeg_ready() {
        return;
    }
    let media = Media::new();
    make_stream(&media.root());
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("signet.log");
    let s = Server::start_logged(&config(&media.root(), "path_tokens = true"), &log);
    let token = |aud: &str| {
        let mut c = claims(json!(aud), now());
        c["exp"] = json!(now() + 600);
        hs256(c, "topsecret")
    };
    let folder = token("/private/stream/");
    let master = format!("/_jwt/{folder}/private/stream/master.m3u8");
    let r = s.get(&master);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains("jwt="), "served as stored: {}", r.text());
    // Relative URIs resolve under the token: a segment through it loads.
    assert_eq!(
        s.get(&format!("/_jwt/{folder}/private/stream/ts/seg000.ts"))
            .status,
        200
    );
    let url = format!("http://{}{master}", s.media);
    assert_eq!(frames_played(&url), SECONDS as usize * 10);
    // The token's audience still decides: a master-only token opens no segment.
    let one = token("/private/stream/master.m3u8");
    assert_eq!(
        s.get(&format!("/_jwt/{one}/private/stream/master.m3u8"))
            .status,
        200
    );
    assert_eq!(
        s.get(&format!("/_jwt/{one}/private/stream/ts/seg000.ts"))
            .status,
        403
    );
    // Bad and doubled tokens, dot segments after the token.
    assert_eq!(
        s.get("/_jwt/not.a.token/private/stream/master.m3u8").status,
        403
    );
    let doubled = format!("/_jwt/{folder}/private/stream/master.m3u8?jwt={folder}");
    assert_eq!(s.get(&doubled).status, 400);
    assert_eq!(
        s.get(&format!(
            "/_jwt/{folder}/private/stream/../stream/master.m3u8"
        ))
        .status,
        400
    );
    drop(s);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("/_jwt/-/private/stream/master.m3u8"),
        "{logged}"
    );
    assert!(
        !logged.contains(&folder) && !logged.contains(&one),
        "a token reached the log"
    );

    // Off by default: the same URL is a path like any other (no such file).
    let s = Server::start(&config(&media.root(), ""));
    assert_eq!(s.get(&master).status, 404);
}

/// Hostile DASH manifests through the real server: each a fast 422 that
/// names the problem, nothing fetched.
#[test]
fn hostile_dash_manifests_answer_fast() {
    let media = Media::new();
    let dir = media.root().join("private/hostile-dash");
    std::fs::create_dir_all(&dir).unwrap();
    let wrap =
        |inner: &str| format!("<MPD><Period><AdaptationSet>{inner}</AdaptationSet></Period></MPD>");
    let cases = [
        ("laughs.mpd", "<!DOCTYPE MPD [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]><MPD>&b;</MPD>".to_owned(), "not a DASH manifest"),
        ("nodes.mpd", format!("<MPD>{}</MPD>", "<x/>".repeat(1_000_001)), "not a DASH manifest"),
        ("html.mpd", "<html><body/></html>".to_owned(), "not MPD"),
        ("dots.mpd", wrap(r#"<SegmentTemplate media="../../public/$Number$.m4s"/>"#), ". or .."),
        ("base-dots.mpd", wrap("<BaseURL>../</BaseURL><SegmentTemplate media=\"$Number$.m4s\"/>"), "no folder"),
        ("file.mpd", wrap(r#"<SegmentList><SegmentURL media="file:///etc/passwd"/></SegmentList>"#), "file:"),
        ("host.mpd", wrap(r#"<SegmentList><SegmentURL media="//127.0.0.1/x.m4s"/></SegmentList>"#), "no file"),
        ("truncated.mpd", "<MPD><Period><AdaptationSet>".to_owned(), "not a DASH manifest"),
    ];
    for (name, body, _) in &cases {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let s = Server::start(&config(&media.root(), ""));
    for (name, _, says) in &cases {
        let started = std::time::Instant::now();
        let r = s.get(&jwt_target(&format!("/private/hostile-dash/{name}"), 60));
        assert_eq!(r.status, 422, "{name}: {}", r.text());
        assert!(r.text().contains(says), "{name}: {}", r.text());
        assert!(
            started.elapsed().as_secs() < 1,
            "{name}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn signed_streams_play_to_the_end_in_chromium_with_hls_js_and_dash_js() {
    if !ffmpeg_ready() || !crate::browser::browser_ready() {
        return;
    }
    let media = Media::new();
    make_stream(&media.root());
    make_dash(&media.root());
    let s = Server::start(&config(&media.root(), ""));
    let master = "/private/stream/master.m3u8";
    for (player, target) in [
        ("hls", md5_target(master, now() + 600)),
        ("hls", jwt_target(master, 600)),
        ("dash", jwt_target("/private/dash/manifest.mpd", 600)),
    ] {
        let spec =
            json!({"origin": format!("http://{}", s.media), "url": target, "player": player});
        let out = crate::browser::run_script("player.mjs", &spec);
        assert_eq!(out["errors"], json!([]), "{player} {target}: {out}");
        assert_eq!(out["ended"], json!(true), "{player}: {out}");
        let duration = out["duration"].as_f64().unwrap();
        assert!(
            (duration - f64::from(SECONDS)).abs() < 0.5,
            "{player}: {duration} s"
        );
        assert!(
            out["currentTime"].as_f64().unwrap() >= duration - 0.2,
            "{out}"
        );
        let fetched: Vec<(&str, u64)> = out["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["url"].as_str().unwrap(), r["status"].as_u64().unwrap()))
            .filter(|(url, _)| !url.contains("/__player.html"))
            .collect();
        let media_files = fetched
            .iter()
            .filter(|(url, _)| url.contains(".ts?") || url.contains(".m4s?"))
            .count();
        assert!(media_files >= SECONDS as usize, "{player}: {fetched:?}");
        for (url, status) in &fetched {
            assert!(
                matches!(status, 200 | 206),
                "{player}: {url} answered {status}"
            );
            assert!(
                url.contains("jwt=") || url.contains("sig="),
                "{player} fetched {url} without a token"
            );
        }
    }
}

//! Starts the real `signet` binary on loopback ports and talks raw HTTP/1.1 to
//! it, so tests control every byte of the request (paths clients would clean up).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use signet_storage::testing::S3Server;
use signet_storage::{ByteStream, ObjectKey, S3Store, Store};

pub const BIN: &str = env!("CARGO_BIN_EXE_signet");

/// A running signet; killed on drop.
pub struct Server {
    child: Child,
    pub media: String,
    pub admin: String,
    _config_dir: tempfile::TempDir,
}

impl Server {
    /// The server's process id (for `/proc/<pid>/…`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `signet serve` with this TOML config (listeners on port 0).
    pub fn start(config: &str) -> Server {
        let (mut cmd, dir) = Server::serve_command(config);
        cmd.env("RUST_LOG", "warn");
        Server::spawn(cmd, dir)
    }

    /// Like [`Server::start`], with extra environment variables.
    pub fn start_with_env(config: &str, env: &[(&str, &Path)]) -> Server {
        let (mut cmd, dir) = Server::serve_command(config);
        cmd.env("RUST_LOG", "warn");
        for (name, value) in env {
            cmd.env(name, value);
        }
        Server::spawn(cmd, dir)
    }

    /// Like [`Server::start`], with the log (stderr) written to `log` and
    /// `RUST_LOG=info`.
    pub fn start_logged(config: &str, log: &Path) -> Server {
        let (mut cmd, dir) = Server::serve_command(config);
        cmd.env("RUST_LOG", "info")
            .stderr(std::fs::File::create(log).unwrap());
        Server::spawn_with(cmd, dir)
    }

    /// `signet serve --config <file>` over `config` with port-0 listeners.
    fn serve_command(config: &str) -> (Command, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("signet.toml");
        let full = format!("listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n{config}");
        std::fs::write(&file, full).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("serve").arg("--config").arg(&file);
        (cmd, dir)
    }

    /// Starts a prepared command and waits for its "listening" line.
    pub fn spawn(mut cmd: Command, dir: tempfile::TempDir) -> Server {
        cmd.stderr(Stdio::null());
        Server::spawn_with(cmd, dir)
    }

    fn spawn_with(mut cmd: Command, dir: tempfile::TempDir) -> Server {
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("signet starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        let (media, admin) = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("signet exited before listening; stdout: {seen:?}");
            };
            if let Some(rest) = line.strip_prefix("signet listening: ") {
                let field = |name: &str| {
                    rest.split(' ')
                        .find_map(|kv| kv.strip_prefix(name))
                        .unwrap()
                        .trim_start_matches("http://")
                        .to_owned()
                };
                break (field("media="), field("admin="));
            }
            seen.push(line);
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            media,
            admin,
            _config_dir: dir,
        }
    }

    pub fn get(&self, target: &str) -> Resp {
        request(&self.media, "GET", target, &[])
    }

    pub fn send(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
        request(&self.media, method, target, headers)
    }

    pub fn admin_get(&self, target: &str) -> Resp {
        request(&self.admin, "GET", target, &[])
    }

    /// A counter or gauge from `/metrics`, by its full series name (with
    /// labels, e.g. `signet_cache_hits_total`).
    pub fn metric(&self, name: &str) -> u64 {
        let text = self.admin_get("/metrics").text();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
    }

    /// Sends SIGTERM now; the returned handle waits for the exit status.
    pub fn terminate_async(self) -> Terminating {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        Terminating(self)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server that was sent SIGTERM.
pub struct Terminating(Server);

impl Terminating {
    pub fn wait(mut self) -> std::process::ExitStatus {
        for _ in 0..600 {
            if let Some(s) = self.0.child.try_wait().unwrap() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("signet did not exit within 30 s of SIGTERM");
    }
}

/// Polls `done` every 20 ms until it holds; fails the test, saying `what`
/// was awaited, once `limit` has passed. Tests wait on conditions, never on
/// fixed sleeps that a slow machine outlasts.
pub fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited {limit:?} for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A parsed response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn auth(&self) -> Option<&str> {
        self.header("x-auth-result")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on a fresh connection; `target` is sent byte for byte.
pub fn request(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
    request_with_body(addr, method, target, headers, &[])
}

/// Like [`request`], then `body` as is (the caller sets its framing headers).
pub fn request_with_body(
    addr: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    // The server may answer and close before reading an oversized head.
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if raw.is_empty() => panic!("no response: {e}"),
            Err(_) => break,
        }
    }
    parse(&raw, method == "HEAD")
}

/// Parses a whole response with `httparse` (the one parser of the suite);
/// a chunked body is de-chunked unless the request was a HEAD.
pub fn parse(raw: &[u8], head: bool) -> Resp {
    let (status, headers, head_len) = parse_head(raw).expect("a complete response head");
    let mut body = raw[head_len..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if chunked && !head {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

/// Header fields, names lower-cased, in order.
pub type Fields = Vec<(String, String)>;

/// The status, the headers and the length of a response head, or `None`
/// while `raw` holds no complete head.
pub fn parse_head(raw: &[u8]) -> Option<(u16, Fields, usize)> {
    let mut fields = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut fields);
    let httparse::Status::Complete(len) = response.parse(raw).expect("a valid response head")
    else {
        return None;
    };
    let headers = response
        .headers
        .iter()
        .map(|h| {
            let value = String::from_utf8_lossy(h.value).trim().to_owned();
            (h.name.to_ascii_lowercase(), value)
        })
        .collect();
    Some((response.code?, headers, len))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let httparse::Status::Complete((start, size)) =
            httparse::parse_chunk_size(data).expect("a valid chunk size")
        else {
            panic!("a truncated chunked body");
        };
        let size = usize::try_from(size).unwrap();
        data = &data[start..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// A media folder with public, protected and tricky files, plus a secret file
/// outside it reachable only through a symlink.
pub struct Media {
    pub dir: tempfile::TempDir,
    /// Holds the file the symlinks point at; kept alive with the media.
    _outside: tempfile::TempDir,
}

pub const BIG_LEN: usize = 3 * 1024 * 1024 + 17;

pub fn big_bytes() -> Vec<u8> {
    (0..BIG_LEN).map(|i| (i * 31 % 251) as u8).collect()
}

impl Media {
    pub fn new() -> Media {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let files: &[(&str, &[u8])] = &[
            ("public/a.jpg", b"public jpeg bytes"),
            ("public/notes.txt", b"0123456789abcdefghij"),
            (
                "public/badge.svg",
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            ),
            ("private/a.jpg", b"private jpeg bytes"),
            ("private/a.jpg.bak", b"backup"),
            ("private/sub/b.jpg", b"nested"),
            ("private/t1/c.jpg", b"prefix"),
            ("private/with space.jpg", b"spaced"),
            ("private/team/x.jpg", b"team"),
            ("private/doc.txt", b"private text"),
            ("jwt-only/a.jpg", b"jwt only"),
            ("md5-only/v.mp4", b"md5 only video"),
            ("empty.bin", b""),
        ];
        for (name, bytes) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        std::fs::write(dir.path().join("public/big.bin"), big_bytes()).unwrap();
        std::fs::write(outside.path().join("secret.txt"), b"TOP-SECRET-OUTSIDE").unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            dir.path().join("public/link-out.txt"),
        )
        .unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("public/dir-out")).unwrap();
        Media {
            dir,
            _outside: outside,
        }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

pub const LONG_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// The standard test config over `root`. `extra` goes first (top-level keys
/// and whole tables); a `[cache]` table in it is merged into the harness's.
pub fn config(root: &Path, extra: &str) -> String {
    config_with(&format!("root = \"{}\"", root.display()), extra)
}

/// The standard test config over the bucket `media` of a test S3 server.
pub fn s3_config(s3: &S3Server, extra: &str) -> String {
    let at = s3.settings("media", "");
    let storage = format!(
        "kind = \"s3\"\nbucket = \"{}\"\nprefix = \"{}\"\nendpoint = \"{}\"\n\
         access_key_id = \"{}\"\nsecret_access_key = \"{}\"\n\
         connect_timeout = \"1s\"\nattempt_timeout = \"3s\"\noperation_timeout = \"5s\"\n\
         max_attempts = 2\ninitial_backoff = \"50ms\"",
        at.bucket,
        at.prefix,
        s3.endpoint(),
        s3.access_key(),
        s3.secret_key()
    );
    config_with(&storage, extra)
}

/// Copies every regular file under `root` (symlinks are left out) into the
/// bucket `media` through the S3 API.
pub fn upload_tree(s3: &S3Server, root: &Path) {
    with_bucket(s3, |store| async move {
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let entry = entry.unwrap();
                let kind = entry.file_type().unwrap();
                if kind.is_dir() {
                    stack.push(entry.path());
                } else if kind.is_file() {
                    let rel = entry.path().strip_prefix(root).unwrap().to_owned();
                    let key = ObjectKey::new(rel.to_str().unwrap()).unwrap();
                    let bytes = Bytes::from(std::fs::read(entry.path()).unwrap());
                    let body: ByteStream = Box::pin(futures_util::stream::iter([Ok(bytes)]));
                    store.put(&key, body, None).await.unwrap();
                }
            }
        }
    });
}

/// Writes one object into the bucket `media`, with a given stored type.
pub fn put_object(s3: &S3Server, key: &str, bytes: &[u8], content_type: Option<&str>) {
    let key = ObjectKey::new(key).unwrap();
    let bytes = Bytes::copy_from_slice(bytes);
    let content_type = content_type.map(str::to_owned);
    with_bucket(s3, |store| async move {
        let body: ByteStream = Box::pin(futures_util::stream::iter([Ok(bytes)]));
        store
            .put(&key, body, content_type.as_deref())
            .await
            .unwrap();
    });
}

/// Runs `f` with a client for the bucket `media`.
fn with_bucket<F, Fut>(s3: &S3Server, f: F)
where
    F: FnOnce(S3Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = S3Store::new(s3.settings("media", "")).await.unwrap();
        f(store).await;
    });
}

fn config_with(storage: &str, extra: &str) -> String {
    let (extra, cache) = match extra.split_once("[cache]\n") {
        Some((top, cache)) => (top, cache),
        None => (extra, ""),
    };
    format!(
        r#"{extra}
[storage]
{storage}
[cache]
max_age = "1d"
{cache}
[[keys]]
id = "main"
secret = "topsecret"
[[keys]]
id = "rotated"
secret = "{LONG_SECRET}"
[[keys]]
id = "scoped"
secret = "scoped-secret"
scope = "/private/team/"
[[keys]]
id = "jw"
kind = "md5"
secret = "jwsecret"
[[protect]]
prefix = "/private/"
[[protect]]
prefix = "/jwt-only/"
accept = ["jwt"]
[[protect]]
prefix = "/md5-only/"
accept = ["md5"]
"#
    )
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Whether every one of `tools` is a command on `PATH`.
pub fn on_path(tools: &[&str]) -> bool {
    tools.iter().all(|t| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {t}"))
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Runs a test-media tool in `dir`, failing the test with its stderr.
pub fn run_tool(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

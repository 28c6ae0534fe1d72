//! A real S3 server for tests: `s3s-fs` (pinned, installed by `make test`)
//! on a loopback port over a temporary folder, with SigV4 credentials — or,
//! when `SIGNET_S3_ENDPOINT` is set (`make test-minio`), an external server
//! such as MinIO, where each test works under a prefix of its own in the
//! bucket `SIGNET_TEST_S3_BUCKET` with the `AWS_*` credentials.
//! Only built with the `testing` feature.
#![allow(clippy::expect_used, clippy::panic)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{RetryMode, S3Settings};

pub const ACCESS_KEY: &str = "signet-test-access";
pub const SECRET_KEY: &str = "signet-test-secret-key-0123456789";

/// A running `s3s-fs` (killed on drop), or an external S3 server.
pub struct S3Server {
    child: Option<Child>,
    addr: SocketAddr,
    binary: PathBuf,
    dir: tempfile::TempDir,
    external: Option<External>,
}

/// An S3 server the tests do not own (MinIO from `make test-minio`).
struct External {
    endpoint: String,
    bucket: String,
    access_key: String,
    secret_key: String,
    /// Unique per server handle, so tests never see each other's objects.
    prefix: String,
}

impl S3Server {
    /// Where `s3s-fs` is: `$SIGNET_S3S_FS`, the Makefile's tool folder
    /// (`~/.cache/signet-tools/bin`), or `PATH`.
    pub fn binary() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("SIGNET_S3S_FS") {
            return Some(PathBuf::from(p));
        }
        let home = std::env::var_os("HOME").map(PathBuf::from)?;
        let tools = home.join(".cache/signet-tools/bin/s3s-fs");
        if tools.is_file() {
            return Some(tools);
        }
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("s3s-fs"))
                .find(|p| p.is_file())
        })
    }

    /// Starts a server holding the given (empty) buckets. `None` when
    /// `s3s-fs` is not installed, unless `SIGNET_REQUIRE_PEERS` is set
    /// (as `make test` does): then a missing server fails the test.
    pub fn start(buckets: &[&str]) -> Option<S3Server> {
        if let Ok(endpoint) = std::env::var("SIGNET_S3_ENDPOINT") {
            return Some(S3Server::external(endpoint));
        }
        let binary = S3Server::binary();
        if !signet_testkit::require_peer("s3s-fs", binary.is_some(), "run `make test-deps`") {
            return None;
        }
        let binary = binary?;
        let dir = tempfile::tempdir().expect("temp dir for s3s-fs");
        for b in buckets {
            std::fs::create_dir(dir.path().join(b)).expect("bucket folder");
        }
        let addr = free_port();
        let mut server = S3Server {
            child: None,
            addr,
            binary,
            dir,
            external: None,
        };
        server.spawn();
        Some(server)
    }

    fn external(endpoint: String) -> S3Server {
        static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
        S3Server {
            child: None,
            addr: free_port(),
            binary: PathBuf::new(),
            dir: tempfile::tempdir().expect("temp dir"),
            external: Some(External {
                endpoint,
                bucket: std::env::var("SIGNET_TEST_S3_BUCKET")
                    .unwrap_or_else(|_| "signet-test".into()),
                access_key: var("AWS_ACCESS_KEY_ID"),
                secret_key: var("AWS_SECRET_ACCESS_KEY"),
                prefix: format!("run-{}-{run}-{}/", std::process::id(), unique_suffix()),
            }),
        }
    }

    /// Whether this is our own s3s-fs (which tests may stop and inspect).
    pub fn is_local(&self) -> bool {
        self.external.is_none()
    }

    pub fn access_key(&self) -> &str {
        self.external.as_ref().map_or(ACCESS_KEY, |e| &e.access_key)
    }

    pub fn secret_key(&self) -> &str {
        self.external.as_ref().map_or(SECRET_KEY, |e| &e.secret_key)
    }

    fn spawn(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--host", "127.0.0.1", "--port"])
            .arg(self.addr.port().to_string())
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(self.addr).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (to test an unreachable store). Local only.
    pub fn stop(&mut self) {
        assert!(self.is_local(), "cannot stop an external S3 server");
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and data. Local only.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    pub fn endpoint(&self) -> String {
        match &self.external {
            Some(e) => e.endpoint.clone(),
            None => format!("http://{}", self.addr),
        }
    }

    /// The folder holding the buckets (one sub-folder each); local only.
    pub fn data_dir(&self) -> Option<&Path> {
        self.is_local().then(|| self.dir.path())
    }

    /// Settings for a store on `bucket`, with short timeouts for tests. On an
    /// external server `media` is the configured bucket under this handle's
    /// own prefix; other names are used as they are (so a missing bucket
    /// stays missing).
    pub fn settings(&self, bucket: &str, prefix: &str) -> S3Settings {
        let (bucket, prefix) = match &self.external {
            Some(e) if bucket == "media" => (e.bucket.clone(), format!("{}{prefix}", e.prefix)),
            _ => (bucket.to_owned(), prefix.to_owned()),
        };
        S3Settings {
            bucket,
            prefix,
            endpoint: Some(self.endpoint()),
            access_key_id: Some(self.access_key().into()),
            secret_access_key: Some(self.secret_key().into()),
            ..S3Server::default_settings()
        }
    }

    /// Test settings with no server, bucket or credentials filled in.
    pub fn default_settings() -> S3Settings {
        S3Settings {
            bucket: String::new(),
            prefix: String::new(),
            endpoint: None,
            region: Some("us-east-1".into()),
            access_key_id: None,
            secret_access_key: None,
            force_path_style: true,
            connect_timeout: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(10),
            max_attempts: 2,
            initial_backoff: Duration::from_millis(50),
            retry_mode: RetryMode::Standard,
            part_size: crate::MIN_PART_SIZE,
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Distinguishes runs of the same process id on an external server.
fn unique_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr")
}

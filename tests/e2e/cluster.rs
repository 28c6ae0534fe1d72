//! Replicas sharing work through the result tier (`[results]`): several
//! real signet processes over one s3s-fs, media in one bucket and results
//! in another. A variant is made once for all of them, a new replica starts
//! warm, and a result object that is damaged or stands for another variant
//! is never served.

use std::path::{Path, PathBuf};
use std::time::Duration;

use signet_storage::testing::S3Server;

use crate::harness::{put_object, s3_config, wait_until, Resp, Server, BIN};

const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg"); // 1200×800
const LOGO: &[u8] = include_bytes!("../../examples/media/logo.png"); // 200×80

const RESULTS: &str = "[results]\nbucket = \"results\"\nprefix = \"\"\ntimeout = \"2s\"\n";

fn setup() -> Option<S3Server> {
    let s3 = S3Server::start(&["media", "results"])?;
    put_object(&s3, "public/photo.jpg", PHOTO, Some("image/jpeg"));
    put_object(&s3, "public/logo.png", LOGO, Some("image/png"));
    Some(s3)
}

fn replica(s3: &S3Server, results: &str) -> Server {
    Server::start(&s3_config(s3, results))
}

/// A labelled counter, 0 while the series does not exist yet.
fn counter(s: &Server, series: &str) -> u64 {
    let text = s.admin_get("/metrics").text();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

fn outcome(s: &Server, outcome: &str) -> u64 {
    counter(s, &format!("signet_results_total{{outcome=\"{outcome}\"}}"))
}

/// The result objects s3s-fs holds, by file path.
fn objects(s3: &S3Server) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![s3.data_dir().unwrap().join("results")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn stored(s: &Server, s3: &S3Server, want: usize) {
    wait_until(Duration::from_secs(10), "the result is stored", || {
        outcome(s, "stored") as usize >= want && objects(s3).len() >= want
    });
}

fn same(a: &Resp, b: &Resp) {
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(a.header("etag"), b.header("etag"));
    assert_eq!(a.header("content-type"), b.header("content-type"));
    assert_eq!(a.header("content-length"), b.header("content-length"));
    assert_eq!(a.header("cache-control"), b.header("cache-control"));
    assert!(a.body == b.body, "same bytes from every replica");
}

#[test]
fn a_variant_is_made_once_for_every_replica() {
    let Some(s3) = setup() else { return };
    let replicas: Vec<Server> = (0..3).map(|_| replica(&s3, RESULTS)).collect();
    let url = "/public/photo.jpg?w=300&format=webp";
    let first = replicas[0].get(url);
    assert_eq!(first.status, 200);
    stored(&replicas[0], &s3, 1);
    for r in &replicas[1..] {
        same(&first, &r.get(url));
        assert_eq!(outcome(r, "hit"), 1);
    }
    let transforms: u64 = replicas
        .iter()
        .map(|r| r.metric("signet_transforms_total"))
        .sum();
    assert_eq!(transforms, 1, "one transform across three replicas");
    // A replica started after the fact is warm: no transform at all.
    let late = replica(&s3, RESULTS);
    same(&first, &late.get(url));
    assert_eq!(late.metric("signet_transforms_total"), 0);
    assert!(counter(&late, "signet_results_read_bytes_total") > 0);
    // A second request on it comes from its memory cache, not the tier.
    same(&first, &late.get(url));
    assert_eq!(outcome(&late, "hit"), 1);
    // Auth runs before the tier: a protected path without a token is 403
    // whatever the tier holds.
    assert_eq!(late.get("/private/a.jpg?w=300&format=webp").status, 403);
}

#[test]
fn replicas_over_a_folder_share_a_result_folder() {
    let media = tempfile::tempdir().unwrap();
    let tier = tempfile::tempdir().unwrap();
    std::fs::create_dir(media.path().join("public")).unwrap();
    std::fs::write(media.path().join("public/photo.jpg"), PHOTO).unwrap();
    let extra = format!("[results]\nroot = \"{}\"\n", tier.path().display());
    let a = Server::start(&crate::harness::config(media.path(), &extra));
    let b = Server::start(&crate::harness::config(media.path(), &extra));
    let url = "/public/photo.jpg?w=200&format=webp";
    let first = a.get(url);
    wait_until(Duration::from_secs(10), "the result is stored", || {
        outcome(&a, "stored") == 1
    });
    same(&first, &b.get(url));
    assert_eq!(outcome(&b, "hit"), 1);
    assert_eq!(
        a.metric("signet_transforms_total") + b.metric("signet_transforms_total"),
        1
    );
}

#[test]
fn damaged_or_misplaced_result_objects_are_remade_never_served() {
    let Some(s3) = setup() else { return };
    let maker = replica(&s3, RESULTS);
    let photo = maker.get("/public/photo.jpg?w=120&format=png");
    stored(&maker, &s3, 1);
    let logo = maker.get("/public/logo.png?w=120&format=png");
    stored(&maker, &s3, 2);
    assert_ne!(photo.body, logo.body);

    // The logo's object replaced by the photo's: sound framing, wrong key.
    let [a, b] = <[PathBuf; 2]>::try_from(objects(&s3)).unwrap();
    let (photo_object, logo_object) = if contains(&a, b"public/photo.jpg") {
        (a, b)
    } else {
        (b, a)
    };
    std::fs::copy(&photo_object, &logo_object).unwrap();
    let fresh = replica(&s3, RESULTS);
    same(&logo, &fresh.get("/public/logo.png?w=120&format=png"));
    assert_eq!(outcome(&fresh, "corrupt"), 1);
    assert_eq!(fresh.metric("signet_transforms_total"), 1);

    // The photo's object cut short: dropped, made again, stored again.
    let whole = std::fs::read(&photo_object).unwrap();
    std::fs::write(&photo_object, &whole[..whole.len() / 2]).unwrap();
    let fresh = replica(&s3, RESULTS);
    same(&photo, &fresh.get("/public/photo.jpg?w=120&format=png"));
    assert_eq!(outcome(&fresh, "corrupt"), 1);
    assert_eq!(fresh.metric("signet_transforms_total"), 1);
    wait_until(Duration::from_secs(10), "the object is made again", || {
        std::fs::read(&photo_object).is_ok_and(|b| b == whole)
    });
}

#[test]
fn an_unreachable_result_store_only_costs_transforms() {
    let Some(s3) = setup() else { return };
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let s = replica(
        &s3,
        &format!("{RESULTS}endpoint = \"{endpoint}\"\n")
            .replace("timeout = \"2s\"", "timeout = \"300ms\""),
    );
    let r = s.get("/public/photo.jpg?w=200");
    assert_eq!(r.status, 200);
    assert_eq!(s.metric("signet_transforms_total"), 1);
    assert_eq!(outcome(&s, "error"), 1);
    wait_until(
        Duration::from_secs(10),
        "the failed write is counted",
        || outcome(&s, "put_failure") == 1,
    );
    assert_eq!(s.admin_get("/ready").status, 200);
}

#[test]
fn a_result_store_that_cuts_or_stalls_only_costs_transforms() {
    let Some(s3) = setup() else { return };
    let proxy = crate::faults::SlowProxy::start(s3.endpoint().trim_start_matches("http://"));
    let tier = format!("{RESULTS}endpoint = \"http://{}\"\n", proxy.addr)
        .replace("timeout = \"2s\"", "timeout = \"300ms\"");
    let maker = replica(&s3, &tier);
    let made = maker.get("/public/photo.jpg?w=1000&format=png");
    stored(&maker, &s3, 1);

    // Every response from the tier's store cut after its first chunk (the
    // variant is a PNG of about a megabyte: many chunks).
    proxy
        .cut_after
        .store(64, std::sync::atomic::Ordering::SeqCst);
    let cut = replica(&s3, &tier);
    same(&made, &cut.get("/public/photo.jpg?w=1000&format=png"));
    assert_eq!(cut.metric("signet_transforms_total"), 1);
    assert_eq!(outcome(&cut, "hit"), 0);
    assert!(outcome(&cut, "error") + outcome(&cut, "corrupt") >= 1);

    // A tier that answers too slowly: the lookup gives up at 300 ms.
    proxy
        .cut_after
        .store(0, std::sync::atomic::Ordering::SeqCst);
    proxy.set_delay(Duration::from_secs(3));
    let stalled = replica(&s3, &tier);
    let started = std::time::Instant::now();
    same(&made, &stalled.get("/public/photo.jpg?w=1000&format=png"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stalled.metric("signet_transforms_total"), 1);
    assert_eq!(outcome(&stalled, "error"), 1);
    proxy.set_delay(Duration::ZERO);
}

#[test]
fn prune_deletes_old_result_objects() {
    let Some(s3) = setup() else { return };
    let s = replica(&s3, RESULTS);
    assert_eq!(s.get("/public/photo.jpg?w=100").status, 200);
    stored(&s, &s3, 1);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("signet.toml");
    std::fs::write(&config, s3_config(&s3, RESULTS)).unwrap();
    let prune = |age: &str| {
        let out = std::process::Command::new(BIN)
            .args(["results", "prune", "--config"])
            .arg(&config)
            .args(["--older-than", age])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(prune("1h"), "deleted 0 result objects, kept 1\n");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(prune("1s"), "deleted 1 result objects, kept 0\n");
    assert!(objects(&s3).is_empty());
}

fn contains(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path)
        .unwrap()
        .windows(needle.len())
        .any(|w| w == needle)
}

/// A Debian `redis-server` on a free loopback port, killed on drop.
struct Redis {
    child: Option<std::process::Child>,
    port: u16,
    password: &'static str,
    /// With TLS: the folder holding `ca.pem`, `cert.pem` and `key.pem`.
    tls: Option<tempfile::TempDir>,
}

impl Redis {
    fn start() -> Option<Redis> {
        let found = std::process::Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok();
        if !signet_testkit::require_peer("redis-server", found, "run `make test-deps`") {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Redis {
            child: None,
            port,
            password: "cluster-secret",
            tls: None,
        };
        redis.spawn();
        Some(redis)
    }

    /// A TLS-only redis-server whose certificate a private CA signed (made
    /// here by openssl), for 127.0.0.1.
    fn start_tls() -> Option<Redis> {
        let mut redis = Redis::start()?;
        redis.stop();
        let dir = tempfile::tempdir().unwrap();
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "openssl {args:?}: {out:?}");
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "1",
            "-subj",
            "/CN=signet test CA",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(
            dir.path().join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-extfile",
            "ext.cnf",
        ]);
        redis.tls = Some(dir);
        redis.spawn();
        Some(redis)
    }

    fn spawn(&mut self) {
        let mut cmd = std::process::Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--requirepass", self.password])
            .stdout(std::process::Stdio::null());
        let port = self.port.to_string();
        match &self.tls {
            None => cmd.args(["--port", &port]),
            Some(dir) => {
                let file = |name: &str| dir.path().join(name);
                cmd.args([
                    "--port",
                    "0",
                    "--tls-port",
                    &port,
                    "--tls-auth-clients",
                    "no",
                ])
                .arg("--tls-cert-file")
                .arg(file("cert.pem"))
                .arg("--tls-key-file")
                .arg(file("key.pem"))
                .arg("--tls-ca-cert-file")
                .arg(file("ca.pem"))
            }
        };
        self.child = Some(cmd.spawn().unwrap());
        wait_until(
            Duration::from_secs(10),
            "redis-server answers",
            || match self.tls {
                None => self.command(&["PING"]).is_some_and(|r| r.contains("PONG")),
                Some(_) => std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok(),
            },
        );
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://:{}@127.0.0.1:{}/", self.password, self.port)
    }

    /// Sends one command (after AUTH) in RESP; the raw reply.
    fn command(&self, args: &[&str]) -> Option<String> {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        c.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut out = Vec::new();
        for cmd in [&["AUTH", self.password][..], args] {
            out.extend(format!("*{}\r\n", cmd.len()).bytes());
            for a in cmd {
                out.extend(format!("${}\r\n{a}\r\n", a.len()).bytes());
            }
        }
        c.write_all(&out).ok()?;
        let mut reply = String::new();
        let mut buf = [0u8; 512];
        // "+OK\r\n" for AUTH, then the command's reply.
        while reply.matches("\r\n").count() < 2 {
            let n = c.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            reply.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        Some(reply)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn cluster_config(redis: &Redis) -> String {
    format!(
        "{RESULTS}[cluster]\nredis_url = \"{}\"\n{}[cache]\nrevalidate_after = \"1h\"\n",
        redis.url(),
        crate::api::api_table("")
    )
}

fn cluster_outcome(s: &Server, outcome: &str) -> u64 {
    counter(
        s,
        &format!("signet_cluster_messages_total{{outcome=\"{outcome}\"}}"),
    )
}

fn subscribed(replicas: &[Server], at_least: u64) {
    wait_until(Duration::from_secs(10), "every replica subscribes", || {
        replicas
            .iter()
            .all(|r| cluster_outcome(r, "subscribed") >= at_least)
    });
}

#[test]
fn a_write_through_one_replica_reaches_the_others_within_a_second() {
    let Some(s3) = setup() else { return };
    let Some(redis) = Redis::start() else { return };
    let replicas: Vec<Server> = (0..3)
        .map(|_| replica(&s3, &cluster_config(&redis)))
        .collect();
    subscribed(&replicas, 1);
    let url = "/public/photo.jpg?w=100&format=png";
    let before: Vec<Resp> = replicas.iter().map(|r| r.get(url)).collect();
    let old = before[0].header("etag").unwrap().to_owned();
    for r in &before {
        assert_eq!(r.header("etag"), Some(old.as_str()));
    }
    // Without Redis, replicas 1 and 2 would trust the old version for an
    // hour (revalidate_after): only the announcement can tell them.
    let bearer = crate::api::token(&replicas[0]);
    let r = crate::api::upload(&replicas[0], &bearer, "/public/photo.jpg", LOGO);
    assert_eq!(r.status, 200, "{}", r.text());
    let written = std::time::Instant::now();
    for r in &replicas[1..] {
        wait_until(Duration::from_secs(1), "the new version is served", || {
            r.get(url).header("etag") != Some(old.as_str())
        });
        assert_eq!(r.get("/public/photo.jpg").body, LOGO);
    }
    assert!(written.elapsed() < Duration::from_secs(1));
    let fresh = replicas[1].get(url);
    same(&fresh, &replicas[2].get(url));
    same(&fresh, &replicas[0].get(url));
    assert_eq!(cluster_outcome(&replicas[0], "published"), 1);
    assert!(replicas[1..]
        .iter()
        .all(|r| cluster_outcome(r, "received") == 1));

    // Malformed messages on the channel are counted and ignored.
    for bad in ["garbage", "signet-invalidate/1 ../etc/passwd"] {
        redis
            .command(&["PUBLISH", "signet:invalidate", bad])
            .unwrap();
    }
    wait_until(Duration::from_secs(5), "malformed messages counted", || {
        replicas
            .iter()
            .all(|r| cluster_outcome(r, "malformed") == 2)
    });
    same(&fresh, &replicas[2].get(url));
}

#[test]
fn without_redis_replicas_serve_on_and_resync_when_it_returns() {
    let Some(s3) = setup() else { return };
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let replicas: Vec<Server> = (0..2)
        .map(|_| replica(&s3, &cluster_config(&redis)))
        .collect();
    subscribed(&replicas, 1);
    let url = "/public/photo.jpg?w=100&format=png";
    let old = replicas[1].get(url);
    assert_eq!(old.status, 200);

    redis.stop();
    wait_until(Duration::from_secs(10), "the outage is noticed", || {
        replicas
            .iter()
            .all(|r| cluster_outcome(r, "redis_error") >= 1)
    });
    // Hits, misses, writes and /ready all carry on.
    same(&old, &replicas[1].get(url));
    assert_eq!(replicas[1].get("/public/photo.jpg?w=50").status, 200);
    let bearer = crate::api::token(&replicas[0]);
    let r = crate::api::upload(&replicas[0], &bearer, "/public/photo.jpg", LOGO);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(replicas[0].admin_get("/ready").status, 200);
    wait_until(
        Duration::from_secs(5),
        "the lost announcement is counted",
        || cluster_outcome(&replicas[0], "publish_failure") == 1,
    );
    // The write was not announced: replica 1 still trusts the old version.
    same(&old, &replicas[1].get(url));

    // Redis is back: each replica subscribes again and, having maybe missed
    // messages, forgets the source versions it trusted.
    redis.spawn();
    subscribed(&replicas, 2);
    assert!(cluster_outcome(&replicas[1], "resync") >= 1);
    let new = replicas[1].get(url);
    assert_eq!(new.status, 200);
    assert_ne!(new.header("etag"), old.header("etag"));
}

/// Debian's nginx running the shipped `deploy/scale-out/nginx.conf`, its
/// upstreams pointed at the test's replicas instead of Docker's DNS name.
struct Nginx {
    child: std::process::Child,
    media: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(replicas: &[Server]) -> Option<Nginx> {
        let nginx = Path::new("/usr/sbin/nginx");
        if !signet_testkit::require_peer("nginx", nginx.exists(), "run `make test-deps`") {
            return None;
        }
        let port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let (media_port, admin_port) = (port(), port());
        let shipped = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/scale-out/nginx.conf"),
        )
        .unwrap();
        let media_servers: String = replicas
            .iter()
            .map(|r| format!("server {} max_fails=3 fail_timeout=5s;\n", r.media))
            .collect();
        let mut config = String::new();
        for line in shipped.lines() {
            let trimmed = line.trim();
            let replaced = match trimmed {
                t if t.starts_with("resolver ") => String::new(),
                t if t.starts_with("server signet:8080 ") => media_servers.clone(),
                t if t.starts_with("server signet:8081 ") => {
                    format!("server {} max_fails=3 fail_timeout=5s;", replicas[0].admin)
                }
                "listen 8080;" => format!("listen 127.0.0.1:{media_port};"),
                "listen 8081;" => format!("listen 127.0.0.1:{admin_port};"),
                _ => line.to_owned(),
            };
            config.push_str(&replaced);
            config.push('\n');
        }
        assert!(config.contains("hash $uri consistent;"), "{config}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, config).unwrap();
        let child = std::process::Command::new(nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&file)
            .arg("-g")
            .arg(format!(
                "daemon off; pid {0}/nginx.pid; error_log {0}/error.log;",
                dir.path().display()
            ))
            .spawn()
            .unwrap();
        let media = format!("127.0.0.1:{media_port}");
        wait_until(Duration::from_secs(10), "nginx listens", || {
            std::net::TcpStream::connect(&media).is_ok()
        });
        Some(Nginx {
            child,
            media,
            _dir: dir,
        })
    }

    fn get(&self, target: &str) -> Resp {
        crate::harness::request(&self.media, "GET", target, &[])
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, so the master takes its workers down with it.
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn variants_served(s: &Server) -> u64 {
    counter(s, "signet_requests_total{route=\"variant\",status=\"200\"}")
}

#[test]
fn nginx_sends_a_source_to_one_replica_and_around_a_dead_one() {
    let Some(s3) = setup() else { return };
    let mut replicas: Vec<Server> = (0..3).map(|_| replica(&s3, RESULTS)).collect();
    let Some(nginx) = Nginx::start(&replicas) else {
        return;
    };
    // 100 requests for one source, in 50 sizes: all on one replica.
    for i in 0..100 {
        let r = nginx.get(&format!("/public/photo.jpg?w={}", 40 + i % 50));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("cache-tag"), Some("/public/photo.jpg"));
        assert_eq!(r.header("surrogate-key"), Some("/public/photo.jpg"));
    }
    let served: Vec<u64> = replicas.iter().map(variants_served).collect();
    assert_eq!(served.iter().sum::<u64>(), 100, "{served:?}");
    let owner = served
        .iter()
        .position(|&n| n == 100)
        .expect("one replica took them all");
    let transforms: u64 = replicas
        .iter()
        .map(|r| r.metric("signet_transforms_total"))
        .sum();
    assert_eq!(transforms, 50, "each size made once");

    // The owner stops: its paths go to another replica, which finds the
    // variants in the shared tier instead of making them again.
    wait_until(Duration::from_secs(10), "every variant is stored", || {
        objects(&s3).len() == 50
    });
    drop(replicas.remove(owner));
    for i in 0..50 {
        let r = nginx.get(&format!("/public/photo.jpg?w={}", 40 + i));
        assert_eq!(r.status, 200, "request {i} after the owner stopped");
    }
    let served: Vec<u64> = replicas.iter().map(variants_served).collect();
    assert!(served.contains(&50) && served.contains(&0), "{served:?}");
    let transforms: u64 = replicas
        .iter()
        .map(|r| r.metric("signet_transforms_total"))
        .sum();
    assert_eq!(transforms, 0, "the new owner made nothing again");
}

#[test]
fn announcements_travel_over_tls_checked_against_a_private_ca() {
    let Some(s3) = setup() else { return };
    let Some(redis) = Redis::start_tls() else {
        return;
    };
    let ca = redis.tls.as_ref().unwrap().path().join("ca.pem");
    // rustls checks Redis's certificate against the system roots; a private
    // CA is added the standard way, through SSL_CERT_FILE.
    let config = s3_config(&s3, &cluster_config(&redis));
    let s = Server::start_with_env(&config, &[("SSL_CERT_FILE", &ca)]);
    subscribed(std::slice::from_ref(&s), 1);
    let bearer = crate::api::token(&s);
    let r = crate::api::upload(&s, &bearer, "/public/new.jpg", PHOTO);
    assert_eq!(r.status, 200, "{}", r.text());
    wait_until(
        Duration::from_secs(5),
        "the announcement comes back",
        || cluster_outcome(&s, "published") == 1 && cluster_outcome(&s, "received") == 1,
    );
    assert_eq!(cluster_outcome(&s, "redis_error"), 0);

    // Without the CA the certificate is refused: no subscription.
    let untrusting = replica(&s3, &cluster_config(&redis));
    wait_until(Duration::from_secs(10), "the refusal is counted", || {
        cluster_outcome(&untrusting, "redis_error") >= 1
    });
    assert_eq!(cluster_outcome(&untrusting, "subscribed"), 0);
    assert_eq!(untrusting.get("/public/photo.jpg?w=80").status, 200);
}

#[test]
fn a_write_through_one_replica_shows_in_every_replicas_search() {
    let Some(s3) = setup() else { return };
    let Some(redis) = Redis::start() else { return };
    let replicas: Vec<Server> = (0..2)
        .map(|_| replica(&s3, &cluster_config(&redis)))
        .collect();
    subscribed(&replicas, 1);
    let (a, b) = (&replicas[0], &replicas[1]);
    let (ta, tb) = (crate::api::token(a), crate::api::token(b));
    let search = |q: &str| {
        let r = crate::api::post_json(
            b,
            "/v2/files/search",
            Some(&tb),
            &serde_json::json!({"query": q}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        crate::api::json_of(&r)["total"].as_u64().unwrap()
    };
    // Replica B builds its index before the write.
    assert_eq!(search("basename:shared.png"), 0);
    let r = crate::api::upload(a, &ta, "/public/shared.png", LOGO);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = crate::api::post_json(
        a,
        "/v2/files/meta?filename=%2Fpublic%2Fshared.png",
        Some(&ta),
        &serde_json::json!({"title": "Harbour lights"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    wait_until(
        Duration::from_secs(1),
        "B's index has the file and its title",
        || search("basename:shared.png AND title:harbour") == 1,
    );
}

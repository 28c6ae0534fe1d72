//! Config layering and error messages.

use std::collections::BTreeMap;
use std::path::Path;

use secrecy::ExposeSecret;
use signet_auth::KeyKind;

use super::units::bytesize;
use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn load_text(text: &str) -> Result<Config, ConfigError> {
    let c = Config::from_toml("test.toml", text)?;
    c.validate("test.toml", &no_env)?;
    Ok(c)
}

#[test]
fn defaults_match_the_spec() {
    let c = Config::load(None, &no_env, &Overrides::default()).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.admin_listen.to_string(), "127.0.0.1:8081");
    assert_eq!(c.storage.kind, StorageKind::Fs);
    assert_eq!(c.default_format, DefaultFormat::Original);
    assert_eq!(c.storage.root, PathBuf::from("./media"));
    assert_eq!(c.ignore_params, vec!["v"]);
    assert_eq!(c.cache.max_bytes, 512 << 20);
    assert_eq!(c.cache.max_age, Duration::from_secs(365 * 86_400));
    assert_eq!(c.limits.max_output_pixels, 40_000_000);
    assert!(c.keys.is_empty() && c.protect.is_empty());
}

#[test]
fn full_example_parses() {
    let c = load_text(
        r#"
listen = "127.0.0.1:9000"
jwt_leeway = "5s"
[storage]
root = "/srv/media"
[cache]
max_bytes = "1GiB"
revalidate_after = 30
[[keys]]
id = "main"
secret = "dG9wc2VjcmV0"
secret_base64 = true
[[keys]]
id = "jw"
kind = "md5"
secret = "s"
scope = "/videos/"
[[protect]]
prefix = "/private/"
accept = ["jwt"]
"#,
    )
    .unwrap();
    assert_eq!(c.jwt_leeway, Duration::from_secs(5));
    assert_eq!(c.cache.max_bytes, 1 << 30);
    assert_eq!(c.cache.revalidate_after, Duration::from_secs(30));
    let ring = c.key_ring(&no_env).unwrap();
    assert_eq!(ring.keys().len(), 2);
    assert_eq!(ring.keys()[1].scope(), "/videos/");
}

#[test]
fn errors_name_file_key_and_reason() {
    let cases: &[(&str, &str)] = &[
        (
            "lisen = \"x\"",
            "test.toml: lisen: line 1: unknown field `lisen`",
        ),
        ("listen = 5", "test.toml: listen: line 1: invalid type"),
        (
            "listen = \"nowhere\"",
            "test.toml: listen: line 1: `nowhere` is not an address like 127.0.0.1:8080",
        ),
        (
            "[cache]\nmax_bytes = \"lots\"",
            "test.toml: cache.max_bytes: line 2: `lots` is not a size",
        ),
        (
            "jwt_leeway = \"soon\"",
            "test.toml: jwt_leeway: line 1: `soon` is not a duration",
        ),
        (
            "[storage]\nkind = \"ftp\"",
            "test.toml: storage.kind: line 2: unknown variant `ftp`, expected `fs` or `s3`",
        ),
        ("[[keys]]\nid = \"a\"", "test.toml: keys[0].secret: missing"),
        (
            "[[keys]]\nid = \"a\"\nkind = \"rsa\"\nsecret = \"x\"",
            "test.toml: keys[0].kind: line 3: unknown variant `rsa`, expected `jwt` or `md5`",
        ),
        (
            "[[keys]]\nid = \"a\"\nsecret = \"!!\"\nsecret_base64 = true",
            "test.toml: keys[0].secret: key `a`: secret is not valid base64",
        ),
        (
            "[[keys]]\nid = \"a\"\nsecret = \"x\"\n[[keys]]\nid = \"a\"\nsecret = \"y\"",
            "test.toml: keys: key id `a` is used twice",
        ),
        (
            "[[keys]]\nid = \"a\"\nsecret_env = \"NOPE\"",
            "test.toml: keys[0].secret_env: environment variable NOPE is not set",
        ),
        (
            "[[protect]]\nprefix = \"private/\"",
            "test.toml: protect[0].prefix: must start with `/`",
        ),
        (
            "[[protect]]\nprefix = \"/p/\"\naccept = [\"basic\"]",
            "test.toml: protect[0].accept[0]: line 3: unknown variant `basic`",
        ),
        (
            "default_format = \"bmp\"",
            "test.toml: default_format: line 1: unknown variant `bmp`, expected `original` or `optimal`",
        ),
        (
            "avif_speed = 10",
            "test.toml: avif_speed: must be from 0 to 9",
        ),
        (
            "log_format = \"xml\"",
            "test.toml: log_format: line 1: unknown variant `xml`",
        ),
        (
            "[storage]\nkind = \"s3\"\nbucket = \"\"",
            "test.toml: storage.bucket: must name a bucket",
        ),
        (
            "[cluster]\nredis_url = \"http://redis:6379\"",
            "test.toml: cluster.redis_url: must start with redis:// or rediss://",
        ),
        (
            "[results]\nroot = \"\"",
            "test.toml: results.root: must name a folder when [storage] is a folder",
        ),
        (
            "[storage]\nroot = \"/srv/media\"\n[results]\nroot = \"/srv/media/results\"",
            "test.toml: results.root: `/srv/media/results` overlaps the media folder",
        ),
        (
            "[storage]\nkind = \"s3\"\n[results]\nprefix = \"results/\"",
            "test.toml: results.prefix: `results/` overlaps the media in bucket `media`",
        ),
        (
            "[storage]\nkind = \"s3\"\nprefix = \"media/\"\n[results]\nprefix = \"media/r/\"",
            "test.toml: results.prefix: `media/r/` overlaps",
        ),
        (
            "[storage]\nkind = \"s3\"\n[results]\nbucket = \"r\"\ntimeout = \"0s\"",
            "test.toml: results.timeout: must be above 0",
        ),
        (
            "[storage]\nkind = \"s3\"\nendpoint = \"minio:9000\"",
            "test.toml: storage.endpoint: must start with http",
        ),
        (
            "[storage]\nkind = \"s3\"\naccess_key_id = \"a\"",
            "test.toml: storage.secret_access_key: set access_key_id and",
        ),
        (
            "[storage]\nkind = \"s3\"\nretry_mode = \"eager\"",
            "test.toml: storage.retry_mode: line 3: unknown variant `eager`",
        ),
        (
            "[storage]\nkind = \"s3\"\npart_size = \"1MiB\"",
            "test.toml: storage.part_size: must be at least 5MiB",
        ),
        (
            "[limits]\nmax_metadata_bytes = 0",
            "test.toml: limits.max_metadata_bytes: must be above 0",
        ),
        (
            "[limits]\nmax_animation_frames = 0",
            "test.toml: limits.max_animation_frames: must be above 0",
        ),
        (
            "[limits]\nheader_read_timeout = \"0s\"",
            "test.toml: limits.header_read_timeout: must be above 0",
        ),
        (
            "[storage]\nconnect_timeout = \"soon\"",
            "test.toml: storage.connect_timeout: line 2: `soon` is not a duration",
        ),
        ("\nlisten = ", "test.toml: -: line 2: "),
    ];
    for (text, want) in cases {
        let got = load_text(text).unwrap_err().to_string();
        assert!(got.starts_with(want), "{text:?}: got {got:?}");
        assert!(!got.contains('\n'), "{got:?} is not one line");
    }
    let unknown = load_text("lisen = \"x\"").unwrap_err().to_string();
    assert!(unknown.contains("lisen"), "{unknown}");
}

#[test]
fn environment_then_flags_override_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("signet.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:1000\"\nadmin_listen = \"127.0.0.1:1001\"\n",
    )
    .unwrap();
    let env = env_from(BTreeMap::from([
        ("SIGNET_LISTEN".to_owned(), "127.0.0.1:2000".to_owned()),
        ("SIGNET_ROOT".to_owned(), "/env/root".to_owned()),
        ("SIGNET_JWT_KEY".to_owned(), "from-env".to_owned()),
        ("SIGNET_MD5_SECRET".to_owned(), "md5-from-env".to_owned()),
    ]));
    let flags = Overrides {
        admin_listen: Some("127.0.0.1:3001".parse().unwrap()),
        ..Overrides::default()
    };
    let c = Config::load(Some(&file), &env, &flags).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:2000");
    assert_eq!(c.admin_listen.to_string(), "127.0.0.1:3001");
    assert_eq!(c.storage.root, PathBuf::from("/env/root"));
    let ring = c.key_ring(&env).unwrap();
    let ids: Vec<_> = ring.keys().iter().map(|k| (k.id(), k.kind())).collect();
    assert_eq!(ids, vec![("env", KeyKind::Jwt), ("env", KeyKind::Md5)]);
    let flags = Overrides {
        listen: Some("127.0.0.1:4000".parse().unwrap()),
        ..Overrides::default()
    };
    assert_eq!(
        Config::load(Some(&file), &env, &flags)
            .unwrap()
            .listen
            .to_string(),
        "127.0.0.1:4000"
    );
}

/// Was: a bad `SIGNET_LISTEN` was reported against the config file.
#[test]
fn a_bad_environment_value_names_the_variable() {
    for var in ["SIGNET_LISTEN", "SIGNET_ADMIN_LISTEN"] {
        let env = env_from(BTreeMap::from([(var.to_owned(), "nowhere".to_owned())]));
        let err = Config::load(None, &env, &Overrides::default()).unwrap_err();
        assert_eq!(
            (err.source_name.as_str(), err.key.as_str()),
            ("environment", var)
        );
        assert!(
            err.reason.starts_with("`nowhere` is not an address"),
            "{err}"
        );
    }
}

#[test]
fn s3_settings_come_from_the_file_and_the_environment() {
    let c = load_text(
        r#"
[storage]
kind = "s3"
bucket = "media"
prefix = "site/"
endpoint = "http://127.0.0.1:9000"
access_key_id = "AKIA"
secret_access_key = "s3-secret-value"
connect_timeout = "2s"
operation_timeout = "15s"
max_attempts = 5
retry_mode = "adaptive"
part_size = "16MiB"
"#,
    )
    .unwrap();
    let s = c.storage.s3_settings();
    assert_eq!(s.bucket, "media");
    assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(s.region, None, "empty: AWS_REGION, else us-east-1");
    assert_eq!(s.connect_timeout, Duration::from_secs(2));
    assert_eq!(s.max_attempts, 5);
    assert_eq!(s.retry_mode, signet_storage::RetryMode::Adaptive);
    assert_eq!(s.part_size, 16 << 20);
    assert!(!c.to_redacted_toml().contains("s3-secret-value"));
    assert!(!format!("{c:?}").contains("s3-secret-value"));
    assert!(!format!("{s:?}").contains("s3-secret-value"));

    let env = env_from(BTreeMap::from([
        ("SIGNET_S3_BUCKET".to_owned(), "from-env".to_owned()),
        (
            "SIGNET_PUBLIC_URL".to_owned(),
            "https://img.example".to_owned(),
        ),
        ("SIGNET_API_TOKEN_SECRET".to_owned(), "shared".to_owned()),
        ("SIGNET_RESULTS_BUCKET".to_owned(), "results".to_owned()),
        (
            "SIGNET_REDIS_URL".to_owned(),
            "redis://:pw@redis:6379/0".to_owned(),
        ),
    ]));
    let c = Config::load(None, &env, &Overrides::default()).unwrap();
    assert_eq!(
        (c.storage.kind, c.storage.bucket.as_str()),
        (StorageKind::S3, "from-env")
    );
    assert_eq!(c.public_url, "https://img.example");
    assert_eq!(c.api.token_secret.expose_secret(), "shared");
    let cluster = c.cluster.as_ref().unwrap();
    assert_eq!(
        cluster.redis_url.expose_secret(),
        "redis://:pw@redis:6379/0"
    );
    assert_eq!(cluster.channel, "signet:invalidate");
    assert!(
        !c.to_redacted_toml().contains(":pw@"),
        "the URL is never printed"
    );
    let results = c.results.unwrap();
    assert_eq!(
        (results.bucket.as_str(), results.prefix.as_str()),
        ("results", "signet-results/")
    );
}

#[test]
fn a_missing_file_is_named() {
    let err = Config::load(
        Some(Path::new("/nope/signet.toml")),
        &no_env,
        &Overrides::default(),
    )
    .unwrap_err();
    assert_eq!(err.source_name, "/nope/signet.toml");
    assert!(err.reason.starts_with("cannot read"));
}

#[test]
fn redacted_toml_has_no_secrets() {
    let c = load_text(
        "[[keys]]\nid = \"a\"\nsecret = \"hunter2-secret\"\n[api]\nclient_secret = \"api-secret\"",
    )
    .unwrap();
    let shown = c.to_redacted_toml();
    assert!(
        !shown.contains("hunter2") && !shown.contains("api-secret"),
        "{shown}"
    );
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn sizes() {
    for (t, n) in [
        ("512MiB", 512u64 << 20),
        ("100MB", 100_000_000),
        ("64k", 64_000),
        ("10", 10),
        ("1 GiB", 1 << 30),
    ] {
        assert_eq!(bytesize::parse_size(t), Some(n), "{t}");
    }
    assert_eq!(bytesize::parse_size("1TB"), None);
    assert_eq!(bytesize::parse_size("99999999999999999999GiB"), None);
}

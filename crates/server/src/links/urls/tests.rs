//! The URL signer: every URL it makes opens exactly its file until its
//! expiry, with the options it was given, at the clock it was given.

use signet_auth::{authenticate_jwt, authorize_jwt, verify_md5, JwtOptions, Key, KeyKind};

use super::*;

const NOW: i64 = 1_700_000_000;

fn ring() -> KeyRing {
    KeyRing::new(vec![
        Key::new("j", KeyKind::Jwt, b"jwt-secret".to_vec(), "/").unwrap(),
        Key::new("m", KeyKind::Md5, b"md5-secret".to_vec(), "/").unwrap(),
    ])
    .unwrap()
}

fn lifetime(secs: u64) -> Lifetime {
    Lifetime {
        expires_in: secs,
        key: None,
    }
}

/// The query pairs of a URL, still encoded.
fn query(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map_or("", |(_, q)| q);
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[test]
fn paths_and_queries_are_percent_encoded_under_the_base() {
    let params = [("text".to_owned(), "a b&c=ü".to_owned())];
    let url = Signer::None
        .url(
            "https://cdn.example.com/",
            &ring(),
            &lifetime(60),
            ("/a folder/ü.jpg", &params),
            NOW,
        )
        .unwrap();
    assert_eq!(
        url.url,
        "https://cdn.example.com/a%20folder/%C3%BC.jpg?text=a%20b%26c%3D%C3%BC"
    );
    assert!(url.token.is_none());
    assert_eq!(base_url("http://h:1", "/x.jpg"), "http://h:1/x.jpg");
}

#[test]
fn an_md5_url_verifies_for_its_path_until_it_expires() {
    let ring = ring();
    let url = Signer::Md5
        .url("http://h", &ring, &lifetime(120), ("/v/a.mp4", &[]), NOW)
        .unwrap()
        .url;
    let q = query(&url);
    assert_eq!(q[0], ("exp".to_owned(), (NOW + 120).to_string()));
    let (exp, sig) = (Some(q[0].1.as_str()), Some(q[1].1.as_str()));
    let grant = verify_md5(&ring, "/v/a.mp4", exp, sig, NOW + 119).unwrap();
    assert_eq!(grant.expires_at, NOW + 120);
    assert!(verify_md5(&ring, "/v/b.mp4", exp, sig, NOW).is_err());
    assert!(verify_md5(&ring, "/v/a.mp4", exp, sig, NOW + 120).is_err());
}

#[test]
fn a_jwt_url_carries_its_secure_args_and_opens_only_its_audience() {
    let ring = ring();
    let signer = Signer::Jwt {
        secure: vec![("text".to_owned(), "Hi".to_owned())],
        audience: Vec::new(),
    };
    let insecure = [("w".to_owned(), "300".to_owned())];
    let signed = signer
        .url(
            "http://h",
            &ring,
            &lifetime(60),
            ("/p/a.jpg", &insecure),
            NOW,
        )
        .unwrap();
    let token = signed.token.unwrap();
    assert_eq!(
        query(&signed.url),
        [
            ("w".to_owned(), "300".to_owned()),
            ("jwt".to_owned(), token.clone())
        ]
    );
    let verified = authenticate_jwt(&ring, &token).unwrap();
    let opts = JwtOptions { leeway: 0 };
    let grant = authorize_jwt(&verified, "/p/a.jpg", NOW + 59, opts).unwrap();
    assert_eq!(grant.args, [("text".to_owned(), "Hi".to_owned())]);
    assert_eq!(grant.expires_at, NOW + 60);
    assert!(authorize_jwt(&verified, "/p/b.jpg", NOW, opts).is_err());
    assert!(authorize_jwt(&verified, "/p/a.jpg", NOW + 60, opts).is_err());
}

#[test]
fn a_missing_key_is_an_error_not_an_unsigned_url() {
    let ring = KeyRing::new(Vec::new()).unwrap();
    let jwt = Signer::Jwt {
        secure: Vec::new(),
        audience: Vec::new(),
    };
    assert!(jwt
        .url("http://h", &ring, &lifetime(60), ("/a.jpg", &[]), NOW)
        .is_err());
    assert!(Signer::Md5
        .url("http://h", &ring, &lifetime(60), ("/a.jpg", &[]), NOW)
        .is_err());
}

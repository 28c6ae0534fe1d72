//! The rewriter with a query that names the resolved path, so each test
//! sees which file every URI's token is for.

use super::*;

fn by_path(playlist: &str, at: &str) -> Result<String, String> {
    rewrite(playlist, at, &mut |p: &str| Ok(format!("t={p}")))
}

#[test]
fn every_uri_of_a_master_playlist_gets_its_own_query() {
    let master = "#EXTM3U\r\n\
        #EXT-X-VERSION:6\r\n\
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"audio/en.m3u8\"\r\n\
        #EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.4d401f,mp4a.40.2\",AUDIO=\"a\"\r\n\
        low/index.m3u8\r\n\
        #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=80000,URI=\"low/iframes.m3u8\"\r\n\
        # a comment, kept\r\n\
        \r\n\
        HTTPS://cdn.example.com/other.m3u8\r\n\
        /videos/abs/index.m3u8?lang=en\r\n";
    let out = by_path(master, "/videos/s/master.m3u8").unwrap();
    let want = "#EXTM3U\n\
        #EXT-X-VERSION:6\n\
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"audio/en.m3u8?t=/videos/s/audio/en.m3u8\"\n\
        #EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.4d401f,mp4a.40.2\",AUDIO=\"a\"\n\
        low/index.m3u8?t=/videos/s/low/index.m3u8\n\
        #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=80000,URI=\"low/iframes.m3u8?t=/videos/s/low/iframes.m3u8\"\n\
        # a comment, kept\n\
        \n\
        HTTPS://cdn.example.com/other.m3u8\n\
        /videos/abs/index.m3u8?lang=en&t=/videos/abs/index.m3u8\n";
    assert_eq!(out, want);
}

#[test]
fn media_playlists_sign_segments_maps_keys_and_byte_ranges() {
    let media = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n\
        #EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"720@0\"\n\
        #EXT-X-KEY:METHOD=AES-128,URI=\"keys/k1.bin\",IV=0x1\n\
        #EXTINF:4.0,\n#EXT-X-BYTERANGE:1000@720\nseg%20one.m4s#frag\n\
        #EXTINF:4.0,\nseg2.m4s\n#EXT-X-ENDLIST\n";
    let out = by_path(media, "/v/s/index.m3u8").unwrap();
    assert!(
        out.contains("URI=\"init.mp4?t=/v/s/init.mp4\",BYTERANGE=\"720@0\""),
        "{out}"
    );
    assert!(
        out.contains("URI=\"keys/k1.bin?t=/v/s/keys/k1.bin\",IV=0x1"),
        "{out}"
    );
    assert!(
        out.contains("\nseg%20one.m4s?t=/v/s/seg%20one.m4s#frag\n"),
        "{out}"
    );
    assert!(
        out.contains("\nseg2.m4s?t=/v/s/seg2.m4s\n#EXT-X-ENDLIST\n"),
        "{out}"
    );
}

#[test]
fn schemes_other_hosts_and_bad_tags_refuse_the_playlist() {
    let cases = [
        (
            "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"data:text/plain,abc\"\n",
            "`data:`",
        ),
        ("#EXTM3U\nfile:///etc/passwd\n", "`file:`"),
        ("#EXTM3U\njavascript:alert(1)\n", "`javascript:`"),
        ("#EXTM3U\nhttp:seg.ts\n", "`http:`"),
        ("#EXTM3U\n//evil.example/x.ts\n", "names no file"),
        ("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\n", "not closed"),
        ("not a playlist\nseg.ts\n", "#EXTM3U"),
    ];
    for (playlist, says) in cases {
        let err = by_path(playlist, "/v/index.m3u8").unwrap_err();
        assert!(err.contains(says), "{playlist:?}: {err}");
    }
    // `X-URI=` and a quoted `URI="` inside another value are not URIs.
    let odd = "#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID=\"x\",VALUE=\"URI=\\\"no\",X-URI=\"k\"\n";
    assert_eq!(by_path(odd, "/v/i.m3u8").unwrap(), odd);
    // The callback's refusal names the URI and the line.
    let refused = rewrite(
        "#EXTM3U\n\nbad.ts\n",
        "/v/i.m3u8",
        &mut |_| Err("no".into()),
    );
    assert_eq!(refused, Err("playlist line 3: `bad.ts`: no".to_owned()));
}

#[test]
fn limits_answer_fast() {
    let long = format!("#EXTM3U\n{}\n", "a".repeat(MAX_LINE_BYTES + 1));
    assert!(by_path(&long, "/v/i.m3u8")
        .unwrap_err()
        .contains("longer than"));
    let many = format!("#EXTM3U\n{}", "s.ts\n".repeat(MAX_URIS + 1));
    let started = std::time::Instant::now();
    assert!(by_path(&many, "/v/i.m3u8")
        .unwrap_err()
        .contains("more than"));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

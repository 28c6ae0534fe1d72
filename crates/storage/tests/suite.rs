//! The storage conformance suite: what every `Store` back end must do. Runs
//! against the local-folder store and against a real S3 server (`s3s-fs`,
//! started here; `SIGNET_S3_ENDPOINT` points it at MinIO instead — see
//! `make test-minio`).

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use signet_storage::testing::S3Server;
use signet_storage::{ByteStream, FolderKey, FsStore, ObjectKey, S3Store, StorageError, Store};

fn key(k: &str) -> ObjectKey {
    ObjectKey::new(k).unwrap()
}

fn body(chunks: &[&'static [u8]]) -> ByteStream {
    let items: Vec<std::io::Result<Bytes>> =
        chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
    Box::pin(stream::iter(items))
}

async fn read_all(store: &dyn Store, k: &str, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let mut b = store.read(&key(k), range).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = b.stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(out.len() as u64, b.range.end - b.range.start);
    out
}

/// Runs every check against an empty store. `strict_folders` is false only
/// for s3s-fs, which keeps folders as directories: `HeadObject` on a folder's
/// name answers with the directory, and an empty folder (its `a/b/` marker)
/// is not listed. S3, MinIO and the fs store are strict.
async fn conformance(store: Arc<dyn Store>, strict_folders: bool) {
    let s = store.as_ref();
    s.check().await.unwrap();

    // put / stat / read, whole and ranged
    let meta = s
        .put(
            &key("a/b/hello.txt"),
            body(&[b"hello ", b"world"]),
            Some("text/plain"),
        )
        .await
        .unwrap();
    assert_eq!(meta.size, 11);
    let stat = s.stat(&key("a/b/hello.txt")).await.unwrap();
    assert_eq!((stat.size, &stat.etag), (11, &meta.etag));
    assert_eq!(read_all(s, "a/b/hello.txt", None).await, b"hello world");
    assert_eq!(read_all(s, "a/b/hello.txt", Some(6..11)).await, b"world");
    assert_eq!(read_all(s, "a/b/hello.txt", Some(0..1)).await, b"h");
    assert_eq!(read_all(s, "a/b/hello.txt", Some(10..99)).await, b"d");

    // overwriting changes the version
    s.put(&key("a/b/hello.txt"), body(&[b"HELLO"]), None)
        .await
        .unwrap();
    let after = s.stat(&key("a/b/hello.txt")).await.unwrap();
    assert_eq!(after.size, 5);
    assert_ne!(after.etag, meta.etag);

    // zero-byte objects and unusual names round-trip
    s.put(&key("empty.bin"), body(&[]), None).await.unwrap();
    assert_eq!(s.stat(&key("empty.bin")).await.unwrap().size, 0);
    assert_eq!(read_all(s, "empty.bin", None).await, b"");
    for name in [
        "with space.txt",
        "ünïcödé.txt",
        "plus+sign.txt",
        "percent%2F.txt",
    ] {
        s.put(&key(name), body(&[b"x"]), None).await.unwrap();
        assert_eq!(read_all(s, name, None).await, b"x", "{name}");
    }

    // missing objects and folders
    assert!(s.stat(&key("nope.txt")).await.unwrap_err().is_not_found());
    assert!(s.read(&key("nope.txt"), None).await.is_err());
    if strict_folders {
        assert!(
            s.stat(&key("a")).await.unwrap_err().is_not_found(),
            "a folder is not an object"
        );
    }
    assert!(s.delete(&key("nope.txt")).await.unwrap_err().is_not_found());
    assert!(s
        .list(&FolderKey::new("no/such/folder").unwrap(), None, 10)
        .await
        .unwrap_err()
        .is_not_found());

    // listing with pagination
    s.create_folder(&FolderKey::new("a/c").unwrap())
        .await
        .unwrap();
    for i in 0..5 {
        s.put(&key(&format!("list/f{i}.txt")), body(&[b"x"]), None)
            .await
            .unwrap();
    }
    s.create_folder(&FolderKey::new("list/sub").unwrap())
        .await
        .unwrap();
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = s
            .list(&FolderKey::new("list").unwrap(), token.as_deref(), 2)
            .await
            .unwrap();
        pages += 1;
        assert!(page.entries.len() <= 2);
        names.extend(page.entries.iter().map(|e| (e.name.clone(), e.is_folder)));
        match page.continuation {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let want: Vec<(String, bool)> = (0..5)
        .map(|i| (format!("f{i}.txt"), false))
        .chain(strict_folders.then(|| ("sub".to_owned(), true)))
        .collect();
    assert_eq!(names, want);
    let a = s
        .list(&FolderKey::new("a").unwrap(), None, 100)
        .await
        .unwrap();
    let a: Vec<_> = a
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.is_folder))
        .collect();
    if strict_folders {
        assert_eq!(a, vec![("b", true), ("c", true)]);
    } else {
        assert_eq!(a, vec![("b", true)]);
    }

    // copy, rename, delete
    s.copy(&key("a/b/hello.txt"), &key("copies/one.txt"))
        .await
        .unwrap();
    assert_eq!(read_all(s, "copies/one.txt", None).await, b"HELLO");
    assert_eq!(read_all(s, "a/b/hello.txt", None).await, b"HELLO");
    s.rename(&key("copies/one.txt"), &key("moved/two.txt"))
        .await
        .unwrap();
    assert!(s
        .stat(&key("copies/one.txt"))
        .await
        .unwrap_err()
        .is_not_found());
    assert_eq!(read_all(s, "moved/two.txt", None).await, b"HELLO");
    assert!(matches!(
        s.copy(&key("nope.txt"), &key("x.txt")).await,
        Err(StorageError::NotFound)
    ));
    s.delete(&key("moved/two.txt")).await.unwrap();
    assert!(s
        .stat(&key("moved/two.txt"))
        .await
        .unwrap_err()
        .is_not_found());

    // Create-only writes: the first wins, the second leaves it as it was.
    let k = key("once/result.bin");
    assert!(s
        .put_new(&k, Bytes::from_static(b"first"), "application/octet-stream")
        .await
        .unwrap());
    assert!(!s
        .put_new(
            &k,
            Bytes::from_static(b"second"),
            "application/octet-stream"
        )
        .await
        .unwrap());
    assert_eq!(read_all(s, "once/result.bin", None).await, b"first");
    s.delete(&k).await.unwrap();

    walks(s, strict_folders).await;
}

/// A recursive walk pages through every object under a folder in key
/// order; pruning removes the folders left empty.
async fn walks(s: &dyn Store, strict_folders: bool) {
    for k in ["w/1.txt", "w/x/2.txt", "w/x/y/3.txt", "w.txt", "wz/4.txt"] {
        s.put(&key(k), body(&[b"w"]), None).await.unwrap();
    }
    s.create_folder(&FolderKey::new("w/empty").unwrap())
        .await
        .unwrap();
    let folder = FolderKey::new("w").unwrap();
    let mut seen = Vec::new();
    let mut continuation = None;
    loop {
        let page = s.walk(&folder, continuation.as_deref(), 1).await.unwrap();
        seen.extend(
            page.objects
                .iter()
                .map(|(k, m)| (k.as_str().to_owned(), m.size)),
        );
        match page.continuation {
            Some(c) => continuation = Some(c),
            None => break,
        }
    }
    let want = [("w/1.txt", 1), ("w/x/2.txt", 1), ("w/x/y/3.txt", 1)];
    let want: Vec<(String, u64)> = want.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect();
    assert_eq!(seen, want);
    let missing = s
        .walk(&FolderKey::new("nowhere").unwrap(), None, 10)
        .await
        .unwrap();
    assert!(missing.objects.is_empty());
    // Copying into a folder that does not exist yet works everywhere.
    s.copy(&key("w.txt"), &key("w2/new/copy.txt"))
        .await
        .unwrap();
    for (k, _) in &seen {
        s.delete(&key(k)).await.unwrap();
    }
    s.prune_folder(&folder).await.unwrap();
    if strict_folders {
        assert!(s.list(&folder, None, 10).await.unwrap_err().is_not_found());
    }
    assert!(s.stat(&key("w.txt")).await.is_ok(), "a sibling is kept");
    let root = s.list(&FolderKey::root(), None, 100).await.unwrap();
    assert!(root.entries.iter().any(|e| e.name == "wz"));
    let etag = root
        .entries
        .iter()
        .find(|e| e.name == "w.txt")
        .unwrap()
        .etag
        .clone();
    // A listed version is the object's (s3s-fs lists none).
    match etag {
        Some(etag) => assert_eq!(etag, s.stat(&key("w.txt")).await.unwrap().etag),
        None => assert!(!strict_folders, "S3, MinIO and folders list versions"),
    }
}

/// A body longer than one upload part, in uneven chunks: S3 sends it as a
/// multipart upload; every back end must store it byte for byte.
async fn large_bodies(store: &dyn Store, part: usize) {
    let len = part * 2 + 12_345;
    let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    let chunks: Vec<std::io::Result<Bytes>> = data
        .chunks(100_003)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let meta = store
        .put(&key("big/blob.bin"), Box::pin(stream::iter(chunks)), None)
        .await
        .unwrap();
    assert_eq!(meta.size, len as u64);
    assert_eq!(read_all(store, "big/blob.bin", None).await, data);
    let tail = (len as u64 - 10)..(len as u64);
    assert_eq!(
        read_all(store, "big/blob.bin", Some(tail)).await,
        &data[len - 10..]
    );
    // A failing body leaves nothing behind (and no half-written object).
    let failing: Vec<std::io::Result<Bytes>> = vec![
        Ok(Bytes::from(vec![7u8; part])),
        Err(std::io::Error::other("client went away")),
    ];
    assert!(store
        .put(
            &key("big/broken.bin"),
            Box::pin(stream::iter(failing)),
            None
        )
        .await
        .is_err());
    assert!(store
        .stat(&key("big/broken.bin"))
        .await
        .unwrap_err()
        .is_not_found());
}

#[tokio::test]
async fn fs_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    conformance(Arc::new(FsStore::new(dir.path()).unwrap()), true).await;
}

#[tokio::test]
async fn fs_store_takes_large_bodies() {
    let dir = tempfile::tempdir().unwrap();
    large_bodies(
        &FsStore::new(dir.path()).unwrap(),
        signet_storage::MIN_PART_SIZE,
    )
    .await;
}

/// A store on the test S3 server (s3s-fs, or MinIO under `make test-minio`).
async fn s3_store(prefix: &str) -> Option<(S3Server, S3Store)> {
    let server = S3Server::start(&["media"])?;
    let store = S3Store::new(server.settings("media", prefix))
        .await
        .unwrap();
    Some((server, store))
}

#[tokio::test]
async fn s3_store_conforms() {
    let Some((server, store)) = s3_store("").await else {
        return;
    };
    conformance(Arc::new(store), !server.is_local()).await;
}

#[tokio::test]
async fn s3_store_conforms_under_a_prefix() {
    let Some((server, store)) = s3_store("tenant one/").await else {
        return;
    };
    conformance(Arc::new(store.clone()), !server.is_local()).await;
    large_bodies(&store, signet_storage::MIN_PART_SIZE).await;
    if let Some(data) = server.data_dir() {
        // Everything stayed under the prefix.
        let top: Vec<_> = std::fs::read_dir(data.join("media"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.starts_with('.'))
            .collect();
        assert_eq!(top, vec!["tenant one".to_owned()]);
    }
}

#[tokio::test]
async fn s3_store_reports_an_unreachable_or_misconfigured_store() {
    let Some(mut server) = S3Server::start(&["media"]) else {
        return;
    };
    if !server.is_local() {
        return; // an external server cannot be stopped from here
    }
    // Wrong credentials: a clear error, not a panic.
    let mut bad = server.settings("media", "");
    bad.secret_access_key = Some("wrong".into());
    let err = S3Store::new(bad).await.unwrap().check().await.unwrap_err();
    assert!(
        matches!(&err, StorageError::Unavailable(m) if m.contains("credentials")),
        "{err}"
    );
    // A missing bucket.
    let err = S3Store::new(server.settings("nope", ""))
        .await
        .unwrap()
        .check()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");

    // Stopped: fails fast; started again: works again by itself.
    let store = S3Store::new(server.settings("media", "")).await.unwrap();
    store.put(&key("x.txt"), body(&[b"x"]), None).await.unwrap();
    server.stop();
    let started = std::time::Instant::now();
    let err = store.stat(&key("x.txt")).await.unwrap_err();
    assert!(matches!(err, StorageError::Unavailable(_)), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    server.restart();
    assert_eq!(read_all(&store, "x.txt", None).await, b"x");
}

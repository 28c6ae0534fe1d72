//! The storage conformance suite: what every `Store` back end must do. Runs
//! against the local-folder store here (and against S3 once it exists).

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use signet_storage::{ByteStream, FolderKey, FsStore, ObjectKey, StorageError, Store};

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

/// Runs every check against an empty store.
async fn conformance(store: Arc<dyn Store>) {
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
    assert!(
        s.stat(&key("a")).await.unwrap_err().is_not_found(),
        "a folder is not an object"
    );
    assert!(s.delete(&key("nope.txt")).await.unwrap_err().is_not_found());

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
        .chain([("sub".to_owned(), true)])
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
    assert_eq!(a, vec![("b", true), ("c", true)]);

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
}

#[tokio::test]
async fn fs_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    conformance(Arc::new(FsStore::new(dir.path()).unwrap())).await;
}

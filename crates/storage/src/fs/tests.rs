//! Escape attempts against the local-folder store.

use super::*;

fn setup() -> (tempfile::TempDir, tempfile::TempDir, FsStore) {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), b"outside").unwrap();
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("inner")).unwrap();
    std::fs::write(root.path().join("inner/ok.txt"), b"inside").unwrap();
    let link = |target: &Path, name: &str| {
        std::os::unix::fs::symlink(target, root.path().join(name)).unwrap();
    };
    link(&outside.path().join("secret.txt"), "file-link.txt");
    link(outside.path(), "dir-link");
    link(&root.path().join("inner/ok.txt"), "inner-link.txt");
    let store = FsStore::new(root.path()).unwrap();
    (outside, root, store)
}

fn key(k: &str) -> ObjectKey {
    ObjectKey::new(k).unwrap()
}

#[tokio::test]
async fn symlinks_out_of_the_root_are_not_found() {
    let (_outside, _root, store) = setup();
    assert!(store
        .stat(&key("file-link.txt"))
        .await
        .unwrap_err()
        .is_not_found());
    assert!(store.read(&key("dir-link/secret.txt"), None).await.is_err());
    assert!(store
        .stat(&key("dir-link/secret.txt"))
        .await
        .unwrap_err()
        .is_not_found());
    let listing = store.list(&FolderKey::root(), None, 100).await.unwrap();
    let names: Vec<_> = listing.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["inner", "inner-link.txt"]);
    assert!(store
        .list(&FolderKey::new("dir-link").unwrap(), None, 10)
        .await
        .is_err());
}

#[tokio::test]
async fn symlinks_inside_the_root_are_followed() {
    let (_outside, _root, store) = setup();
    assert_eq!(store.stat(&key("inner-link.txt")).await.unwrap().size, 6);
}

#[tokio::test]
async fn writes_never_follow_a_symlink_out() {
    let (outside, _root, store) = setup();
    let body: ByteStream = Box::pin(futures_util::stream::once(async {
        Ok(bytes::Bytes::from_static(b"x"))
    }));
    let err = store
        .put(&key("dir-link/new.txt"), body, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::InvalidKey(_)), "{err:?}");
    assert!(!outside.path().join("new.txt").exists());
    let copied = store
        .copy(&key("inner/ok.txt"), &key("dir-link/copy.txt"))
        .await;
    assert!(copied.is_err());
    assert!(!outside.path().join("copy.txt").exists());
    // Deleting the link removes the link, never the file it points to.
    store.delete(&key("file-link.txt")).await.unwrap();
    assert!(outside.path().join("secret.txt").exists());
}

#[tokio::test]
async fn a_missing_root_is_an_error() {
    assert!(FsStore::new("/nonexistent/signet-root").is_err());
}

async fn collect(body: ObjectBody) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut stream = body.stream;
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

#[tokio::test]
async fn reads_span_chunks_and_reuse_their_buffers() {
    let root = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..CHUNK * 3 + 1234).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(root.path().join("big.bin"), &data).unwrap();
    let store = FsStore::new(root.path()).unwrap();
    let whole = store.read(&key("big.bin"), None).await.unwrap();
    assert_eq!(collect(whole).await.unwrap(), data);
    // Two chunks were in flight at most, and both came back.
    let pooled = store.buffers.0.lock().unwrap().len();
    assert!((1..=2).contains(&pooled), "{pooled} buffers pooled");

    for range in [
        0..1,
        CHUNK - 1..CHUNK + 1,
        5..CHUNK * 2 + 9,
        100..data.len(),
    ] {
        let r = range.start as u64..range.end as u64;
        let body = store.read(&key("big.bin"), Some(r)).await.unwrap();
        assert_eq!(
            collect(body).await.unwrap(),
            &data[range.clone()],
            "{range:?}"
        );
    }
    assert!(
        store.buffers.0.lock().unwrap().len() <= 2,
        "buffers are reused"
    );
}

#[tokio::test]
async fn a_file_cut_short_while_streaming_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("shrinks.bin");
    std::fs::write(&path, vec![1u8; CHUNK * 4]).unwrap();
    let store = FsStore::new(root.path()).unwrap();
    let body = store.read(&key("shrinks.bin"), None).await.unwrap();
    assert_eq!(body.meta.size, (CHUNK * 4) as u64);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(CHUNK as u64)
        .unwrap();
    let err = collect(body).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn walks_go_in_key_order_page_by_page_and_stay_inside() {
    let (_outside, root, store) = setup();
    for name in ["a.jpg", "a/x.jpg", "a/b/y.jpg", "a-z.txt", "b.txt"] {
        let path = root.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, name).unwrap();
    }
    std::fs::write(root.path().join("a/.signet-tmp-1-2"), b"partial").unwrap();
    let mut keys = Vec::new();
    let mut continuation = None;
    loop {
        let page = store
            .walk(&FolderKey::root(), continuation.as_deref(), 2)
            .await
            .unwrap();
        assert!(page.objects.len() <= 2);
        keys.extend(page.objects.iter().map(|(k, _)| k.as_str().to_owned()));
        match page.continuation {
            Some(c) => continuation = Some(c),
            None => break,
        }
    }
    // Byte order of whole keys; the link out of the root and the temporary
    // file are not objects; the link inside the root is.
    let want = [
        "a-z.txt",
        "a.jpg",
        "a/b/y.jpg",
        "a/x.jpg",
        "b.txt",
        "inner-link.txt",
        "inner/ok.txt",
    ];
    assert_eq!(keys, want);
    let under = store
        .walk(&FolderKey::new("a").unwrap(), None, 10)
        .await
        .unwrap();
    assert_eq!(under.objects.len(), 2);
    assert!(store
        .walk(&FolderKey::new("missing").unwrap(), None, 10)
        .await
        .unwrap()
        .objects
        .is_empty());
}

#[tokio::test]
async fn pruning_removes_only_empty_folders() {
    let (_outside, root, store) = setup();
    std::fs::create_dir_all(root.path().join("p/empty/deeper")).unwrap();
    std::fs::create_dir_all(root.path().join("p/full")).unwrap();
    std::fs::write(root.path().join("p/full/kept.txt"), b"kept").unwrap();
    store
        .prune_folder(&FolderKey::new("p").unwrap())
        .await
        .unwrap();
    assert!(!root.path().join("p/empty").exists());
    assert!(root.path().join("p/full/kept.txt").exists());
    store.prune_folder(&FolderKey::root()).await.unwrap();
    assert!(root.path().join("inner").exists());
}

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

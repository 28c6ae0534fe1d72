//! The S3 store: objects in a bucket (AWS, MinIO or any S3-compatible
//! server), optionally under a key prefix.
//!
//! Reads stream (`GetObject` with byte ranges); writes stream too, in parts of
//! `part_size` bytes: a body that fits in one part is a single `PutObject`,
//! anything longer a multipart upload, so memory per upload is one part.
//! Folders are key prefixes; `create_folder` writes an empty `a/b/` marker
//! object, as the S3 consoles do.

use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Credentials, Region, RequestChecksumCalculation};
use aws_sdk_s3::config::{ResponseChecksumValidation, StalledStreamProtectionConfig};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream as SdkStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use secrecy::ExposeSecret;

use crate::{
    ByteStream, Entry, FolderKey, Listing, ObjectBody, ObjectKey, ObjectMeta, Result, RetryMode,
    S3Settings, StorageError, Store, Walk, MIN_PART_SIZE,
};

/// A store over an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
    endpoint: String,
    part_size: usize,
}

impl S3Store {
    /// Builds the client. Nothing is contacted yet: [`Store::check`] tells
    /// whether the bucket is reachable with these credentials.
    pub async fn new(settings: S3Settings) -> Result<S3Store> {
        if settings.bucket.is_empty() {
            return Err(StorageError::Unavailable("no bucket configured".into()));
        }
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        // The region is settled here, so the SDK never asks the instance
        // metadata service for one (a network call and a warning at every
        // start off EC2).
        let region = Region::new(region_of(settings.region.as_deref(), |name| {
            std::env::var(name).ok()
        }));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .region(region.clone());
        if let Some(endpoint) = &settings.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        match (&settings.access_key_id, &settings.secret_access_key) {
            (Some(id), Some(secret)) => {
                loader = loader.credentials_provider(Credentials::new(
                    id,
                    secret.expose_secret(),
                    None,
                    None,
                    "signet-config",
                ));
            }
            (None, None) => {}
            _ => {
                return Err(StorageError::Unavailable(
                    "set both access_key_id and secret_access_key, or neither".into(),
                ))
            }
        }
        let sdk = loader.load().await;
        let endpoint = settings
            .endpoint
            .clone()
            .or_else(|| sdk.endpoint_url().map(str::to_owned))
            .unwrap_or_else(|| "aws".into());
        let retry = match settings.retry_mode {
            RetryMode::Standard => RetryConfig::standard(),
            RetryMode::Adaptive => RetryConfig::adaptive(),
        }
        .with_max_attempts(settings.max_attempts.max(1))
        .with_initial_backoff(settings.initial_backoff);
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(settings.connect_timeout)
            .operation_attempt_timeout(settings.attempt_timeout)
            .operation_timeout(settings.operation_timeout)
            .build();
        let conf = aws_sdk_s3::config::Builder::from(&sdk)
            .region(region)
            .force_path_style(settings.force_path_style)
            .retry_config(retry)
            .timeout_config(timeouts)
            // Checksums only where S3 requires them: MinIO and other
            // S3-compatible servers differ in what they accept.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            // Our readers apply backpressure (slow clients); the transfer
            // timeouts above bound the store side.
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .build();
        let mut prefix = settings.prefix.trim_start_matches('/').to_owned();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Ok(S3Store {
            client: Client::from_conf(conf),
            bucket: settings.bucket,
            prefix,
            endpoint,
            part_size: settings.part_size.max(MIN_PART_SIZE),
        })
    }

    /// One `ListObjectsV2` page under `prefix`: one level (`delimited`,
    /// folders as common prefixes) or every key below it.
    async fn list_page(
        &self,
        prefix: &str,
        delimited: bool,
        continuation: Option<&str>,
        limit: usize,
    ) -> Result<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output> {
        self.client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_delimiter(delimited.then(|| "/".to_owned()))
            .max_keys(limit.clamp(1, 1000) as i32)
            .set_continuation_token(continuation.map(str::to_owned))
            .send()
            .await
            .map_err(sdk_error)
    }

    fn full(&self, key: &ObjectKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    /// `bucket/key`, URL-encoded, as `CopyObject` wants its source.
    fn copy_source(&self, key: &ObjectKey) -> String {
        let raw = format!("{}/{}", self.bucket, self.full(key));
        percent_encoding::utf8_percent_encode(&raw, COPY_SOURCE).to_string()
    }

    async fn put_whole(&self, key: &str, body: Bytes, content_type: &str) -> Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(body.len() as i64)
            .body(SdkStream::from(body))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// A multipart upload of `first` and then the rest of `body`, one part
    /// in memory at a time; aborted on any failure.
    async fn put_parts(
        &self,
        key: &str,
        first: Bytes,
        mut rest: Parts,
        content_type: &str,
    ) -> Result<()> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(sdk_error)?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| StorageError::Unavailable("no upload id from the store".into()))?
            .to_owned();
        let result = async {
            let mut parts = Vec::new();
            let mut part = Some(first);
            while let Some(bytes) = part {
                let number = parts.len() as i32 + 1;
                let out = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .content_length(bytes.len() as i64)
                    .body(SdkStream::from(bytes))
                    .send()
                    .await
                    .map_err(sdk_error)?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(out.e_tag().map(str::to_owned))
                        .build(),
                );
                let next = rest.next().await?;
                part = (!next.is_empty()).then_some(next);
            }
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(())
        }
        .await;
        if result.is_err() {
            let abort = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
            if let Err(e) = abort {
                tracing::warn!(key, error = %DisplayErrorContext(&e), "could not abort a multipart upload");
            }
        }
        result
    }
}

/// Characters escaped in a `CopyObject` source: everything but unreserved
/// characters and `/`.
const COPY_SOURCE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Cuts a body into parts of exactly `size` bytes (the last may be shorter).
struct Parts {
    body: ByteStream,
    /// What the last read chunk held beyond the previous part.
    carry: Option<Bytes>,
    size: usize,
}

impl Parts {
    fn new(body: ByteStream, size: usize) -> Parts {
        Parts {
            body,
            carry: None,
            size,
        }
    }

    /// The next part; empty at the end of the body.
    async fn next(&mut self) -> Result<Bytes> {
        let mut buf = BytesMut::new();
        while buf.len() < self.size {
            let chunk = match self.carry.take() {
                Some(c) => c,
                None => match self.body.next().await {
                    Some(c) => c?,
                    None => break,
                },
            };
            let room = self.size - buf.len();
            if chunk.len() > room {
                buf.extend_from_slice(&chunk[..room]);
                self.carry = Some(chunk.slice(room..));
            } else {
                buf.extend_from_slice(&chunk);
            }
        }
        Ok(buf.freeze())
    }
}

/// Maps an SDK failure to its meaning for callers: missing, slow, or down.
fn sdk_error<E>(err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::TimeoutError(_) => StorageError::Timeout,
        SdkError::DispatchFailure(d) if d.is_timeout() => StorageError::Timeout,
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            let code = s.err().code().unwrap_or_default();
            match (status, code) {
                (404, "NoSuchBucket") => {
                    StorageError::Unavailable("the bucket does not exist".into())
                }
                (404, _) | (_, "NoSuchKey") | (_, "NotFound") => StorageError::NotFound,
                (403, _) | (401, _) => StorageError::Unavailable(format!(
                    "access denied by the store ({}): check the credentials",
                    if code.is_empty() { "403" } else { code }
                )),
                _ => StorageError::Unavailable(format!("the store answered {status} {code}")),
            }
        }
        _ => StorageError::Unavailable(causes(&err)),
    }
}

/// An error and its sources on one line (`a: b: c`), without the debug dump
/// `DisplayErrorContext` appends.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

fn time_of(t: Option<&aws_sdk_s3::primitives::DateTime>) -> SystemTime {
    t.and_then(|t| SystemTime::try_from(*t).ok())
        .unwrap_or(UNIX_EPOCH)
}

fn etag_of(tag: Option<&str>) -> String {
    tag.unwrap_or_default().trim_matches('"').to_owned()
}

/// The total size from a `Content-Range: bytes a-b/total` header.
fn total_of(content_range: &str) -> Option<u64> {
    content_range.rsplit('/').next()?.parse().ok()
}

fn io_error(e: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
    std::io::Error::other(e)
}

#[async_trait::async_trait]
impl Store for S3Store {
    async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full(key))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(ObjectMeta {
            size: out.content_length().unwrap_or(0).max(0) as u64,
            modified: time_of(out.last_modified()),
            etag: etag_of(out.e_tag()),
            content_type: out.content_type().map(str::to_owned),
        })
    }

    async fn read(&self, key: &ObjectKey, range: Option<Range<u64>>) -> Result<ObjectBody> {
        let mut request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full(key));
        if let Some(r) = &range {
            if r.end > r.start {
                request = request.range(format!("bytes={}-{}", r.start, r.end - 1));
            }
        }
        let out = request.send().await.map_err(sdk_error)?;
        let length = out.content_length().unwrap_or(0).max(0) as u64;
        let (size, held) = match out.content_range().and_then(total_of) {
            Some(total) => {
                let start = range.as_ref().map_or(0, |r| r.start);
                (total, start..start + length)
            }
            None => (length, 0..length),
        };
        let meta = ObjectMeta {
            size,
            modified: time_of(out.last_modified()),
            etag: etag_of(out.e_tag()),
            content_type: out.content_type().map(str::to_owned),
        };
        let stream = futures_util::stream::unfold(out.body, |mut body| async move {
            body.next()
                .await
                .map(|chunk| (chunk.map_err(io_error), body))
        });
        Ok(ObjectBody {
            meta,
            range: held,
            stream: Box::pin(stream),
        })
    }

    async fn list(
        &self,
        folder: &FolderKey,
        continuation: Option<&str>,
        limit: usize,
    ) -> Result<Listing> {
        let prefix = format!("{}{}", self.prefix, folder.as_str());
        let out = self.list_page(&prefix, true, continuation, limit).await?;
        let mut marker = false;
        let mut entries: Vec<Entry> = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .filter_map(|p| p.strip_prefix(prefix.as_str()))
            .map(|name| Entry {
                name: name.trim_end_matches('/').to_owned(),
                is_folder: true,
                size: 0,
                modified: None,
                etag: None,
            })
            .collect();
        for object in out.contents() {
            let Some(name) = object.key().and_then(|k| k.strip_prefix(prefix.as_str())) else {
                continue;
            };
            if name.is_empty() {
                marker = true; // the folder's own marker object
                continue;
            }
            entries.push(Entry {
                name: name.to_owned(),
                is_folder: false,
                size: object.size().unwrap_or(0).max(0) as u64,
                modified: Some(time_of(object.last_modified())),
                // (Some servers, s3s-fs among them, list no ETags.)
                etag: Some(etag_of(object.e_tag())).filter(|e| !e.is_empty()),
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let next = out
            .is_truncated()
            .unwrap_or(false)
            .then(|| out.next_continuation_token().map(str::to_owned))
            .flatten();
        if entries.is_empty() && !marker && continuation.is_none() && !folder.is_root() {
            return Err(StorageError::NotFound);
        }
        Ok(Listing {
            entries,
            continuation: next,
        })
    }

    async fn put(
        &self,
        key: &ObjectKey,
        body: ByteStream,
        content_type: Option<&str>,
    ) -> Result<ObjectMeta> {
        let full = self.full(key);
        let content_type = content_type
            .map(str::to_owned)
            .unwrap_or_else(|| crate::guess_content_type(key.as_str()));
        let mut parts = Parts::new(body, self.part_size);
        let first = parts.next().await?;
        if first.len() < self.part_size {
            self.put_whole(&full, first, &content_type).await?;
        } else {
            self.put_parts(&full, first, parts, &content_type).await?;
        }
        self.stat(key).await
    }

    async fn put_new(&self, key: &ObjectKey, body: Bytes, content_type: &str) -> Result<bool> {
        let sent = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full(key))
            .content_type(content_type)
            .content_length(body.len() as i64)
            .if_none_match("*")
            .body(SdkStream::from(body))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            // 412: the object exists; 409: a concurrent conditional write
            // to the same key is in progress (AWS's ConditionalRequestConflict).
            Err(SdkError::ServiceError(s)) if matches!(s.raw().status().as_u16(), 409 | 412) => {
                Ok(false)
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn create_folder(&self, folder: &FolderKey) -> Result<()> {
        if folder.is_root() {
            return Ok(());
        }
        let key = format!("{}{}", self.prefix, folder.as_str());
        self.put_whole(&key, Bytes::new(), "application/x-directory")
            .await
    }

    async fn walk(
        &self,
        folder: &FolderKey,
        continuation: Option<&str>,
        limit: usize,
    ) -> Result<Walk> {
        let prefix = format!("{}{}", self.prefix, folder.as_str());
        let out = self.list_page(&prefix, false, continuation, limit).await?;
        let objects = out
            .contents()
            .iter()
            .filter_map(|object| {
                // Folder markers (`a/`) and keys no URL can name are skipped.
                let name = object.key()?.strip_prefix(self.prefix.as_str())?;
                let key = ObjectKey::new(name).ok()?;
                Some((
                    key,
                    ObjectMeta {
                        size: object.size().unwrap_or(0).max(0) as u64,
                        modified: time_of(object.last_modified()),
                        etag: etag_of(object.e_tag()),
                        content_type: None,
                    },
                ))
            })
            .collect();
        let continuation = out
            .is_truncated()
            .unwrap_or(false)
            .then(|| out.next_continuation_token().map(str::to_owned))
            .flatten();
        Ok(Walk {
            objects,
            continuation,
        })
    }

    async fn prune_folder(&self, folder: &FolderKey) -> Result<()> {
        if folder.is_root() {
            return Ok(());
        }
        // A folder is its marker objects (`a/`, `a/b/`): delete them all.
        let prefix = format!("{}{}", self.prefix, folder.as_str());
        let mut token = None;
        loop {
            let out = self
                .list_page(&prefix, false, token.as_deref(), 1000)
                .await?;
            for key in out.contents().iter().filter_map(|o| o.key()) {
                if key.ends_with('/') {
                    self.client
                        .delete_object()
                        .bucket(&self.bucket)
                        .key(key)
                        .send()
                        .await
                        .map_err(sdk_error)?;
                }
            }
            token = out.next_continuation_token().map(str::to_owned);
            if !out.is_truncated().unwrap_or(false) || token.is_none() {
                return Ok(());
            }
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        // S3 deletes are idempotent; report a missing key like the fs store.
        self.stat(key).await?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.full(key))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn copy(&self, from: &ObjectKey, to: &ObjectKey) -> Result<ObjectMeta> {
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(self.full(to))
            .copy_source(self.copy_source(from))
            .send()
            .await
            .map_err(sdk_error)?;
        self.stat(to).await
    }

    async fn rename(&self, from: &ObjectKey, to: &ObjectKey) -> Result<ObjectMeta> {
        // S3 has no rename: copy, then delete the source.
        let meta = self.copy(from, to).await?;
        if from != to {
            self.delete(from).await?;
        }
        Ok(meta)
    }

    async fn check(&self) -> Result<()> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(sdk_error)
            .map_err(|e| match e {
                StorageError::NotFound => {
                    StorageError::Unavailable(format!("bucket `{}` does not exist", self.bucket))
                }
                other => other,
            })?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("s3:{}/{}@{}", self.bucket, self.prefix, self.endpoint)
    }
}

/// The signing region: configured, else `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`, else `us-east-1` (empty values skipped).
fn region_of(configured: Option<&str>, env: impl Fn(&str) -> Option<String>) -> String {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|r| !r.trim().is_empty());
    let configured = configured.map(str::to_owned);
    [configured, env("AWS_REGION"), env("AWS_DEFAULT_REGION")]
        .into_iter()
        .find(set)
        .flatten()
        .unwrap_or_else(|| "us-east-1".to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_region_comes_from_config_then_env_then_us_east_1() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let both = &[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "ap-south-1"),
        ];
        assert_eq!(super::region_of(Some("us-west-2"), env(both)), "us-west-2");
        assert_eq!(super::region_of(None, env(both)), "eu-west-1");
        assert_eq!(
            super::region_of(
                None,
                env(&[("AWS_REGION", " "), ("AWS_DEFAULT_REGION", "ap-south-1")])
            ),
            "ap-south-1"
        );
        assert_eq!(super::region_of(None, env(&[])), "us-east-1");
    }

    use super::*;

    #[test]
    fn total_size_comes_from_content_range() {
        assert_eq!(total_of("bytes 6-10/11"), Some(11));
        assert_eq!(total_of("bytes */0"), Some(0));
        assert_eq!(total_of("garbage"), None);
    }

    #[tokio::test]
    async fn parts_are_exact_and_keep_the_rest() {
        let chunks: Vec<std::io::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"abc")),
            Ok(Bytes::from_static(b"defgh")),
            Ok(Bytes::from_static(b"i")),
        ];
        let mut parts = Parts::new(Box::pin(futures_util::stream::iter(chunks)), 4);
        assert_eq!(&parts.next().await.unwrap()[..], b"abcd");
        assert_eq!(&parts.next().await.unwrap()[..], b"efgh");
        assert_eq!(&parts.next().await.unwrap()[..], b"i");
        assert!(parts.next().await.unwrap().is_empty());
    }

    #[test]
    fn copy_sources_are_encoded() {
        let raw = "b/a b/ü+.jpg";
        let enc = percent_encoding::utf8_percent_encode(raw, COPY_SOURCE).to_string();
        assert_eq!(enc, "b/a%20b/%C3%BC%2B.jpg");
    }
}

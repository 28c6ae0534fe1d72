//! Cluster-wide invalidation (`[cluster] redis_url`, docs/scale-out.md): a
//! replica that takes a write through the REST API publishes the file's key
//! on a Redis channel, and every replica that hears it forgets what it had
//! cached from that file. Redis is a messenger only: when it is down,
//! writes are not announced, and replicas fall back to noticing a changed
//! file within `cache.revalidate_after`, as without a cluster. A replica
//! that loses its subscription forgets every source version it had cached
//! once it is back, since it may have missed messages meanwhile.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use secrecy::ExposeSecret;
use signet_storage::ObjectKey;
use tokio::sync::mpsc;

use crate::admin::metrics::Metrics;
use crate::config::ClusterConfig;

/// What a replica does with what it hears: forget one file's caches
/// (`Some`), or every cached source version after a gap (`None`).
pub(crate) type Forget =
    Arc<dyn Fn(Option<ObjectKey>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The first word of every message (and its format's version).
const TAG: &str = "signet-invalidate/1 ";

/// Writes waiting to be announced; past it, announcements are dropped
/// (counted) rather than slowing the API down.
const QUEUE: usize = 10_000;

/// How long a connection attempt to Redis may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Between reconnection attempts.
const RETRY: Duration = Duration::from_secs(1);

/// The publishing half, held by the core.
pub(crate) struct Cluster {
    client: redis::Client,
    channel: String,
    outbox: mpsc::Sender<String>,
    metrics: Arc<Metrics>,
    /// Whether the current Redis outage was logged (it is logged once).
    down: Arc<AtomicBool>,
}

impl Cluster {
    /// Parses the URL and starts the publisher. Nothing is contacted yet.
    pub(crate) fn start(
        config: &ClusterConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Cluster, redis::RedisError> {
        // rustls needs a process-wide provider for `rediss://`; ring is the
        // one already linked. An error means one was installed: keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = redis::Client::open(config.redis_url.expose_secret())?;
        let (outbox, inbox) = mpsc::channel(QUEUE);
        let down = Arc::new(AtomicBool::new(false));
        tokio::spawn(publish(
            client.clone(),
            config.channel.clone(),
            inbox,
            metrics.clone(),
            down.clone(),
        ));
        Ok(Cluster {
            client,
            channel: config.channel.clone(),
            outbox,
            metrics,
            down,
        })
    }

    /// Announces a write to `key` to the other replicas (in the background).
    pub(crate) fn announce(&self, key: &ObjectKey) {
        if self
            .outbox
            .try_send(format!("{TAG}{}", key.as_str()))
            .is_err()
        {
            self.metrics.cluster("dropped");
        }
    }

    /// Listens for other replicas' writes until the process ends.
    pub(crate) fn listen(&self, forget: Forget) {
        tokio::spawn(subscribe(
            self.client.clone(),
            self.channel.clone(),
            forget,
            self.metrics.clone(),
            self.down.clone(),
        ));
    }
}

async fn publish(
    client: redis::Client,
    channel: String,
    mut inbox: mpsc::Receiver<String>,
    metrics: Arc<Metrics>,
    down: Arc<AtomicBool>,
) {
    let mut connection = None;
    while let Some(message) = inbox.recv().await {
        if connection.is_none() {
            connection = connect(&client, &metrics, &down).await;
        }
        let Some(conn) = connection.as_mut() else {
            // Lost: other replicas see the change within revalidate_after.
            metrics.cluster("publish_failure");
            continue;
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(&message)
            .query_async(conn)
            .await;
        match sent {
            Ok(_) => metrics.cluster("published"),
            Err(e) => {
                metrics.cluster("publish_failure");
                outage(&down, &e.to_string());
                connection = None;
            }
        }
    }
}

async fn connect(
    client: &redis::Client,
    metrics: &Metrics,
    down: &AtomicBool,
) -> Option<redis::aio::MultiplexedConnection> {
    match tokio::time::timeout(CONNECT_TIMEOUT, client.get_multiplexed_async_connection()).await {
        Ok(Ok(c)) => Some(c),
        Ok(Err(e)) => {
            metrics.cluster("redis_error");
            outage(down, &e.to_string());
            None
        }
        Err(_) => {
            metrics.cluster("redis_error");
            outage(down, "connection timed out");
            None
        }
    }
}

async fn subscribe(
    client: redis::Client,
    channel: String,
    forget: Forget,
    metrics: Arc<Metrics>,
    down: Arc<AtomicBool>,
) {
    // Whether messages may have been missed since the last subscription.
    let mut missed = false;
    loop {
        let subscribed = async {
            let mut pubsub = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub())
                .await
                .map_err(|_| "connection timed out".to_owned())?
                .map_err(|e| e.to_string())?;
            pubsub
                .subscribe(&channel)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(pubsub)
        }
        .await;
        let pubsub = match subscribed {
            Ok(p) => p,
            Err(e) => {
                metrics.cluster("redis_error");
                outage(&down, &e);
                missed = true;
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        if down.swap(false, Ordering::SeqCst) {
            tracing::info!("redis is reachable again; cluster invalidation resumes");
        }
        if missed {
            forget(None).await;
            metrics.cluster("resync");
        }
        metrics.cluster("subscribed");
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            match parse(message.get_payload_bytes()) {
                Some(key) => {
                    metrics.cluster("received");
                    forget(Some(key)).await;
                }
                None => metrics.cluster("malformed"),
            }
        }
        // The connection ended: messages from now on are missed.
        metrics.cluster("redis_error");
        outage(&down, "the subscription was closed");
        missed = true;
        tokio::time::sleep(RETRY).await;
    }
}

/// Logs the start of an outage once; the metric counts every failure.
fn outage(down: &AtomicBool, reason: &str) {
    if !down.swap(true, Ordering::SeqCst) {
        tracing::warn!(
            reason,
            "redis is not reachable: writes are not announced to other replicas, \
             which fall back to cache.revalidate_after"
        );
    }
}

/// The key a message names, if it is a well-formed announcement.
fn parse(payload: &[u8]) -> Option<ObjectKey> {
    let text = std::str::from_utf8(payload).ok()?;
    ObjectKey::new(text.strip_prefix(TAG)?).ok()
}

#[cfg(test)]
mod tests {
    use super::{parse, TAG};

    #[test]
    fn only_well_formed_announcements_name_a_key() {
        let key = parse(format!("{TAG}public/a b.jpg").as_bytes()).unwrap();
        assert_eq!(key.as_str(), "public/a b.jpg");
        for bad in [
            b"".as_slice(),
            b"public/a.jpg",
            b"signet-invalidate/2 public/a.jpg",
            b"signet-invalidate/1 ",
            b"signet-invalidate/1 ../etc/passwd",
            b"signet-invalidate/1 \xff\xfe",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }
}

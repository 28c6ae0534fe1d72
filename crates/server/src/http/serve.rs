//! Listening: the media and admin sockets, connection settings, and graceful
//! shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::http::body::Body;
use crate::http::error::Error;
use crate::http::finish;
use crate::http::sniff::Sniffed;

/// The client's address, in every request's extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub std::net::SocketAddr);

/// How long in-flight requests may run after a shutdown signal.
pub(crate) const DRAIN_DEADLINE: Duration = Duration::from_secs(30);
/// Largest request head accepted, in bytes (past it: 431).
const MAX_HEAD_BYTES: usize = 32 * 1024;
/// Longest request target accepted, in bytes (past it: 414). Room for an
/// 8 KiB token and a page of options.
pub(crate) const MAX_URI_BYTES: usize = 16 * 1024;

/// What answers the requests of one listener.
pub(crate) trait Handler: Send + Sync + 'static {
    fn call(&self, req: Request<Incoming>) -> impl Future<Output = Response<Body>> + Send;
}

/// Serves `media` and `admin` on their listeners until `shutdown` resolves,
/// then calls `draining` (so `/ready` fails), stops accepting and gives
/// in-flight requests up to [`DRAIN_DEADLINE`].
pub(crate) async fn run<M: Handler, A: Handler>(
    (media, media_listener): (Arc<M>, TcpListener),
    (admin, admin_listener): (Arc<A>, TcpListener),
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
    draining: impl FnOnce(),
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (accepted, is_media) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = media_listener.accept() => (r, true),
            r = admin_listener.accept() => (r, false),
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of descriptors and the like: wait instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (stream, verdict) = Sniffed::new(stream);
        let requests = Arc::new(AtomicUsize::new(0));
        let (media, admin) = (media.clone(), admin.clone());
        let service = service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(Peer(peer));
            let (media, admin) = (media.clone(), admin.clone());
            let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
            let ambiguous = verdict.is_ambiguous(n);
            async move {
                let refusal = if ambiguous {
                    Some(Error::AmbiguousFraming)
                } else {
                    refuse_head(&req)
                };
                if let Some(refusal) = refusal {
                    let mut response = refusal.to_plain();
                    finish(&mut response);
                    return Ok::<_, Infallible>(response);
                }
                Ok::<_, Infallible>(if is_media {
                    media.call(req).await
                } else {
                    admin.call(req).await
                })
            }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .max_buf_size(MAX_HEAD_BYTES)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    draining();
    drop(media_listener);
    drop(admin_listener);
    tracing::info!("shutting down: draining in-flight requests");
    match tokio::time::timeout(DRAIN_DEADLINE, graceful.shutdown()).await {
        Ok(()) => tracing::info!("all connections closed"),
        Err(_) => tracing::warn!("drain deadline passed; closing remaining connections"),
    }
    Ok(())
}

/// Heads refused before any handler runs, each answered with `Connection:
/// close`: a target over [`MAX_URI_BYTES`] (414), header fields over
/// [`MAX_HEAD_BYTES`] (431; hyper's own bound is only checked between reads).
/// Ambiguous framing (`Content-Length` with `Transfer-Encoding`) is caught
/// on the socket by [`Sniffed`], as hyper drops the `Content-Length` before
/// a handler could see both.
fn refuse_head<B>(req: &Request<B>) -> Option<Error> {
    let uri_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return Some(Error::UriTooLong {
            limit: MAX_URI_BYTES,
        });
    }
    let fields: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if fields > MAX_HEAD_BYTES {
        return Some(Error::HeaderFieldsTooLarge {
            limit: MAX_HEAD_BYTES,
        });
    }
    None
}

/// Resolves on SIGTERM or SIGINT.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

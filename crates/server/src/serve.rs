//! Listening: the media and admin sockets, connection settings, and graceful
//! shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::app::App;
use crate::sniff::Sniffed;

/// How long in-flight requests may run after a shutdown signal.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(30);
/// Largest request head accepted, in bytes (past it: 431).
const MAX_HEAD_BYTES: usize = 32 * 1024;
/// Longest request target accepted, in bytes (past it: 414). Room for an
/// 8 KiB token and a page of options.
pub const MAX_URI_BYTES: usize = 16 * 1024;

#[derive(Clone, Copy)]
enum Listener {
    Media,
    Admin,
}

/// Serves both listeners until `shutdown` resolves, then drains.
pub async fn run(
    app: Arc<App>,
    media: TcpListener,
    admin: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let header_read_timeout = app.config().limits.header_read_timeout;
    tokio::pin!(shutdown);
    loop {
        let (accepted, which) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = media.accept() => (r, Listener::Media),
            r = admin.accept() => (r, Listener::Admin),
        };
        let (stream, _peer) = match accepted {
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
        let app = app.clone();
        let service = service_fn(move |req| {
            let app = app.clone();
            let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
            let ambiguous = verdict.is_ambiguous(n);
            async move {
                if ambiguous {
                    let why = "both Content-Length and Transfer-Encoding: ambiguous framing";
                    return Ok::<_, Infallible>(closing(http::StatusCode::BAD_REQUEST, why));
                }
                if let Some(refusal) = refuse_head(&req) {
                    return Ok::<_, Infallible>(refusal);
                }
                Ok::<_, Infallible>(match which {
                    Listener::Media => app.media(req).await,
                    Listener::Admin => app.admin(req).await,
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
    app.stop_accepting();
    drop(media);
    drop(admin);
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
/// on the socket by [`Sniffed`], as hyper hides it from handlers.
fn refuse_head<B>(req: &hyper::Request<B>) -> Option<hyper::Response<crate::Body>> {
    use http::StatusCode;
    let uri_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_len > MAX_URI_BYTES {
        let why = format!("request target longer than {MAX_URI_BYTES} bytes");
        return Some(closing(StatusCode::URI_TOO_LONG, &why));
    }
    let fields: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if fields > MAX_HEAD_BYTES {
        let why = format!("request header fields longer than {MAX_HEAD_BYTES} bytes");
        return Some(closing(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, &why));
    }
    let h = req.headers();
    if h.contains_key(http::header::CONTENT_LENGTH)
        && h.contains_key(http::header::TRANSFER_ENCODING)
    {
        let why = "both Content-Length and Transfer-Encoding: ambiguous framing";
        return Some(closing(StatusCode::BAD_REQUEST, why));
    }
    None
}

/// A plain-text error that closes the connection.
fn closing(status: http::StatusCode, why: &str) -> hyper::Response<crate::Body> {
    let mut r = hyper::Response::new(crate::body::full(format!("{why}\n")));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        "x-content-type-options",
        http::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    r
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
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

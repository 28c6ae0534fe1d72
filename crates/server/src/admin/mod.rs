//! The admin listener: `/health`, `/ready`, `/metrics` (`metrics`, with the
//! allocator's figures from `memory`), the web console (`console`) and the
//! REST API under `/v2/` (`api`). Never reachable from the media listener.

pub(crate) mod api;
mod console;
pub(crate) mod memory;
pub(crate) mod metrics;

use std::sync::Arc;
use std::time::Instant;

use http::{header, HeaderMap, HeaderValue, Method, Request, Response};
use hyper::body::Incoming;

use crate::admin::api::{Api, RequestBody};
use crate::admin::metrics::ReasonLabels;
use crate::core::Core;
use crate::http::body::{empty, full, plain, Body};
use crate::http::error::Error;
use crate::http::finish;
use crate::http::serve::Handler;
use crate::http::serve::Peer;

/// The admin listener's handler.
pub struct Admin {
    core: Arc<Core>,
    /// The REST API, when `api.client_secret` is set.
    api: Option<Api>,
}

impl Handler for Admin {
    async fn call(&self, req: Request<Incoming>) -> Response<Body> {
        self.handle(req).await
    }
}

impl Admin {
    pub fn new(core: Arc<Core>) -> Admin {
        let api = Api::new(&core.config.api);
        Admin { core, api }
    }

    /// Answers one request; errors are plain text, or JSON under `/v2/`.
    pub async fn handle<B: RequestBody>(&self, req: Request<B>) -> Response<Body> {
        let started = Instant::now();
        let path = req.uri().path().to_owned();
        let mut api_headers = HeaderMap::new();
        let (route, result) = if path.starts_with("/v2/") {
            ("api", self.api(req, &mut api_headers).await)
        } else if let Some(result) = console::handle(&self.core.config, req.method(), &path) {
            ("console", result)
        } else {
            let get = matches!(*req.method(), Method::GET | Method::HEAD);
            match path.as_str() {
                "/health" if get => ("health", Ok(plain("ok"))),
                "/ready" if get => ("ready", self.ready().await),
                "/metrics" if get => ("metrics", Ok(self.metrics_text().await)),
                _ => ("admin", Err(Error::NoRoute("not found".to_owned()))),
            }
        };
        let mut response = match result {
            Ok(r) => r,
            Err(error) => {
                if let Some(reason) = error.auth_label() {
                    self.core
                        .metrics
                        .auth_failures
                        .get_or_create(&ReasonLabels { reason })
                        .inc();
                }
                if route == "api" {
                    error.to_json()
                } else {
                    error.to_plain()
                }
            }
        };
        response.headers_mut().extend(api_headers);
        finish(&mut response);
        let seconds = started.elapsed().as_secs_f64();
        self.core
            .metrics
            .request(route, response.status().as_u16(), seconds);
        response
    }

    /// The REST API, behind its rate limit; `headers` gets the rate-limit
    /// and CORS headers, which go on every answer, errors included.
    async fn api<B: RequestBody>(
        &self,
        req: Request<B>,
        headers: &mut HeaderMap,
    ) -> Result<Response<Body>, Error> {
        let Some(api) = &self.api else {
            return Err(Error::NoRoute(
                "the REST API is disabled: set api.client_id and api.client_secret".to_owned(),
            ));
        };
        let origin = req.headers().get(header::ORIGIN).cloned();
        if req.method() == Method::OPTIONS && api.cors.is_on() {
            let mut r = Response::new(empty());
            *r.status_mut() = http::StatusCode::NO_CONTENT;
            api.cors.preflight(req.headers(), r.headers_mut());
            return Ok(r);
        }
        api.cors.headers(origin.as_ref(), headers);
        let peer = req.extensions().get::<Peer>().map(|p| p.0.ip());
        if let Some(verdict) = api.limiter.take(peer, Instant::now()) {
            verdict.headers(headers);
            if !verdict.allowed {
                return Err(Error::TooManyRequests {
                    retry_after: verdict.retry_after,
                });
            }
        }
        api::handle(&self.core, api, req).await
    }

    async fn ready(&self) -> Result<Response<Body>, Error> {
        if self.core.is_draining() {
            return Err(Error::NotReady("shutting down".to_owned()));
        }
        match self.core.store.check().await {
            Ok(()) => Ok(plain("ready")),
            Err(e) => {
                tracing::warn!(error = %e, "readiness check failed");
                Err(Error::NotReady(format!("storage unreachable: {e}")))
            }
        }
    }

    async fn metrics_text(&self) -> Response<Body> {
        let (bytes, entries) = self.core.engine.cache_size().await;
        let metrics = &self.core.metrics;
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        metrics.cache_bytes.set(gauge(bytes));
        metrics.cache_entries.set(gauge(entries));
        if let Some(m) = memory::read() {
            metrics.memory_allocated.set(gauge(m.allocated));
            metrics.memory_active.set(gauge(m.active));
            metrics.memory_resident.set(gauge(m.resident));
        }
        let mut r = Response::new(full(metrics.render()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        );
        r
    }
}

#[cfg(test)]
mod tests;

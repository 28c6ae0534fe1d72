//! The signet application as a library: configuration, the command line, the
//! HTTP server with its auth gate, and the handlers. Only this crate knows HTTP.

// Data from clients and buckets must never panic the server.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod api;
mod app;
mod body;
pub mod cli;
pub mod config;
mod console;
mod gate;
pub mod logging;
mod memory;
mod metrics;
mod originals;
mod path;
mod profiles;
mod query;
mod reject;
pub mod serve;
mod sniff;
mod srcset;
mod urls;
mod variants;

pub use api::RequestBody;
pub use app::{App, StartError};
pub use body::Body;
pub use config::{Config, ConfigError, Overrides};
pub use metrics::Metrics;

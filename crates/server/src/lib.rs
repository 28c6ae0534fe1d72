//! The signet application as a library: configuration (`config`), the
//! shared state (`core`), the HTTP layer both listeners use (`http`), the
//! media listener's request flow (`media`), the admin listener with the REST
//! API (`admin`), URL signing (`links`), invalidation across replicas
//! (`cluster`) and the command line (`cli`). Only
//! this crate knows HTTP. docs/ARCHITECTURE.md maps it.

// Data from clients and buckets must never panic the server.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub(crate) mod catalog;
pub mod cli;
pub(crate) mod cluster;
pub mod config;
pub mod core;
pub(crate) mod http;
pub(crate) mod links;
pub mod logging;
pub mod media;

#[cfg(test)]
mod tidy;

pub use crate::core::{Core, StartError};
pub use admin::api::RequestBody;
pub use admin::Admin;
pub use config::{Config, ConfigError, Overrides};
pub use http::body::Body;
pub use media::Media;

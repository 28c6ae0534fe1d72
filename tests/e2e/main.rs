//! End-to-end tests: the real `signet` binary on loopback, driven over HTTP.

// Helpers are `pub` for the sibling modules of this test binary.
#![allow(unreachable_pub)]

mod animation;
mod api;
mod auth;
mod bad_input;
mod browser;
mod catalog;
mod cli;
mod cluster;
mod faces;
mod faults;
mod formats;
mod harness;
mod hostile_images;
mod hostile_tokens;
mod observability;
mod originals;
mod pipeline;
mod posters;
mod protocol;
mod s3;
mod tokens;
mod variants;
mod video;

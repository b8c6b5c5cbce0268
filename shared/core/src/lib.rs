//! Core of the Power Platform audit log sync: configuration, Entra tokens, the Management
//! Activity API client, storage, and the operations the functions run. It knows nothing of
//! Lambda: the `audit-lambda` crate is the edge, and the function binaries wire the two.

#![warn(missing_docs)]

pub mod api;
pub mod auth;
pub mod certificate;
pub mod cloud;
pub mod config;
pub mod env;
pub mod http;
pub mod report;
pub mod retry;
pub mod secret;
pub mod session;
pub mod store;
pub mod subscription;
pub mod sync;
pub mod tenant;

pub use audit_records as records;

//! Core of the Power Platform audit log sync: configuration, Entra tokens, the Management
//! Activity API client, and the operations the functions run. The function binaries only wire
//! these together.

pub mod api;
pub mod auth;
pub mod cloud;
pub mod config;
pub mod http;
pub mod logging;
pub mod report;
pub mod retry;
pub mod runtime;
pub mod secret;
pub mod session;
pub mod store;
pub mod subscription;
pub mod sync;

pub use audit_records as records;

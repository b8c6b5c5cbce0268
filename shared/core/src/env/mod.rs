//! The functions' environment: [`table`] lists every variable once (who reads it, its default,
//! what it means), and [`Env`] is the one way code reads them, so that unset and empty mean the
//! same everywhere and every problem names the variable and what it expects.
//!
//! The README's configuration table and the template's environment blocks are held to
//! [`table::VARS`] by a test, so the three cannot drift apart.

mod reader;
pub mod table;

pub use reader::{ConfigError, Env, is_guid, is_loopback};
pub use table::{DefaultValue, Function, VARS, Var};

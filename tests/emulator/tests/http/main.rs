//! End-to-end tests of the emulator over real HTTP.

mod binary;
mod common;
mod content;
mod faults;
mod subscriptions;
mod token;
mod truth;

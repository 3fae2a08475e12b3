//! The chatz demo's own code, compiled in by path: its wire protocol (which
//! the host's client speaks) and its server (which `--demo` runs).
#![allow(dead_code)] // the host uses part of each

// The server's peer log, loaded once for both servers (in main.rs).
use super::peers;
#[path = "../chatz/proto.rs"]
pub mod proto;
#[path = "../chatz/server.rs"]
pub mod server;

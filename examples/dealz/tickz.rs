//! The tickz demo's own code, compiled in by path: its wire protocol (which
//! the host's subscriber speaks) and its server (which `--demo` runs).
#![allow(dead_code)] // the host uses part of each

#[path = "../common/clock.rs"]
mod clock;
// The server's peer log, loaded once for both servers (in main.rs).
use super::peers;
#[path = "../tickz/proto.rs"]
pub mod proto;
#[path = "../tickz/server.rs"]
pub mod server;

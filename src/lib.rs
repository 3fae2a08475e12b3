//! Safe Rust bindings for ZeroMQ.
#![deny(missing_docs)]

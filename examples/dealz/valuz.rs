//! The valuz demo's own code, compiled in by path: its wire protocol (the
//! host is the source and the reduce) and its worker, which the host runs
//! as `dealz --valuz-worker PULL PUSH CONTROL` when no `valuz` program sits
//! next to it.
#![allow(dead_code)] // the host uses part of each

#[path = "../valuz/proto.rs"]
pub mod proto;
#[path = "../valuz/worker.rs"]
mod worker;

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// The worker's main: values orders until `batch.leave`.
pub fn run_worker(endpoints: &[String]) -> ExitCode {
    let [pull, push, control] = endpoints else {
        eprintln!("dealz worker: expected PULL PUSH CONTROL endpoints");
        return ExitCode::from(2);
    };
    let ctx = zmq::Context::new();
    let outcome = worker::Worker::connect(&ctx, pull, push, control).and_then(|worker| {
        worker.run(&AtomicBool::new(false), &|line| {
            eprintln!("dealz worker: {line}")
        })
    });
    match outcome {
        Ok(valued) => {
            eprintln!("dealz worker: valued {valued} orders; leaving");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dealz worker: {e}");
            ExitCode::FAILURE
        }
    }
}

//! The hello examples run to the end: `hello_pipeline` used to hang in about
//! a third of its runs (two stops pushed round-robin could reach one worker).

mod demo_support;

use demo_support::{example, Proc};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 50;
/// Runs started together: enough to stay short, few enough for a 2-core box.
const BATCH: usize = 10;
const EACH_WITHIN: Duration = Duration::from_secs(10);

#[test]
fn hello_pipeline_finishes_every_run_within_ten_seconds() {
    let program = example("hello_pipeline");
    for batch in 0..RUNS / BATCH {
        let runs: Vec<(Instant, Proc)> = (0..BATCH)
            .map(|i| {
                let name = format!("hello_pipeline run {}", batch * BATCH + i);
                (Instant::now(), Proc::spawn(&name, Command::new(&program)))
            })
            .collect();
        for (started, mut run) in runs {
            let left = EACH_WITHIN.saturating_sub(started.elapsed());
            let status = run.wait(left);
            assert!(status.success(), "{}: {status}", run.name);
            let results = run.seen_out.iter().filter(|l| l.contains("² =")).count();
            assert_eq!(results, 6, "{}: {:#?}", run.name, run.seen_out);
            assert_eq!(
                run.seen_out.last().map(String::as_str),
                Some("all 2 workers stopped")
            );
        }
    }
}

//! The async examples: `async_echo` (server and client), and the async chatz
//! client (`chatz client --async`, examples/chatz/async_client.rs) against the
//! blocking chatz server: in-process, two async clients talk and end once
//! their posts are out; as a process, the `--async` flag runs it with the
//! blocking client's options, next to a blocking `--plain` client.
#![cfg(feature = "tokio")]

mod demo_support;

// The demo's own modules, compiled into this test.
#[allow(dead_code)]
#[path = "../examples/chatz/async_client.rs"]
mod async_client;
#[allow(dead_code)]
#[path = "../examples/chatz/client.rs"]
mod client;
#[allow(dead_code)]
#[path = "../examples/common/link.rs"]
mod link;
#[allow(dead_code)]
#[path = "../examples/common/peers.rs"]
mod peers;
#[allow(dead_code)]
#[path = "../examples/chatz/proto.rs"]
mod proto;
#[allow(dead_code)]
#[path = "../examples/chatz/server.rs"]
mod server;

use async_client::{Ending, Line};
use demo_support::{example, Proc};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const LONG: Duration = Duration::from_secs(30);

/// A chatz server on its own thread; stops when dropped.
struct Running {
    router: String,
    feed: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(ctx: &zmq::Context) -> Running {
    let log: server::Log = Box::new(|line| eprintln!("[server] {line}"));
    let mut chat = server::ChatServer::bind(
        ctx,
        "tcp://127.0.0.1:*",
        "tcp://127.0.0.1:*",
        Duration::from_secs(1),
        log,
    )
    .expect("bind");
    let (router, feed) = (chat.router_endpoint.clone(), chat.publish_endpoint.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let thread = std::thread::spawn(move || chat.run(&stopping).expect("server run"));
    Running {
        router,
        feed,
        stop,
        thread: Some(thread),
    }
}

#[test]
fn two_async_clients_talk_and_end_once_their_posts_are_out() {
    let ctx = zmq::Context::new();
    let running = serve(&ctx);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let start = |handle: &'static str| {
            let (lines, input) = mpsc::channel(8);
            let (shown_tx, shown) = mpsc::unbounded_channel();
            let (ctx, router, feed) = (ctx.clone(), running.router.clone(), running.feed.clone());
            let task = tokio::spawn(async move {
                let show = move |line| {
                    let _ = shown_tx.send(line);
                };
                async_client::run(&ctx, handle, &router, &feed, None, input, show).await
            });
            (lines, shown, task)
        };
        let (alice_says, mut alice_sees, alice) = start("alice");
        let (bob_says, mut bob_sees, bob) = start("bob");

        async fn wait_for(seen: &mut mpsc::UnboundedReceiver<Line>, want: Line) {
            let found = tokio::time::timeout(LONG, async {
                while let Some(line) = seen.recv().await {
                    if line == want {
                        return;
                    }
                }
                panic!("the client ended before showing {want:?}");
            })
            .await;
            assert!(found.is_ok(), "never saw {want:?}");
        }
        wait_for(
            &mut alice_sees,
            Line::Err("chatz: here now: alice, bob".into()),
        )
        .await;
        wait_for(
            &mut bob_sees,
            Line::Err("chatz: here now: alice, bob".into()),
        )
        .await;

        alice_says.send("hello bob".into()).await.unwrap();
        wait_for(&mut bob_sees, Line::Out("alice: hello bob".into())).await;
        bob_says.send("hi alice".into()).await.unwrap();
        bob_says.send("and again".into()).await.unwrap();
        wait_for(&mut alice_sees, Line::Out("bob: hi alice".into())).await;
        wait_for(&mut alice_sees, Line::Out("bob: and again".into())).await;

        // The end of input ends a client once its posts are out.
        drop(bob_says);
        let ended = tokio::time::timeout(LONG, bob).await.expect("bob ends");
        assert_eq!(ended.unwrap().unwrap(), Ending::Delivered);
        drop(alice_says);
        let ended = tokio::time::timeout(LONG, alice).await.expect("alice ends");
        assert_eq!(ended.unwrap().unwrap(), Ending::Delivered);
    });
}

#[test]
fn the_async_flag_talks_to_a_blocking_plain_client() {
    let ctx = zmq::Context::new();
    let running = serve(&ctx);
    let client = |handle: &str, mode: &str| {
        let mut cmd = Command::new(example("chatz"));
        cmd.args(["client", mode, "--handle", handle]).args([
            "--server",
            &running.router,
            "--feed",
            &running.feed,
        ]);
        Proc::spawn(handle, cmd)
    };
    let mut carol = client("carol", "--async");
    let mut dave = client("dave", "--plain");
    carol.expect_err(LONG, |l| l == "chatz: connected");
    carol.expect_err(LONG, |l| l.contains("carol, dave"));
    dave.expect_err(LONG, |l| l.contains("carol, dave"));
    carol.send_line("from the async client");
    dave.expect_out(LONG, |l| l == "carol: from the async client");
    dave.send_line("from the blocking one");
    carol.expect_out(LONG, |l| l == "dave: from the blocking one");
    carol.close_stdin();
    assert!(carol.wait(LONG).success(), "the async client failed");
    dave.close_stdin();
    assert!(dave.wait(LONG).success());
}

#[test]
fn the_async_echo_example_echoes_in_one_process_and_across_two() {
    let mut both = Proc::spawn("async_echo", Command::new(example("async_echo")));
    both.expect_out(LONG, |l| l.starts_with("10 echoes in"));
    assert!(both.wait(LONG).success());
    assert_eq!(both.seen_out[0], "echo 0");

    // A server process on a free port, and a client process streaming to it.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let mut server = Command::new(example("async_echo"));
    server.args(["server", "--bind", &endpoint]);
    let mut server = Proc::spawn("echo server", server);
    server.expect_err(LONG, |l| l.contains("serving on"));
    let mut client = Command::new(example("async_echo"));
    client.args(["client", "--connect", &endpoint, "--count", "10000"]);
    let mut client = Proc::spawn("echo client", client);
    client.expect_out(LONG, |l| l.starts_with("10000 echoes in"));
    assert!(client.wait(LONG).success());
}

/// Runs `perf ARGS` (built with the `tokio` feature) and returns its stdout.
fn perf(args: &[&str]) -> String {
    let output = Command::new(example("perf"))
        .args(args)
        .env_remove("ZMQ_PERF_PAYLOAD")
        .output()
        .expect("run perf");
    let text = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(output.status.success(), "perf {args:?} failed:\n{text}");
    text
}

fn free_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("tcp://{}", listener.local_addr().unwrap())
}

/// The lines of `text`, each with its number replaced by `N`.
fn shape(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| match line.split_once(": ") {
            Some((label, value)) => {
                let unit = value.split_once(' ').map_or("", |(_, unit)| unit);
                format!("{label}: N {unit}")
            }
            None => line.to_owned(),
        })
        .collect()
}

#[test]
fn the_async_perf_programs_print_what_the_blocking_ones_print() {
    for (blocking, asynchronous) in [
        (
            perf(&["inproc_thr", "64", "20000"]),
            perf(&["async_inproc_thr", "64", "20000"]),
        ),
        (
            perf(&["inproc_lat", "64", "2000"]),
            perf(&["async_inproc_lat", "64", "2000"]),
        ),
    ] {
        assert_eq!(shape(&asynchronous), shape(&blocking));
        assert!(
            asynchronous.contains("message size: 64 [B]"),
            "{asynchronous}"
        );
    }

    // The tcp pairs, async on both ends.
    let endpoint = free_endpoint();
    let local = Command::new(example("perf"))
        .args(["async_local_thr", &endpoint, "64", "20000"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    perf(&["async_remote_thr", &endpoint, "64", "20000"]);
    let output = local.wait_with_output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("message count: 20000"), "{text}");
    assert!(text.contains("mean throughput:"), "{text}");

    let endpoint = free_endpoint();
    let local = Command::new(example("perf"))
        .args(["async_local_lat", &endpoint, "64", "500"])
        .spawn()
        .unwrap();
    let text = perf(&["async_remote_lat", &endpoint, "64", "500"]);
    assert!(text.contains("roundtrip count: 500"), "{text}");
    assert!(text.contains("average latency:"), "{text}");
    assert!(local.wait_with_output().unwrap().status.success());
}

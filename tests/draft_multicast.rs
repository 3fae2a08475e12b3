//! tickz over UDP multicast between network namespaces (draft): one RADIO
//! publisher and two DISHes, each in a namespace of its own, joined by a
//! bridge; each DISH receives the groups (symbols) it joined and no other.
//!
//! The test builds its own network and always removes it (a guard that
//! deletes the namespaces on drop, panics included):
//!
//! ```text
//!   ns "pub"  10.99.0.1 eth0 ─┐
//!   ns "d1"   10.99.0.2 eth0 ─┼─ br0 (ns "hub", multicast snooping off)
//!   ns "d2"   10.99.0.3 eth0 ─┘
//!   every leaf: lo up, route 224.0.0.0/4 dev eth0
//! ```
//!
//! It needs root (CAP_SYS_ADMIN for `ip netns add`, CAP_NET_ADMIN for the
//! links) and iproute2's `ip`. Without them it FAILS, saying so: a skipped
//! proof is no proof. CI runs it as root (`.ci/run` installs iproute2).
#![cfg(zmq_draft)]

mod demo_support;

use demo_support::{example, Proc};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A watchdog for a child's life, not a speed claim.
const LONG: Duration = Duration::from_secs(60);

/// The multicast group the RADIO sends to and the DISHes bind.
const GROUP: &str = "udp://239.0.0.1:9013";

/// Runs `ip ARGS`, failing the test with its stderr (and what privilege it
/// needs) when it does not succeed.
fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `ip` ({e}): this test needs iproute2 (apt-get install iproute2)")
    });
    assert!(
        out.status.success(),
        "`ip {}` failed: {}\nThis test creates network namespaces, which needs root \
         (CAP_SYS_ADMIN and CAP_NET_ADMIN): run it as root, as CI does.",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

/// Network namespaces made by this test, deleted when it ends (with their
/// links: a veth goes with its namespace), whether it passed or panicked.
struct Namespaces {
    prefix: String,
    created: Vec<String>,
}

impl Namespaces {
    fn new() -> Namespaces {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        Namespaces {
            // Unique per process and per test, short enough for the names.
            prefix: format!(
                "zmqmc-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
            created: Vec::new(),
        }
    }

    /// Creates the namespace `ROLE` (its full name returned) with `lo` up.
    fn add(&mut self, role: &str) -> String {
        let name = format!("{}-{role}", self.prefix);
        ip(&["netns", "add", &name]);
        self.created.push(name.clone());
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        name
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in self.created.iter().rev() {
            match Command::new("ip").args(["netns", "del", name]).status() {
                Ok(status) if status.success() => {}
                other => eprintln!("could not delete network namespace {name}: {other:?}"),
            }
        }
    }
}

/// Builds the bridge in `hub` and plugs each leaf into it with a veth pair:
/// `eth0` in the leaf with `address`, the other end a port of `br0`.
fn wire(hub: &str, leaves: &[(&str, &str)]) {
    ip(&[
        "-n",
        hub,
        "link",
        "add",
        "br0",
        "type",
        "bridge",
        "mcast_snooping",
        "0",
    ]);
    ip(&["-n", hub, "link", "set", "br0", "up"]);
    for (i, (leaf, address)) in leaves.iter().enumerate() {
        let port = format!("port{i}");
        ip(&[
            "-n", hub, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", leaf,
        ]);
        ip(&["-n", hub, "link", "set", &port, "master", "br0"]);
        ip(&["-n", hub, "link", "set", &port, "up"]);
        ip(&["-n", leaf, "addr", "add", address, "dev", "eth0"]);
        ip(&["-n", leaf, "link", "set", "eth0", "up"]);
        ip(&["-n", leaf, "route", "add", "224.0.0.0/4", "dev", "eth0"]);
    }
}

/// `tickz ARGS` inside namespace `ns`.
fn tickz_in(ns: &str, tickz: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns]).arg(tickz).args(args);
    cmd
}

/// The symbols of a plain client's lines (`SYMBOL PRICE TIME`).
fn symbols_of(lines: &[String]) -> BTreeSet<String> {
    lines
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 3, "not a tick line: {line}");
            fields[0].to_owned()
        })
        .collect()
}

/// The network above: the namespaces (deleted on drop) and the names of
/// the publisher's and the two DISHes' namespaces.
fn network() -> (Namespaces, String, String, String) {
    let mut namespaces = Namespaces::new();
    let hub = namespaces.add("hub");
    let publisher_ns = namespaces.add("pub");
    let dish1_ns = namespaces.add("d1");
    let dish2_ns = namespaces.add("d2");
    wire(
        &hub,
        &[
            (&publisher_ns, "10.99.0.1/24"),
            (&dish1_ns, "10.99.0.2/24"),
            (&dish2_ns, "10.99.0.3/24"),
        ],
    );
    (namespaces, publisher_ns, dish1_ns, dish2_ns)
}

/// `tickz server --radio GROUP` in `publisher_ns`, once it publishes.
fn radio_server(publisher_ns: &str, tickz: &Path) -> Proc {
    let server_args = [
        "server",
        "--bind",
        "tcp://127.0.0.1:*",
        "--interval",
        "20",
        "--radio",
        GROUP,
    ];
    let mut server = Proc::spawn(
        "tickz radio server",
        tickz_in(publisher_ns, tickz, &server_args),
    );
    server.expect_err(LONG, |l| l.contains("publishing on"));
    server
}

#[test]
fn two_dishes_in_other_namespaces_each_get_only_their_groups_by_multicast() {
    // Built before the network exists, so its build time is not the
    // network's lifetime.
    let tickz = example("tickz");

    let (_namespaces, publisher_ns, dish1_ns, dish2_ns) = network();

    // The children are declared after the namespaces, so they are killed
    // (dropped) before the namespaces are deleted.
    let mut server = radio_server(&publisher_ns, &tickz);

    let client = |ns: &str, symbols: &[&str]| {
        let mut args = vec!["client", "--plain", "--count", "20", "--dish", GROUP];
        args.extend_from_slice(symbols);
        Proc::spawn(&format!("tickz dish in {ns}"), tickz_in(ns, &tickz, &args))
    };
    let mut dish1 = client(&dish1_ns, &["AAPL"]);
    let mut dish2 = client(&dish2_ns, &["GOOG", "MSFT"]);

    for (dish, want) in [
        (&mut dish1, &["AAPL"][..]),
        (&mut dish2, &["GOOG", "MSFT"][..]),
    ] {
        let status = dish.wait(LONG);
        assert!(
            status.success() && dish.seen_out.len() == 20,
            "{status}: {}; the server: {}",
            dish.report(),
            server.report()
        );
        // 20 ticks of one symbol, or of two (two per round of five), hold
        // each joined symbol and nothing else.
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(symbols_of(&dish.seen_out), want, "{}", dish.name);
    }
}

/// What the async DISH helper below needs: `ENDPOINT GROUP...`.
#[cfg(feature = "tokio")]
const ASYNC_DISH_ENV: &str = "ZMQ_TEST_ASYNC_DISH";

/// How many ticks each async DISH waits for.
#[cfg(feature = "tokio")]
const ASYNC_TICKS: usize = 20;

/// The async DISH (`zmq::tokio::AsyncThreadSafeSocket`) in the multicast
/// network: the test binary runs itself inside each DISH's namespace (the
/// helper below), and each gets only the groups it joined.
#[cfg(feature = "tokio")]
#[test]
fn async_dishes_in_other_namespaces_each_get_only_their_groups_by_multicast() {
    let tickz = example("tickz");
    let this_test = std::env::current_exe().expect("the test binary's path");

    let (_namespaces, publisher_ns, dish1_ns, dish2_ns) = network();
    let mut server = radio_server(&publisher_ns, &tickz);

    let dish = |ns: &str, groups: &str| {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns])
            .arg(&this_test)
            .args(["--exact", "async_dish_helper", "--ignored", "--nocapture"])
            .env(ASYNC_DISH_ENV, format!("{GROUP} {groups}"));
        Proc::spawn(&format!("async dish in {ns}"), cmd)
    };
    let mut dish1 = dish(&dish1_ns, "AAPL");
    let mut dish2 = dish(&dish2_ns, "GOOG MSFT");
    for (dish, want) in [
        (&mut dish1, &["AAPL"][..]),
        (&mut dish2, &["GOOG", "MSFT"][..]),
    ] {
        let status = dish.wait(LONG);
        let groups: Vec<String> = dish
            .seen_out
            .iter()
            .filter_map(|line| line.strip_prefix("async-dish group "))
            .map(str::to_owned)
            .collect();
        assert!(
            status.success() && groups.len() == ASYNC_TICKS,
            "{status}: {}; the server: {}",
            dish.report(),
            server.report()
        );
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            groups.into_iter().collect::<BTreeSet<_>>(),
            want,
            "{}",
            dish.name
        );
    }
}

/// Run by the test above inside a DISH's namespace (it sets
/// `ZMQ_TEST_ASYNC_DISH`): an async DISH binds the multicast group, joins
/// the groups, and prints the group of each of the ticks it receives.
#[cfg(feature = "tokio")]
#[test]
#[ignore = "a helper, run inside a network namespace by the test above"]
fn async_dish_helper() {
    let spec = std::env::var(ASYNC_DISH_ENV).expect("ZMQ_TEST_ASYNC_DISH: run by the test above");
    let mut words = spec.split(' ');
    let endpoint = words.next().expect("an endpoint");
    let groups: Vec<&str> = words.collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let ctx = zmq::Context::new();
        let dish = ctx
            .async_thread_safe_socket(zmq::SocketType::Dish)
            .expect("an async DISH");
        dish.bind(endpoint)
            .expect("the DISH binds the multicast group");
        for group in &groups {
            dish.join(group).expect("the DISH joins");
        }
        for _ in 0..ASYNC_TICKS {
            let tick = tokio::time::timeout(LONG, dish.recv())
                .await
                .expect("a tick within the watchdog")
                .expect("a received tick");
            println!("async-dish group {}", tick.group().unwrap_or("(none)"));
        }
    });
}

//! dealz in a real browser: headless Chromium driven over WebDriver
//! (chromedriver + fantoccini), against a dealz host and real tickz and
//! chatz servers in their own processes, with pyzmq peers.
//!
//! Needs `chromium` and `chromium-driver` (Debian's packages; `.ci/run`
//! installs them). Screenshots go to `target/dealz-screenshots/`.
//!
//! Unix only: it drives Chromium and stops processes with signals (`kill`),
//! and locks with `flock`; neither Chromium nor Python runs under wine, where
//! the Windows suite is tested.
#![cfg(unix)]

mod demo_support;
mod watchdog;

use demo_support::{endpoints_in, example, python, Proc};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Each test runs a browser; one at a time keeps a small machine responsive.
static ONE_BROWSER_AT_A_TIME: Mutex<()> = Mutex::new(());
/// The watchdog of every test.
const TEST_LIMIT: Duration = Duration::from_secs(240);
/// Generous waits for things that take a moment on a loaded machine.
const LONG: Duration = Duration::from_secs(30);

/// Runs `test` under the watchdog, one browser test at a time, on a runtime.
fn browser_test<F, Fut>(test: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let _one = ONE_BROWSER_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    watchdog::within(TEST_LIMIT, move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(test());
    });
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn screenshot_dir() -> PathBuf {
    // target/<profile>/deps/demo_dealz-hash → target/dealz-screenshots
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf();
    let dir = target.join("dealz-screenshots");
    std::fs::create_dir_all(&dir).expect("creating the screenshot directory");
    dir
}

/// A tickz server (ticks every `interval_ms`) at `bind`, with `extra` options.
fn tickz_server(bind: &str, interval_ms: u64, extra: &[String]) -> (Proc, String) {
    let mut cmd = Command::new(example("tickz"));
    cmd.args([
        "server",
        "--bind",
        bind,
        "--interval",
        &interval_ms.to_string(),
    ]);
    cmd.args(extra);
    let mut server = Proc::spawn("tickz server", cmd);
    let endpoint = server.endpoints_on_err("publishing on").remove(0);
    (server, endpoint)
}

/// A chatz server at `router` and `feed`, with `extra` options: (process,
/// router endpoint, feed endpoint).
fn chatz_server(router: &str, feed: &str, extra: &[String]) -> (Proc, String, String) {
    let mut cmd = Command::new(example("chatz"));
    cmd.args(["server", "--router", router, "--publish", feed]);
    cmd.args(extra);
    let mut server = Proc::spawn("chatz server", cmd);
    let mut endpoints = server.endpoints_on_err("requests on");
    assert_eq!(endpoints.len(), 2, "{endpoints:?}");
    let feed = endpoints.remove(1);
    (server, endpoints.remove(0), feed)
}

/// A dealz host and the servers it uses.
struct Desk {
    host: Proc,
    url: String,
    tickz: Option<Proc>,
    tickz_endpoint: String,
    chatz: Option<Proc>,
    chatz_router: String,
    chatz_feed: String,
    control_endpoint: String,
}

fn start_desk(handle: &str, extra: &[&str]) -> Desk {
    start_desk_with(example("dealz"), handle, extra, &[], &[])
}

/// A desk running `program` (dealz, or a copy), whose tickz server gets
/// `tickz_extra` and whose chatz server gets `chatz_extra`.
fn start_desk_with(
    program: PathBuf,
    handle: &str,
    extra: &[&str],
    tickz_extra: &[String],
    chatz_extra: &[String],
) -> Desk {
    let (tickz, tickz_endpoint) = tickz_server("tcp://127.0.0.1:*", 500, tickz_extra);
    let (chatz, chatz_router, chatz_feed) =
        chatz_server("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", chatz_extra);
    // The workers the host spawns are the valuz example next to it.
    example("valuz");
    let mut cmd = Command::new(program);
    cmd.args([
        "--handle",
        handle,
        "--http",
        "127.0.0.1:0",
        "--tickz",
        &tickz_endpoint,
        "--chatz",
        &chatz_router,
        "--chatz-feed",
        &chatz_feed,
        "--valuz-orders",
        "tcp://127.0.0.1:*",
        "--valuz-values",
        "tcp://127.0.0.1:*",
        "--valuz-control",
        "tcp://127.0.0.1:*",
    ])
    .args(extra);
    let mut host = Proc::spawn("dealz", cmd);
    let line = host.expect_out(LONG, |l| l.contains("open http://"));
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the URL to open")
        .to_owned();
    let described = host.expect_err(LONG, |l| l.contains("valuz orders"));
    let control_endpoint = described
        .split("control ")
        .nth(1)
        .map(|rest| endpoints_in(rest).remove(0))
        .expect("the valuz control endpoint");
    Desk {
        host,
        url,
        tickz: Some(tickz),
        tickz_endpoint,
        chatz: Some(chatz),
        chatz_router,
        chatz_feed,
        control_endpoint,
    }
}

/// Makes sure `chromedriver` and Chromium are there, as the pyzmq peers'
/// venv is: on a fresh Debian/Ubuntu machine, as root, this installs Debian's
/// `chromium` and `chromium-driver` once (under a file lock, since test
/// binaries run in parallel). Elsewhere it fails with what to install: these
/// tests prove the desk in a real browser and must not be skipped.
fn provision_chromium() {
    static DONE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let outcome = DONE.get_or_init(|| {
        let found = || {
            Command::new("chromedriver")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if found() {
            return Ok(());
        }
        const HOW: &str = "the dealz tests drive a headless Chromium through chromedriver: \
             install them (Debian/Ubuntu: `apt-get install chromium chromium-driver`)";
        // SAFETY: geteuid(2) only reads the process's credentials.
        let root = unsafe { libc::geteuid() } == 0;
        let apt = std::path::Path::new("/usr/bin/apt-get").exists();
        if !(root && apt) {
            return Err(format!("chromedriver is not on PATH; {HOW}"));
        }
        let lock_path = std::env::temp_dir().join("zmq-dealz-chromium.lock");
        let lock = std::fs::File::create(&lock_path)
            .map_err(|e| format!("{}: {e}", lock_path.display()))?;
        use std::os::unix::io::AsRawFd;
        // SAFETY: the descriptor belongs to `lock`, alive for the whole call;
        // the advisory lock ends when it is closed.
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
        if found() {
            return Ok(());
        }
        eprintln!("installing chromium and chromium-driver with apt-get (once per machine)");
        for args in [
            &["update", "-q"][..],
            &["install", "-y", "-q", "chromium", "chromium-driver"][..],
        ] {
            let status = Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .map_err(|e| format!("apt-get {args:?}: {e}; {HOW}"))?;
            if !status.success() {
                return Err(format!("apt-get {args:?} failed ({status}); {HOW}"));
            }
        }
        if found() {
            Ok(())
        } else {
            Err(format!("chromedriver still missing after apt-get; {HOW}"))
        }
    });
    if let Err(why) = outcome {
        panic!("{why}");
    }
}

/// chromedriver and its headless Chromium sessions; dropping it kills them.
struct Driver {
    process: Proc,
    url: String,
    profiles: Vec<tempfile::TempDir>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = self.process.pid() as libc::pid_t;
        // SAFETY: kill(2) on the process group of our own chromedriver child
        // (made its group's leader at spawn) has no memory effects here.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
}

impl Driver {
    fn start() -> Driver {
        provision_chromium();
        let port = free_port();
        let mut cmd = Command::new("chromedriver");
        cmd.arg(format!("--port={port}"));
        // Its own process group, with the browsers it starts: a failed test
        // (no session closed) ends them all at once, none left behind.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut process = Proc::spawn("chromedriver", cmd);
        process.expect_out(LONG, |l| l.contains("started successfully"));
        Driver {
            process,
            url: format!("http://127.0.0.1:{port}"),
            profiles: Vec::new(),
        }
    }

    /// A new browser with the desk at `url` loaded and connected to its host.
    async fn page_on(&mut self, url: &str) -> Client {
        let page = self.browser().await;
        page.goto(url).await.expect("loading the desk");
        wait_for(&page, LONG, "the page connects to the host", "return window.dealz && dealz.connected && document.getElementById('handle').textContent !== '…'").await;
        page
    }

    /// A new headless browser with a fresh profile.
    async fn browser(&mut self) -> Client {
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-crash-reporter".to_owned(),
            "--window-size=1600,1000".to_owned(),
        ];
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut options = json!({ "args": args });
        if std::path::Path::new("/usr/bin/chromium").exists() {
            options["binary"] = json!("/usr/bin/chromium");
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        self.profiles.push(profile);
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a chromium session from chromedriver")
    }
}

/// Waits until the page shows its link to `server` ("tickz", "chatz") as up.
async fn link_up(page: &Client, server: &str) {
    wait_for(
        page,
        LONG,
        &format!("the {server} link comes up"),
        &format!("return document.getElementById('link-{server}').dataset.up === 'true'"),
    )
    .await;
}

/// Runs `script` in the page and returns its value.
async fn js(page: &Client, script: &str) -> Value {
    page.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("running {script:?}: {e}"))
}

/// Waits until `script` returns something truthy (polling the page's state
/// every 100 ms, up to `limit`) and returns it.
async fn wait_for(page: &Client, limit: Duration, what: &str, script: &str) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let value = js(page, script).await;
        let truthy = match &value {
            Value::Null | Value::Bool(false) => false,
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => n.as_f64() != Some(0.0),
            _ => true,
        };
        if truthy {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("{what}: not within {limit:?} ({script} is {value})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn screenshot(page: &Client, name: &str) {
    let png = page.screenshot().await.expect("a screenshot");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).expect("saving the screenshot");
    eprintln!("screenshot: {}", path.display());
}

async fn type_into(page: &Client, css: &str, text: &str) {
    let input = page.find(Locator::Css(css)).await.expect(css);
    input.clear().await.expect("clearing the input");
    input.send_keys(text).await.expect("typing");
}

async fn click(page: &Client, css: &str) {
    page.find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

async fn chat_shows(page: &Client, text: &str) {
    let script = format!(
        "return [...document.querySelectorAll('#chat-log .text')].some(e => e.textContent === {})",
        json!(text)
    );
    wait_for(page, LONG, &format!("the chat shows {text:?}"), &script).await;
}

/// Processes (other than zombies) with all of `args` on their command line.
fn processes_with_args(args: &[&str]) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let has = |arg: &&str| cmdline.split(|&b| b == 0).any(|a| a == arg.as_bytes());
        if args.iter().all(has) && alive(pid) {
            found.push(pid);
        }
    }
    found
}

/// Whether `pid` is a live (not zombie) process.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit(") ").next()?.chars().next()?;
            Some(state != 'Z' && state != 'X')
        })
        .unwrap_or(false)
}

#[test]
fn the_page_loads_with_its_four_panels() {
    browser_test(|| async {
        let desk = start_desk("loader", &[]);
        let mut driver = Driver::start();
        let page = driver
            .page_on(&format!("{}?follow=MSFT,AAPL,GOOG,YHOO,BBRY", desk.url))
            .await;
        assert!(page.title().await.unwrap().contains("dealz"));
        let titles = js(
            &page,
            "return [...document.querySelectorAll('section.panel h2')].map(h => h.textContent)",
        )
        .await;
        assert_eq!(
            titles,
            json!(["Ticker", "Chat", "Valuation", "Diagnostics"])
        );
        // ?follow= pre-follows, and the followed symbols fill up with prices.
        wait_for(
            &page,
            LONG,
            "the pre-followed symbols tick",
            "return ['MSFT','AAPL','GOOG'].every(s => (dealz.ticks[s] || 0) >= 6)",
        )
        .await;
        let handle = js(
            &page,
            "return document.getElementById('handle').textContent",
        )
        .await;
        assert_eq!(handle, json!("loader"));
        // The desk at work, for the README: a chat line and a random batch
        // over the followed symbols at their last prices.
        for line in [
            "morning all",
            "pricing the book now: 20k orders on 3 workers",
        ] {
            type_into(&page, "#chat-input", line).await;
            click(&page, "#chat-send").await;
            chat_shows(&page, line).await;
        }
        type_into(&page, "#val-count", "20000").await;
        click(&page, "#val-run-random").await;
        let phase = wait_for(
            &page,
            Duration::from_secs(120),
            "the random batch ends",
            "const p = document.getElementById('val-phase').textContent; return (p === 'done' || p === 'failed') && p",
        )
        .await;
        let note = js(
            &page,
            "return document.getElementById('val-note').textContent",
        )
        .await;
        assert_eq!(phase, json!("done"), "{note}");
        assert!(
            note.as_str().is_some_and(|n| n.starts_with("✓ matches")),
            "{note}"
        );
        wait_for(
            &page,
            LONG,
            "the charts fill",
            "return ['MSFT','AAPL','GOOG'].every(s => (dealz.ticks[s] || 0) >= 12)",
        )
        .await;
        screenshot(&page, "dealz-desk.png").await;
        page.close().await.unwrap();
    });
}

#[test]
fn following_msft_shows_ticks_within_3_s_and_forgetting_stops_them() {
    browser_test(|| async {
        let desk = start_desk("follower", &[]);
        let mut driver = Driver::start();
        let page = driver.page_on(&desk.url).await;
        link_up(&page, "tickz").await;

        type_into(&page, "#follow-input", "msft").await;
        click(&page, "#follow-button").await;
        wait_for(
            &page,
            Duration::from_secs(3),
            "a MSFT tick within 3 s of following",
            "return (dealz.ticks.MSFT || 0) >= 1 && /[0-9]/.test(document.querySelector('#sym-MSFT .price').textContent)",
        )
        .await;
        wait_for(
            &page,
            LONG,
            "more MSFT ticks",
            "return (dealz.ticks.MSFT || 0) >= 4",
        )
        .await;
        let unfollowed = js(&page, "return Object.keys(dealz.ticks)").await;
        assert_eq!(unfollowed, json!(["MSFT"]), "only followed symbols tick");

        click(&page, "#sym-MSFT .forget").await;
        wait_for(
            &page,
            LONG,
            "the MSFT card goes",
            "return document.getElementById('sym-MSFT') === null",
        )
        .await;
        // Every MSFT tick the host sent came before the change that removed
        // the card; from here on the count must stand still, while AAPL
        // (followed now) proves that ticks still flow.
        let msft = js(&page, "return dealz.ticks.MSFT").await;
        type_into(&page, "#follow-input", "AAPL").await;
        click(&page, "#follow-button").await;
        wait_for(
            &page,
            LONG,
            "AAPL ticks",
            "return (dealz.ticks.AAPL || 0) >= 5",
        )
        .await;
        assert_eq!(js(&page, "return dealz.ticks.MSFT").await, msft);
        page.close().await.unwrap();
    });
}

#[test]
fn chat_posts_go_both_ways_between_the_page_and_pyzmq() {
    browser_test(|| async {
        let desk = start_desk("deskuser", &[]);
        let mut driver = Driver::start();
        let page = driver.page_on(&desk.url).await;
        wait_for(
            &page,
            LONG,
            "the desk is live in the chat",
            "return [...document.querySelectorAll('#users li')].some(li => li.dataset.handle === 'deskuser')",
        )
        .await;

        // pyzmq → page.
        let mut cmd = python("demo_dealz_chat.py");
        cmd.args([
            "post",
            &desk.chatz_router,
            "pyposter",
            "hello from python, é ✓",
        ]);
        let mut poster = Proc::spawn("python post", cmd);
        poster.expect_out(LONG, |l| l == "posted");
        chat_shows(&page, "hello from python, é ✓").await;

        // page → pyzmq subscriber of the feed.
        let mut cmd = python("demo_dealz_chat.py");
        cmd.args(["listen", &desk.chatz_router, &desk.chatz_feed, "pylistener"]);
        let mut listener = Proc::spawn("python listen", cmd);
        listener.expect_out(LONG, |l| l == "ready");
        type_into(&page, "#chat-input", "hello from the page").await;
        click(&page, "#chat-send").await;
        listener.expect_out(LONG, |l| l == "deskuser: hello from the page");
        chat_shows(&page, "hello from the page").await;
        screenshot(&page, "dealz-chat.png").await;
        page.close().await.unwrap();
    });
}

#[test]
fn two_pages_at_once_both_see_a_chat_post() {
    browser_test(|| async {
        let desk = start_desk("shared", &[]);
        let mut driver = Driver::start();
        let first = driver.page_on(&desk.url).await;
        let second = driver.page_on(&desk.url).await;
        link_up(&first, "chatz").await;
        type_into(&first, "#chat-input", "seen by everyone").await;
        click(&first, "#chat-send").await;
        chat_shows(&first, "seen by everyone").await;
        chat_shows(&second, "seen by everyone").await;
        first.close().await.unwrap();
        second.close().await.unwrap();
    });
}

#[test]
fn a_page_that_comes_back_gets_the_current_state() {
    browser_test(|| async {
        let desk = start_desk("steady", &[]);
        let mut driver = Driver::start();
        let page = driver.page_on(&desk.url).await;
        link_up(&page, "chatz").await;
        type_into(&page, "#chat-input", "said before the reload").await;
        click(&page, "#chat-send").await;
        chat_shows(&page, "said before the reload").await;
        type_into(&page, "#follow-input", "BBRY").await;
        click(&page, "#follow-button").await;
        wait_for(
            &page,
            LONG,
            "BBRY ticks",
            "return (dealz.ticks.BBRY || 0) >= 2",
        )
        .await;

        // A new connection (no ?follow=) starts from the host's state.
        page.refresh().await.expect("reloading the page");
        wait_for(
            &page,
            LONG,
            "the page reconnects",
            "return dealz.connected && document.getElementById('handle').textContent === 'steady'",
        )
        .await;
        chat_shows(&page, "said before the reload").await;
        let price = js(
            &page,
            "return document.querySelector('#sym-BBRY .price').textContent",
        )
        .await;
        assert!(
            price.as_str().is_some_and(|p| p.parse::<f64>().is_ok()),
            "BBRY's last price: {price}"
        );
        let points = js(
            &page,
            "return document.querySelectorAll('#cards .card').length",
        )
        .await;
        assert_eq!(points, json!(1));
        page.close().await.unwrap();
    });
}

/// A deterministic batch: `count` orders over the talk's symbols, and the
/// value they come to (`action × price × 100`, summed in whole cents).
fn batch(count: usize) -> (String, String) {
    let symbols = ["MSFT", "AAPL", "GOOG", "YHOO", "BBRY"];
    let mut seed: u64 = 0x2014_0613;
    let mut next = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let (mut list, mut cents_total) = (String::new(), 0i64);
    for _ in 0..count {
        let symbol = symbols[(next() % 5) as usize];
        let action: i64 = if next() % 2 == 0 { 1 } else { -1 };
        let cents = 100 + (next() % 60_000) as i64;
        list.push_str(&format!(
            "{symbol} {action} {}.{:02}\n",
            cents / 100,
            cents % 100
        ));
        cents_total += action * cents;
    }
    // action × price × 100 = action × cents.
    (list, format!("{:+.3}", cents_total as f64))
}

/// Pastes `count` orders, runs them, and checks the result shown is what
/// the orders give.
async fn run_pasted_batch(page: &Client, count: usize) {
    let (list, expected) = batch(count);
    page.execute(
        "const t = document.getElementById('val-list'); t.value = arguments[0]; t.dispatchEvent(new Event('input'));",
        vec![json!(list)],
    )
    .await
    .expect("pasting the orders");
    click(page, "#val-run-list").await;
    let phase = wait_for(
        page,
        Duration::from_secs(120),
        "the batch ends",
        "const p = document.getElementById('val-phase').textContent; return (p === 'done' || p === 'failed') && p",
    )
    .await;
    let note = js(
        page,
        "return document.getElementById('val-note').textContent",
    )
    .await;
    assert_eq!(phase, json!("done"), "{note}");
    let shown = js(
        page,
        "return document.getElementById('val-result').textContent",
    )
    .await;
    assert_eq!(shown, json!(expected));
    let done = js(
        page,
        "return document.getElementById('val-done').textContent",
    )
    .await;
    let count = count.to_string();
    assert!(
        done.as_str()
            .is_some_and(|d| d.replace(',', "") == format!("{count} / {count}")),
        "{done}"
    );
}

#[test]
fn a_batch_of_10000_orders_on_3_workers_shows_the_value_the_orders_give() {
    browser_test(|| async {
        let desk = start_desk("valuer", &["--workers", "3"]);
        let mut driver = Driver::start();
        let page = driver.page_on(&desk.url).await;
        run_pasted_batch(&page, 10_000).await;
        let program = js(
            &page,
            "return document.getElementById('val-workers').textContent",
        )
        .await;
        // The program's name in the panel, its full path in the tooltip.
        assert_eq!(
            program.as_str(),
            Some("3 worker(s) · valuz worker"),
            "{program}"
        );
        let full = js(&page, "return document.getElementById('val-workers').title").await;
        assert!(
            full.as_str().is_some_and(|p| p.ends_with("valuz worker")
                && std::path::Path::new(p.trim_end_matches(" worker")).is_absolute()),
            "{full}"
        );
        let done = js(
            &page,
            "return document.getElementById('val-done').textContent",
        )
        .await;
        assert_eq!(done, json!("10,000 / 10,000"));
        let elapsed = js(
            &page,
            "return document.getElementById('val-elapsed').textContent",
        )
        .await;
        assert!(
            elapsed.as_str().is_some_and(|e| e.ends_with(" ms")),
            "{elapsed}"
        );
        screenshot(&page, "dealz-valuation.png").await;
        page.close().await.unwrap();
    });
}

#[test]
fn python_workers_take_the_batch_with_worker_cmd() {
    browser_test(|| async {
        let python_worker = python("demo_valuz_worker.py");
        let mut command = vec![python_worker.get_program().to_string_lossy().into_owned()];
        command.extend(
            python_worker
                .get_args()
                .map(|a| a.to_string_lossy().into_owned()),
        );
        let command = command.join(" ");
        let desk = start_desk("pyvaluer", &["--workers", "2", "--worker-cmd", &command]);
        let mut driver = Driver::start();
        let page = driver.page_on(&desk.url).await;
        run_pasted_batch(&page, 500).await;
        page.close().await.unwrap();
    });
}

#[test]
fn without_valuz_next_to_it_the_desk_runs_its_own_copy_of_the_worker() {
    browser_test(|| async {
        let alone = tempfile::tempdir().unwrap();
        let copy = alone.path().join("dealz");
        std::fs::copy(example("dealz"), &copy).expect("copying dealz");
        let desk = start_desk_with(copy, "loner", &["--workers", "2"], &[], &[]);
        let mut driver = Driver::start();
        let page = driver.page_on(&desk.url).await;
        let program = js(
            &page,
            "return document.getElementById('val-workers').textContent",
        )
        .await;
        assert_eq!(
            program.as_str(),
            Some("2 worker(s) · dealz --valuz-worker"),
            "{program}"
        );
        run_pasted_batch(&page, 300).await;
        page.close().await.unwrap();
    });
}

#[test]
fn over_curve_the_desk_reaches_both_servers_with_one_server_key() {
    browser_test(|| async {
        let keys = tempfile::tempdir().unwrap();
        let server = server_keys(keys.path(), "server");
        let public = keys.path().join("server.key").display().to_string();
        let desk = start_desk_with(
            example("dealz"),
            "curvy",
            &["--curve-server-key", &public],
            &server,
            &server,
        );
        both_links_up_over_curve(&desk).await;
    });
}

#[test]
fn over_curve_each_server_may_have_its_own_key() {
    browser_test(|| async {
        let keys = tempfile::tempdir().unwrap();
        let tickz = server_keys(keys.path(), "tickz-server");
        let chatz = server_keys(keys.path(), "chatz-server");
        let public = |name: &str| keys.path().join(name).display().to_string();
        let (chatz_public, tickz_public) = (public("chatz-server.key"), public("tickz-server.key"));
        let desk = start_desk_with(
            example("dealz"),
            "twokeys",
            &[
                "--curve-server-key",
                &chatz_public,
                "--tickz-server-key",
                &tickz_public,
            ],
            &tickz,
            &chatz,
        );
        both_links_up_over_curve(&desk).await;
    });
}

/// Makes the key pair `NAME` in `dir`; a server's options to use it.
fn server_keys(dir: &Path, name: &str) -> Vec<String> {
    demo_support::make_keys("tickz", dir, name);
    let secret = dir.join(format!("{name}.key_secret"));
    vec!["--curve-secret".to_owned(), secret.display().to_string()]
}

/// A page on `desk` sees GOOG ticks and the chat's link come up.
async fn both_links_up_over_curve(desk: &Desk) {
    let mut driver = Driver::start();
    let page = driver.page_on(&format!("{}?follow=GOOG", desk.url)).await;
    wait_for(
        &page,
        LONG,
        "GOOG ticks over CURVE",
        "return (dealz.ticks.GOOG || 0) >= 2",
    )
    .await;
    wait_for(
        &page,
        LONG,
        "the chat links up over CURVE",
        "return document.getElementById('link-chatz').dataset.up === 'true'",
    )
    .await;
    page.close().await.unwrap();
}

#[test]
fn diagnostics_show_the_tickz_socket_connect_and_disconnect_and_the_panel_recovers() {
    browser_test(|| async {
        let mut desk = start_desk("watcher", &[]);
        let mut driver = Driver::start();
        let page = driver.page_on(&format!("{}?follow=YHOO", desk.url)).await;
        let event = |kind: &str| {
            format!("return document.querySelectorAll('#diag-events li[data-socket=\"tickz\"][data-event=\"{kind}\"]').length")
        };
        wait_for(
            &page,
            LONG,
            "a Connected event for tickz",
            &event("Connected"),
        )
        .await;
        wait_for(
            &page,
            LONG,
            "the ticker shows live",
            "return document.getElementById('link-tickz').dataset.up === 'true'",
        )
        .await;

        drop(desk.tickz.take()); // kills the tickz server
        wait_for(
            &page,
            LONG,
            "a Disconnected event for tickz",
            &event("Disconnected"),
        )
        .await;
        wait_for(&page, LONG, "the ticker shows disconnected", "return document.getElementById('link-tickz').dataset.up === 'false' && document.getElementById('ticker-status').textContent.startsWith('disconnected')").await;
        let state = js(&page, "return document.querySelector('#diag-sockets tr[data-socket=\"tickz\"]').dataset.state").await;
        assert_eq!(state, json!("down"));
        screenshot(&page, "dealz-disconnected.png").await;

        // The server comes back on the same port: so does the desk.
        let ticks = js(&page, "return dealz.ticks.YHOO || 0").await;
        let (server, _) = tickz_server(&desk.tickz_endpoint, 500, &[]);
        desk.tickz = Some(server);
        wait_for(
            &page,
            LONG,
            "the ticker recovers",
            "return document.getElementById('link-tickz').dataset.up === 'true'",
        )
        .await;
        wait_for(
            &page,
            LONG,
            "YHOO ticks again",
            &format!("return (dealz.ticks.YHOO || 0) > {ticks}"),
        )
        .await;
        assert!(js(&page, &event("Connected")).await.as_u64() >= Some(2));
        page.close().await.unwrap();
    });
}

#[test]
fn a_chatz_server_that_goes_away_shows_as_disconnected_and_the_chat_recovers() {
    browser_test(|| async {
        let mut desk = start_desk("patient", &[]);
        let mut driver = Driver::start();
        let page = driver.page_on(&desk.url).await;
        let linked = |up: bool| {
            format!("return document.getElementById('link-chatz').dataset.up === '{up}'")
        };
        wait_for(&page, LONG, "the chat links up", &linked(true)).await;

        drop(desk.chatz.take()); // kills the chatz server
        wait_for(&page, LONG, "the chat shows disconnected", &linked(false)).await;
        let status = js(
            &page,
            "return document.getElementById('chat-status').textContent",
        )
        .await;
        assert!(
            status
                .as_str()
                .is_some_and(|s| s.starts_with("disconnected")),
            "{status}"
        );
        wait_for(
            &page,
            LONG,
            "a Disconnected event for the chat's feed",
            "return document.querySelectorAll('#diag-events li[data-socket=\"chatz feed\"][data-event=\"Disconnected\"]').length",
        )
        .await;

        // Back on the same ports: the desk reconnects and posts again.
        let (server, _, _) = chatz_server(&desk.chatz_router, &desk.chatz_feed, &[]);
        desk.chatz = Some(server);
        wait_for(&page, LONG, "the chat recovers", &linked(true)).await;
        type_into(&page, "#chat-input", "back again").await;
        click(&page, "#chat-send").await;
        chat_shows(&page, "back again").await;
        page.close().await.unwrap();
    });
}

#[test]
fn bad_websocket_input_gets_an_error_to_that_browser_only() {
    browser_test(|| async {
        let desk = start_desk("strict", &[]);
        let mut driver = Driver::start();
        let sender = driver.page_on(&desk.url).await;
        let bystander = driver.page_on(&desk.url).await;
        let bad = [
            "this is not JSON",
            r#"{"type":"launch","missiles":true}"#,
            r#"{"type":"follow","symbol":"not a symbol!"}"#,
            r#"{"type":"forget","symbol":"ZZZZ"}"#,
            r#"{"type":"post","text":"   "}"#,
            r#"{"type":"run","orders":0}"#,
            r#"{"type":"run","list":"MSFT 7 41.78"}"#,
            r#"{"type":"follow"}"#,
        ];
        for text in bad {
            let sent = sender
                .execute("return dealz.sendRaw(arguments[0])", vec![json!(text)])
                .await
                .unwrap();
            assert_eq!(sent, json!(true));
        }
        let errors = wait_for(
            &sender,
            LONG,
            "an error for each bad request",
            &format!(
                "return dealz.errors.length >= {} && dealz.errors",
                bad.len()
            ),
        )
        .await;
        assert_eq!(
            errors.as_array().map(Vec::len),
            Some(bad.len()),
            "{errors:#}"
        );
        let toast = js(&sender, "return document.getElementById('toast').hidden").await;
        assert_eq!(toast, json!(false), "the error is shown");
        // The host is still there for both: a post after the bad input
        // reaches the bystander, which saw none of the errors.
        type_into(&sender, "#chat-input", "still standing").await;
        click(&sender, "#chat-send").await;
        chat_shows(&bystander, "still standing").await;
        assert_eq!(js(&bystander, "return dealz.errors").await, json!([]));
        assert_eq!(js(&sender, "return dealz.connected").await, json!(true));
        sender.close().await.unwrap();
        bystander.close().await.unwrap();
    });
}

#[test]
fn a_stalled_browser_is_evicted_and_the_diagnostics_panel_names_it() {
    browser_test(|| async {
        let desk = start_desk(
            "evictor",
            &["--ws-ping-ms", "500", "--ws-timeout-ms", "2000"],
        );
        let mut driver = Driver::start();
        let page = driver.page_on(&desk.url).await;
        // The page says whose follows they are.
        let note = js(
            &page,
            "return document.getElementById('follows-note').textContent",
        )
        .await;
        assert!(
            note.as_str()
                .is_some_and(|n| n.starts_with("Follows belong to the desk")),
            "{note}"
        );
        // A browser that opens its WebSocket and then never reads (nor
        // answers a ping).
        let address = desk.url.trim_start_matches("http://").trim_end_matches('/');
        let mut stalled = std::net::TcpStream::connect(address).expect("connecting");
        use std::io::{Read, Write};
        write!(
            stalled,
            "GET /ws HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        stalled.set_read_timeout(Some(LONG)).unwrap();
        let mut head = [0u8; 12];
        stalled.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 101");
        let local = stalled.local_addr().unwrap().to_string();
        let evicted = wait_for(
            &page,
            LONG,
            "the stalled browser's eviction in the Diagnostics panel",
            &format!(
                "const li = [...document.querySelectorAll('#diag-events li[data-socket=\"browsers\"][data-event=\"Evicted\"]')].find(li => li.textContent.includes({})); return li && li.textContent",
                json!(local)
            ),
        )
        .await;
        assert!(
            evicted
                .as_str()
                .is_some_and(|e| e.contains("no answer to pings")),
            "{evicted}"
        );
        let count = js(&page, "return document.querySelector('#diag-sockets tr[data-socket=\"browsers\"] [data-event=\"Evicted\"] b').textContent").await;
        assert_eq!(count, json!("1"));
        // The page itself answers pings: it is still connected.
        assert_eq!(js(&page, "return dealz.connected").await, json!(true));
        screenshot(&page, "dealz-evicted.png").await;
        page.close().await.unwrap();
    });
}

#[test]
fn ctrl_c_dismisses_the_workers_closes_every_websocket_and_exits_within_2_s() {
    browser_test(|| async {
        let mut desk = start_desk("leaver", &[]);
        let mut driver = Driver::start();
        let page = driver.page_on(&format!("{}?follow=MSFT", desk.url)).await;
        wait_for(
            &page,
            LONG,
            "a MSFT price",
            "return (dealz.ticks.MSFT || 0) >= 1",
        )
        .await;
        // A worker's view of the control PUB: it must hear batch.leave.
        let mut cmd = python("demo_dealz_leave.py");
        cmd.arg(&desk.control_endpoint);
        let mut worker = Proc::spawn("python leave", cmd);
        worker.expect_out(LONG, |l| l == "subscribed");
        // Its subscription travels right after the handshake the monitor sees.
        wait_for(
            &page,
            LONG,
            "the subscriber's handshake on the control socket",
            "return document.querySelectorAll('#diag-events li[data-socket=\"valuz control\"][data-event=\"HandshakeSucceeded\"]').length",
        )
        .await;

        // A batch too big to finish before the Ctrl-C: its workers are busy.
        type_into(&page, "#val-count", "1000000").await;
        click(&page, "#val-run-random").await;
        wait_for(
            &page,
            Duration::from_secs(60),
            "the batch runs",
            "return document.getElementById('val-phase').textContent === 'running'",
        )
        .await;
        let workers = processes_with_args(&["worker", &desk.control_endpoint]);
        assert_eq!(workers.len(), 3, "the host's worker processes");

        let interrupted = Instant::now();
        // SAFETY: kill(2) with a pid of our own child and SIGINT has no
        // memory effects in this process.
        let rc = unsafe { libc::kill(desk.host.pid() as libc::pid_t, libc::SIGINT) };
        assert_eq!(rc, 0, "sending SIGINT");
        let status = desk.host.wait(Duration::from_secs(10));
        let took = interrupted.elapsed();
        assert!(status.success(), "{status:?}");
        assert!(took < Duration::from_secs(2), "exited after {took:?}");
        worker.expect_out(LONG, |l| l == "got batch.leave");
        let codes = wait_for(
            &page,
            LONG,
            "the page saw the close frame",
            "return dealz.closeCodes.length > 0 && dealz.closeCodes",
        )
        .await;
        assert_eq!(codes[0], json!(1001), "a close frame, going away");
        // No worker outlives the host.
        let deadline = Instant::now() + LONG;
        while workers.iter().any(|pid| alive(*pid)) {
            assert!(
                Instant::now() < deadline,
                "workers left behind: {workers:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        page.close().await.unwrap();
    });
}

/// `--dish` (draft): the desk takes its ticks from `tickz server --radio`
/// over UDP on loopback, through an async DISH instead of the SUB, and the
/// page shows them.
#[cfg(zmq_draft)]
#[test]
fn with_dish_the_desk_takes_ticks_from_a_radio_over_udp() {
    browser_test(|| async {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|probe| probe.local_addr())
            .expect("a free UDP port")
            .port();
        let dish = format!("udp://127.0.0.1:{port}");
        let desk = start_desk_with(
            example("dealz"),
            "disher",
            &["--dish", &dish],
            &["--radio".to_owned(), dish.clone()],
            &[],
        );
        let described = desk.host.seen_err.join("\n");
        assert!(described.contains("(DISH)"), "{described}");
        let mut driver = Driver::start();
        let page = driver
            .page_on(&format!("{}?follow=MSFT,AAPL", desk.url))
            .await;
        wait_for(
            &page,
            LONG,
            "ticks of both followed symbols over RADIO/DISH",
            "return ['MSFT','AAPL'].every(s => (dealz.ticks[s] || 0) >= 3)",
        )
        .await;
        let symbols = js(&page, "return Object.keys(dealz.ticks).sort()").await;
        assert_eq!(
            symbols,
            json!(["AAPL", "MSFT"]),
            "only followed groups tick"
        );
        screenshot(&page, "dish").await;
    });
}

/// Without the DRAFT API, `--dish` is refused with what to build instead.
#[cfg(not(zmq_draft))]
#[test]
fn without_draft_dish_says_it_needs_a_draft_build() {
    let dealz = example("dealz");
    watchdog::within(LONG, move || without_draft_dish_check(dealz));
}

#[cfg(not(zmq_draft))]
fn without_draft_dish_check(dealz: PathBuf) {
    let out = Command::new(dealz)
        .args([
            "--dish",
            "udp://127.0.0.1:9013",
            "--http",
            "127.0.0.1:0",
            "--valuz-orders",
            "tcp://127.0.0.1:*",
            "--valuz-values",
            "tcp://127.0.0.1:*",
            "--valuz-control",
            "tcp://127.0.0.1:*",
        ])
        .output()
        .expect("dealz runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DRAFT API") && stderr.contains("--features tokio,draft"),
        "{stderr}"
    );
}

//! The terminal UIs in a real pseudo-terminal (tmux): against a server that
//! refuses our key and against no server at all, each says what is wrong on
//! screen, stays responsive, and Esc or Ctrl-C ends it within 1 s with the
//! terminal given back (main screen, cooked mode, echo, cursor).

mod demo_support;

use demo_support::tmux::{epoch_now, Tmux};
use demo_support::{example, make_keys, Proc};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(20);
/// The bound: Esc or Ctrl-C ends any demo within a second.
const QUIT_WITHIN: f64 = 1.0;
/// The client's 5 s of silence, plus room for a loaded machine.
const DIAGNOSIS_WITHIN: Duration = Duration::from_secs(8);

/// Presses `key` and checks the program ends in time, with status 0, and
/// leaves the terminal as it found it.
fn quit_with(pane: &Tmux, key: &str) {
    let pressed = epoch_now();
    pane.keys(&[key]);
    let ended = pane.wait_exit(Duration::from_secs(10));
    let took = ended.at - pressed;
    eprintln!("{key} ended the program in {took:.3} s");
    assert!(took < QUIT_WITHIN, "{key} took {took:.3} s to end it");
    assert_eq!(ended.code, 0, "{ended:?}");
    assert_eq!(
        ended.tty_flags,
        ["icanon", "echo"],
        "the terminal was left raw"
    );
    assert!(!pane.alternate_screen(), "still on the alternate screen");
    assert!(pane.cursor_visible(), "the cursor was left hidden");
}

/// A port nobody listens on.
fn absent_endpoint() -> String {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::SocketType::Pub).unwrap();
    s.bind("tcp://127.0.0.1:*").unwrap();
    s.last_endpoint().unwrap()
}

/// A CURVE server (chatz or tickz) that allows one key; returns it, its
/// endpoints and the server's public key file, and a certificate it refuses.
fn refusing_server(program: &str, keys: &Path) -> (Proc, Vec<String>, PathBuf, PathBuf) {
    make_keys(program, &keys.join("server"), "server");
    make_keys(program, &keys.join("allowed"), "friend");
    make_keys(program, &keys.join("others"), "mallory");
    let mut cmd = Command::new(example(program));
    cmd.arg("server");
    match program {
        "chatz" => cmd.args([
            "--router",
            "tcp://127.0.0.1:*",
            "--publish",
            "tcp://127.0.0.1:*",
        ]),
        _ => cmd.args(["--bind", "tcp://127.0.0.1:*", "--interval", "100"]),
    };
    cmd.arg("--curve-secret")
        .arg(keys.join("server/server.key_secret"))
        .arg("--allow-keys")
        .arg(keys.join("allowed"));
    let mut server = Proc::spawn(&format!("{program} curve server"), cmd);
    let marker = if program == "chatz" {
        "requests on"
    } else {
        "publishing on"
    };
    let endpoints = server.endpoints_on_err(marker);
    (
        server,
        endpoints,
        keys.join("server/server.key"),
        keys.join("others/mallory.key_secret"),
    )
}

fn chatz_tui(server: &str, feed: &str, curve: Option<(&Path, &Path)>) -> Tmux {
    let mut args: Vec<String> = [
        "client", "--handle", "mallory", "--server", server, "--feed", feed,
    ]
    .map(str::to_owned)
    .to_vec();
    if let Some((server_key, cert)) = curve {
        args.push("--curve-server-key".into());
        args.push(server_key.display().to_string());
        args.push("--curve-cert".into());
        args.push(cert.display().to_string());
    }
    Tmux::start(&example("chatz"), &args, 100, 30)
}

fn tickz_tui(endpoint: &str, curve: Option<(&Path, &Path)>, symbols: &[&str]) -> Tmux {
    let mut args: Vec<String> = vec!["client".into(), "--connect".into(), endpoint.into()];
    if let Some((server_key, cert)) = curve {
        args.push("--curve-server-key".into());
        args.push(server_key.display().to_string());
        args.push("--curve-cert".into());
        args.push(cert.display().to_string());
    }
    args.extend(symbols.iter().map(|s| s.to_string()));
    Tmux::start(&example("tickz"), &args, 100, 30)
}

#[test]
fn chatz_tui_with_a_refused_key_says_why_and_quits_on_esc() {
    let keys = tempfile::tempdir().unwrap();
    let (mut server, eps, server_key, mallory) = refusing_server("chatz", keys.path());
    let pane = chatz_tui(&eps[0], &eps[1], Some((&server_key, &mallory)));
    pane.wait_for(LONG, "the input line", |s| s.contains("mallory> "));
    // Typing works while the server refuses us, and posts wait, counted.
    pane.type_text("hello?");
    pane.keys(&["Enter"]);
    pane.type_text("still here");
    pane.wait_for(LONG, "the typed text", |s| {
        s.contains("mallory> still here")
    });
    let screen = pane.wait_for(DIAGNOSIS_WITHIN, "a diagnosis", |s| {
        s.contains("refused our CURVE key")
    });
    assert!(screen.contains("1 pending"), "{screen}");
    server.expect_err(LONG, |l| l.contains("refused 127.0.0.1:"));
    quit_with(&pane, "Escape");
}

#[test]
fn chatz_tui_without_a_server_says_so_and_quits_on_ctrl_c() {
    let (server, feed) = (absent_endpoint(), absent_endpoint());
    let pane = chatz_tui(&server, &feed, None);
    pane.wait_for(DIAGNOSIS_WITHIN, "a diagnosis", |s| {
        s.contains("is the server running")
    });
    quit_with(&pane, "C-c");
}

#[test]
fn chatz_tui_without_a_server_quits_on_esc() {
    let pane = chatz_tui(&absent_endpoint(), &absent_endpoint(), None);
    pane.wait_for(LONG, "the input line", |s| s.contains("mallory> "));
    quit_with(&pane, "Escape");
}

#[test]
fn tickz_tui_with_a_refused_key_says_why_and_quits_on_esc() {
    let keys = tempfile::tempdir().unwrap();
    let (mut server, eps, server_key, mallory) = refusing_server("tickz", keys.path());
    let pane = tickz_tui(&eps[0], Some((&server_key, &mallory)), &["AAPL"]);
    pane.wait_for(DIAGNOSIS_WITHIN, "a diagnosis", |s| {
        s.contains("refused our CURVE key")
    });
    server.expect_err(LONG, |l| l.contains("refused 127.0.0.1:"));
    quit_with(&pane, "Escape");
}

#[test]
fn tickz_tui_without_a_server_shows_no_range_refuses_bad_symbols_and_quits_on_ctrl_c() {
    let pane = tickz_tui(&absent_endpoint(), None, &["AAPL", "MSFT"]);
    let screen = pane.wait_for(LONG, "the quotes", |s| {
        s.contains("AAPL") && s.contains("MSFT")
    });
    assert!(screen.contains("no ticks yet"), "{screen}");
    // "bad sym!" is refused as on the command line, not made into BADSYM.
    pane.type_text("bad sym!");
    pane.keys(&["Enter"]);
    let screen = pane.wait_for(LONG, "the refusal", |s| s.contains("is not a symbol"));
    assert!(!screen.contains("BADSYM"), "{screen}");
    let screen = pane.wait_for(DIAGNOSIS_WITHIN, "a diagnosis", |s| {
        s.contains("is the server running")
    });
    // f64::MAX (1.797...e308) printed as a range would start with these digits.
    assert!(!screen.contains("17976931"), "{screen}");
    quit_with(&pane, "C-c");
}

#[test]
fn tickz_tui_with_a_server_shows_prices_and_quits_on_esc() {
    let mut cmd = Command::new(example("tickz"));
    cmd.args(["server", "--bind", "tcp://127.0.0.1:*", "--interval", "100"]);
    let mut server = Proc::spawn("tickz server", cmd);
    let endpoint = server.endpoints_on_err("publishing on").remove(0);
    let pane = tickz_tui(&endpoint, None, &["GOOG"]);
    let screen = pane.wait_for(LONG, "a range", |s| s.contains(" – "));
    assert!(!screen.contains("no ticks yet"), "{screen}");
    quit_with(&pane, "Escape");
}

//! Drives a terminal UI in a real pseudo-terminal: a private tmux server
//! (its own socket, killed when the test ends) runs the program in a pane
//! of a fixed size, sends it keys and reads the screen back.
//!
//! The pane runs the program under a small shell wrapper that, once the
//! program exits, prints its exit code, the wall-clock time it ended and the
//! terminal's `icanon`/`echo` flags: whether the program ended in time and
//! gave the terminal back as it found it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The wrapper: runs "$@", then reports how it ended and the tty's mode.
const WRAPPER: &str = r#""$@"; code=$?
printf '\nDEMO-EXITED %s AT %s\n' "$code" "$(date +%s.%N)"
flags=$(stty -a | tr ' ;' '\n\n' | grep -E -x -- '-?(icanon|echo)' | tr '\n' ' ')
printf 'TTY-FLAGS %s TTY-END\n' "$flags"
sleep 600"#;

/// A program running in a tmux pane.
pub struct Tmux {
    socket: String,
}

/// How a program in a pane ended.
#[derive(Debug)]
pub struct Ended {
    /// Its exit code.
    pub code: i32,
    /// When it ended, in seconds since the Unix epoch.
    pub at: f64,
    /// The terminal's `icanon` and `echo` flags afterwards (`-icanon` when
    /// it was left raw).
    pub tty_flags: Vec<String>,
}

fn tmux_available() {
    match Command::new("tmux").arg("-V").output() {
        Ok(out) if out.status.success() => {}
        other => panic!(
            "tmux is needed to test the terminal UIs in a pseudo-terminal \
             (apt-get install tmux; .ci/run installs it): {other:?}"
        ),
    }
}

impl Tmux {
    /// Starts `program args...` in a `width`×`height` pane.
    pub fn start<S: AsRef<OsStr>>(program: &Path, args: &[S], width: u16, height: u16) -> Tmux {
        tmux_available();
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let socket = format!(
            "zmq-demo-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let tmux = Tmux { socket };
        let mut cmd = tmux.command();
        cmd.args(["new-session", "-d", "-s", "demo", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .args(["sh", "-c", WRAPPER, "sh"])
            .arg(program)
            .args(args);
        let out = cmd.output().expect("running tmux");
        assert!(out.status.success(), "tmux new-session: {out:?}");
        tmux
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        // No user configuration: the same tmux for every run.
        cmd.args(["-L", &self.socket, "-f", "/dev/null"]);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.command().args(args).output().expect("running tmux");
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        out
    }

    /// The pane's text as it shows now.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "demo"]).stdout)
            .into_owned()
    }

    /// Waits up to `timeout` for the screen to satisfy `want`; returns it.
    /// `want` is also tried on the screen with its lines joined and blanks
    /// collapsed, so a message wrapped over two lines still matches.
    pub fn wait_for(&self, timeout: Duration, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            let joined = screen.split_whitespace().collect::<Vec<_>>().join(" ");
            if want(&screen) || want(&joined) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} on the screen within {timeout:?}:\n{screen}"
            );
            // Polling a screen: tmux has no way to wait for its content.
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends tmux key names (`Escape`, `C-c`, `Enter`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "demo"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "demo", "-l", text]);
    }

    /// Whether the pane shows the alternate screen (a TUI still holds it).
    pub fn alternate_screen(&self) -> bool {
        let out = self.run(&["display-message", "-p", "-t", "demo", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Whether the cursor is visible.
    pub fn cursor_visible(&self) -> bool {
        let out = self.run(&["display-message", "-p", "-t", "demo", "#{cursor_flag}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Waits up to `timeout` for the program to end; how it ended.
    pub fn wait_exit(&self, timeout: Duration) -> Ended {
        let screen = self.wait_for(timeout, "exit", |s| {
            s.contains("DEMO-EXITED") && s.contains("TTY-END")
        });
        let exited = screen
            .lines()
            .find_map(|l| l.trim().strip_prefix("DEMO-EXITED "))
            .expect("the exit line");
        let (code, at) = exited.split_once(" AT ").expect("code AT time");
        let flags = screen
            .lines()
            .find_map(|l| l.trim().strip_prefix("TTY-FLAGS"))
            .and_then(|l| l.strip_suffix("TTY-END"))
            .expect("the flags line");
        Ended {
            code: code.trim().parse().expect("an exit code"),
            at: at.trim().parse().expect("a time"),
            tty_flags: flags.split_whitespace().map(str::to_owned).collect(),
        }
    }
}

/// Now, in seconds since the Unix epoch (the clock the wrapper's `date` reads).
pub fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

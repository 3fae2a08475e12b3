//! `--demo`: a tickz and a chatz server in this process, on threads of
//! their own, so that one command shows the whole desk.

use super::chatz::server::ChatServer;
use super::tickz::server::TickServer;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The talk's tick interval and chat lease.
const TICK_EVERY: Duration = Duration::from_millis(500);
const LEASE: Duration = Duration::from_secs(5);

/// Where a server binds for a client endpoint of ours: the same port on
/// loopback (`tcp://localhost:9003` → `tcp://127.0.0.1:9003`).
fn bind_form(client_endpoint: &str) -> String {
    client_endpoint.replace("://localhost:", "://127.0.0.1:")
}

/// The running servers; dropping this stops them.
pub struct Servers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    _ctx: zmq::Context,
}

impl Servers {
    /// Binds and starts both servers.
    pub fn start(tickz: &str, chatz: &str, chatz_feed: &str) -> Result<Servers, Failure> {
        let ctx = zmq::Context::new();
        let busy = |what: &str, at: &str, e: zmq::Error| -> Failure {
            format!("--demo cannot start its {what} on {at}: {e} (is one running already? then drop --demo)")
                .into()
        };
        let tickz_at = bind_form(tickz);
        let mut ticker = TickServer::bind(&ctx, &tickz_at, TICK_EVERY)
            .map_err(|e| busy("tickz server", &tickz_at, e))?;
        let (router_at, feed_at) = (bind_form(chatz), bind_form(chatz_feed));
        let log: super::chatz::server::Log = Box::new(|line| eprintln!("dealz demo chatz: {line}"));
        let mut chat = ChatServer::bind(&ctx, &router_at, &feed_at, LEASE, log)
            .map_err(|e| busy("chatz server", &router_at, e))?;
        eprintln!(
            "dealz demo: tickz server on {}, chatz server on {} (feed {})",
            ticker.endpoint, chat.router_endpoint, chat.publish_endpoint
        );
        let stop = Arc::new(AtomicBool::new(false));
        let threads = vec![
            {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    if let Err(e) = ticker.run(&stop) {
                        eprintln!("dealz demo tickz: {e}");
                    }
                })
            },
            {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    if let Err(e) = chat.run(&stop) {
                        eprintln!("dealz demo chatz: {e}");
                    }
                })
            },
        ];
        Ok(Servers {
            stop,
            threads,
            _ctx: ctx,
        })
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Each loop sees the flag within 100 ms.
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

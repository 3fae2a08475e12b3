//! The Chat panel's source: a chatz user. A REQ sends keep-alives and posts
//! the lazy-pirate way (no reply in time: close it, open a new one), and a
//! SUB follows the feed.

use super::chatz::proto;
use super::diagnostics;
use super::state::Desk;
use super::ticker::pace_reconnects;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use zmq::security::{CurveKeyPair, PublicKey};
use zmq::tokio::AsyncSocket;
use zmq::SocketType;

/// The server's public key and our key pair, for CURVE.
pub type Curve = (PublicKey, CurveKeyPair);

/// How often the desk tells the server it is still here.
const KEEP_ALIVE: Duration = Duration::from_millis(500);
/// How long it waits for a reply before it gives the REQ up.
const REPLY_TIMEOUT: Duration = Duration::from_millis(1500);
/// The longest post the page may send, in characters.
pub const MAX_POST_CHARS: usize = 2000;

/// Checks a post typed in the page: what is sent, or why not.
pub fn check_post(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty post is not sent".to_owned());
    }
    if text.chars().count() > MAX_POST_CHARS {
        return Err(format!(
            "a post has at most {MAX_POST_CHARS} characters, not {}",
            text.chars().count()
        ));
    }
    Ok(text.to_owned())
}

/// Connects the feed's SUB and starts the REQ loop, both watched by
/// Diagnostics (`chatz feed`, `chatz requests`).
pub fn spawn(
    ctx: &zmq::Context,
    handle: &str,
    server: &str,
    feed: &str,
    curve: Option<Curve>,
    desk: Arc<Desk>,
    posts: mpsc::Receiver<String>,
) -> zmq::Result<()> {
    let sub = ctx.socket(SocketType::Sub)?;
    pace_reconnects(&sub)?;
    if let Some((server_key, own)) = &curve {
        sub.curve_client(server_key, own)?;
    }
    sub.subscribe("")?;
    let sub = AsyncSocket::new(sub)?;
    let feed_up = Arc::new(AtomicBool::new(false));
    let on_link = {
        let feed_up = feed_up.clone();
        Box::new(move |up| feed_up.store(up, Ordering::Relaxed))
    };
    diagnostics::watch(
        &desk,
        "chatz feed",
        feed,
        diagnostics::Role::Connects,
        &sub,
        Some(on_link),
    )?;
    sub.with_socket(|s| s.connect(feed))?;
    tokio::spawn(read_feed(sub, desk.clone()));

    let requests = Requests {
        ctx: ctx.clone(),
        handle: handle.to_owned(),
        server: server.to_owned(),
        curve,
        desk,
        feed_up,
    };
    tokio::spawn(requests.run(posts));
    Ok(())
}

async fn read_feed(sub: AsyncSocket, desk: Arc<Desk>) {
    loop {
        match sub.recv_multipart().await {
            Ok(frames) => {
                if let Some((handle, message)) =
                    frames.first().and_then(|f| proto::parse_broadcast(f))
                {
                    desk.chat_line(handle, message);
                }
            }
            Err(e) => {
                // A terminated context is the host stopping: nothing to say.
                if !e.is_terminated() {
                    eprintln!("dealz chat feed: {e}");
                }
                return;
            }
        }
    }
}

struct Requests {
    ctx: zmq::Context,
    handle: String,
    server: String,
    curve: Option<Curve>,
    desk: Arc<Desk>,
    /// Whether the feed's SUB is connected (from its monitor).
    feed_up: Arc<AtomicBool>,
}

impl Requests {
    /// Posts go out once the server answers and the feed is connected:
    /// the server publishes each post once, and a SUB still reconnecting
    /// (after the server came back) would miss it.
    fn can_post(&self, online: bool) -> bool {
        online && self.feed_up.load(Ordering::Relaxed)
    }

    fn socket(&self) -> zmq::Result<AsyncSocket> {
        let req = self.ctx.socket(SocketType::Req)?;
        pace_reconnects(&req)?;
        if let Some((server_key, own)) = &self.curve {
            req.curve_client(server_key, own)?;
        }
        let req = AsyncSocket::new(req)?;
        diagnostics::watch(
            &self.desk,
            "chatz requests",
            &self.server,
            diagnostics::Role::Connects,
            &req,
            None,
        )?;
        req.with_socket(|s| s.connect(&self.server))?;
        Ok(req)
    }

    /// Keeps the lease, sends posts (each until the server answers it), and
    /// replaces the REQ whenever a reply does not come in time.
    async fn run(self, mut posts: mpsc::Receiver<String>) {
        let mut outbox: VecDeque<String> = VecDeque::new();
        let mut online = false;
        'socket: loop {
            let req = match self.socket() {
                Ok(req) => req,
                Err(e) => {
                    eprintln!("dealz chat: {e}");
                    return;
                }
            };
            loop {
                let post = if self.can_post(online) {
                    outbox.front().cloned()
                } else {
                    None
                };
                let body = match &post {
                    Some(text) => proto::post(&self.handle, text),
                    None => proto::keep_alive(&self.handle),
                };
                let sent = Instant::now();
                let reply = timeout(REPLY_TIMEOUT, async {
                    req.send(body.as_str()).await?;
                    req.recv_multipart().await
                })
                .await;
                match reply {
                    Ok(Ok(frames)) => {
                        online = true;
                        if post.is_some() {
                            outbox.pop_front();
                        }
                        self.desk
                            .chat_status(true, Some(proto::parse_reply(&frames)));
                    }
                    Ok(Err(e)) => {
                        if !e.is_terminated() {
                            eprintln!("dealz chat: {e}");
                        }
                        return;
                    }
                    Err(_) => {
                        // Lazy pirate: this REQ is stuck; start again.
                        online = false;
                        self.desk.chat_status(false, None);
                        continue 'socket;
                    }
                }
                // Wait for the next keep-alive, unless a post can go now.
                if !outbox.is_empty() && self.can_post(online) {
                    continue;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(sent + KEEP_ALIVE) => {}
                    post = posts.recv() => match post {
                        Some(text) => outbox.push_back(text),
                        None => return, // the host is stopping
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_are_trimmed_and_bounded() {
        assert_eq!(check_post("  hi  "), Ok("hi".to_owned()));
        assert!(check_post("   ").is_err());
        assert!(check_post(&"x".repeat(MAX_POST_CHARS + 1)).is_err());
    }
}

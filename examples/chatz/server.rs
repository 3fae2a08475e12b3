//! The chatz server: a ROUTER that answers every request with the live
//! handles, and a PUB that republishes every post verbatim.

use super::peers::PeerLog;
use super::proto::{self, Request};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zmq::security::SecretKey;
use zmq::{Message, PollEvents, PollItem, Socket, SocketType};

/// The largest frame the ROUTER takes at all; larger ones drop the peer.
/// Requests between [`proto::MAX_REQUEST_BYTES`] and this are answered as bad.
const MAX_WIRE_MESSAGE: i64 = 1 << 20;

/// The most handles live at once. A request from a new handle past it is
/// answered (with the list) but the handle is not made live and its post
/// is not published: every reply lists every live handle, so their number
/// bounds the size of each reply.
pub const MAX_LIVE_HANDLES: usize = 1000;

/// The largest message the PUB takes from a subscriber (a subscription),
/// in bytes; a larger one drops that subscriber.
const MAX_SUBSCRIPTION_MESSAGE: i64 = 1024;

/// Where the server's log lines go (stderr for the program, a prefix in the tour).
pub type Log = Box<dyn Fn(&str) + Send>;

/// A bound chatz server.
pub struct ChatServer {
    router: Socket,
    publisher: Socket,
    expiry: Duration,
    leases: BTreeMap<String, Instant>,
    log: Log,
    /// The monitors of the ROUTER and the PUB, once [`ChatServer::watch_peers`] ran.
    peers: Vec<PeerLog>,
    /// The ROUTER's endpoint, with the port a wildcard bind got.
    pub router_endpoint: String,
    /// The PUB's endpoint, with the port a wildcard bind got.
    pub publish_endpoint: String,
}

impl ChatServer {
    /// Binds the ROUTER and the PUB; `expiry` is the lease of a handle.
    #[allow(dead_code)] // the NULL-only entry point, for the tour and the tests
    pub fn bind(
        ctx: &zmq::Context,
        router_at: &str,
        publish_at: &str,
        expiry: Duration,
        log: Log,
    ) -> zmq::Result<ChatServer> {
        ChatServer::bind_curve(ctx, router_at, publish_at, expiry, log, None)
    }

    /// Like [`ChatServer::bind`], and with `curve` (the server's secret key)
    /// both sockets are CURVE servers: the context's ZAP handler, if one is
    /// running, decides which client keys get in.
    pub fn bind_curve(
        ctx: &zmq::Context,
        router_at: &str,
        publish_at: &str,
        expiry: Duration,
        log: Log,
        curve: Option<&SecretKey>,
    ) -> zmq::Result<ChatServer> {
        let router = ctx.socket(SocketType::Router)?;
        router.set(zmq::opt::Linger, Duration::from_millis(500))?;
        router.set(zmq::opt::MaxMsgSize, MAX_WIRE_MESSAGE)?;
        let publisher = ctx.socket(SocketType::Pub)?;
        publisher.set(zmq::opt::Linger, Duration::from_millis(500))?;
        publisher.set(zmq::opt::MaxMsgSize, MAX_SUBSCRIPTION_MESSAGE)?;
        if let Some(secret) = curve {
            router.curve_server(secret)?;
            publisher.curve_server(secret)?;
        }
        router.bind(router_at)?;
        publisher.bind(publish_at)?;
        Ok(ChatServer {
            router_endpoint: router.last_endpoint()?,
            publish_endpoint: publisher.last_endpoint()?,
            router,
            publisher,
            expiry,
            leases: BTreeMap::new(),
            log,
            peers: Vec::new(),
        })
    }

    /// Logs one line per refused or failed handshake on either socket (the
    /// peer's address and why), and with `all_events` every connection
    /// event (the `--monitor` flag). Call it before [`run`](Self::run).
    pub fn watch_peers(&mut self, all_events: bool) -> zmq::Result<()> {
        self.peers = vec![
            PeerLog::new(&self.router, "requests", all_events)?,
            PeerLog::new(&self.publisher, "feed", all_events)?,
        ];
        Ok(())
    }

    /// Serves until `stop` is set (checked at least every 100 ms).
    pub fn run(&mut self, stop: &AtomicBool) -> zmq::Result<()> {
        while !stop.load(Ordering::Relaxed) {
            let mut items: Vec<PollItem> = std::iter::once(&self.router)
                .chain(self.peers.iter().map(PeerLog::socket))
                .map(|socket| PollItem::socket(socket, PollEvents::POLLIN))
                .collect();
            zmq::poll(&mut items, Some(Duration::from_millis(100)))?;
            drop(items);
            for peers in &mut self.peers {
                for line in peers.update()? {
                    (self.log)(&line);
                }
            }
            while let Some(frames) = self.router.try_recv_multipart()? {
                self.handle(frames)?;
            }
            self.expire(Instant::now());
        }
        Ok(())
    }

    /// The handles alive now, sorted.
    pub fn live_handles(&self) -> Vec<String> {
        self.leases.keys().cloned().collect()
    }

    fn expire(&mut self, now: Instant) {
        let expiry = self.expiry;
        let gone: Vec<String> = self
            .leases
            .iter()
            .filter(|(_, &seen)| now.duration_since(seen) >= expiry)
            .map(|(h, _)| h.clone())
            .collect();
        for handle in gone {
            self.leases.remove(&handle);
            (self.log)(&format!(
                "{handle} left (no request for {} s)",
                expiry.as_secs_f64()
            ));
        }
    }

    /// Answers one request: `[routing id][...][empty][body]` from a REQ (the
    /// envelope is everything up to the first empty frame; a DEALER that
    /// sends none gets its routing id back).
    fn handle(&mut self, mut frames: Vec<Message>) -> zmq::Result<()> {
        if frames.is_empty() {
            return Ok(());
        }
        let split = frames
            .iter()
            .skip(1)
            .position(|f| f.is_empty())
            .map_or(1, |i| i + 2);
        let body = frames.split_off(split);
        let mut reply = frames;
        let now = Instant::now();
        self.expire(now);
        let mut post = None;
        let parsed = if body.len() == 1 {
            proto::parse_request(&body[0])
        } else {
            Err(proto::BadRequest::FrameCount(body.len()))
        };
        match parsed {
            Ok(request) => {
                let handle = request.handle();
                if let Some(seen) = self.leases.get_mut(handle) {
                    *seen = now;
                } else if self.leases.len() >= MAX_LIVE_HANDLES {
                    (self.log)(&format!(
                        "{handle} refused: {MAX_LIVE_HANDLES} handles are live already"
                    ));
                } else {
                    self.leases.insert(handle.to_owned(), now);
                    (self.log)(&format!("{handle} joined"));
                }
                let live = self.leases.contains_key(handle);
                if let (true, Request::Post { .. }) = (live, &request) {
                    post = body.into_iter().next();
                }
            }
            Err(why) => (self.log)(&format!("bad request ignored: {why}")),
        }
        let handles = self.live_handles();
        reply.extend(proto::reply_frames(&handles).into_iter().map(Message::from));
        // A ROUTER drops what it cannot route (a gone peer): never blocks here.
        self.router.send_multipart(reply)?;
        if let Some(post) = post {
            self.publisher.send(post)?;
        }
        Ok(())
    }
}

//! The chatz client's engine, without any user interface: a lazy-pirate REQ
//! (receive timeout, then close and reconnect) and a SUB on the feed.

use super::link::LinkWatch;
use super::proto;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use zmq::security::{CurveKeyPair, PublicKey};
use zmq::{PollEvents, PollItem, Socket, SocketType};

/// How often the client tells the server it is still here.
pub const KEEP_ALIVE: Duration = Duration::from_millis(500);
/// How long it waits for a reply before it gives the connection up.
pub const REPLY_TIMEOUT: Duration = Duration::from_millis(1500);
/// How long a post the server took may take to come back on the feed
/// before the user is told it may not have reached everyone.
pub const ECHO_TIMEOUT: Duration = Duration::from_secs(3);
/// How long posts wait, once the server answers, for the feed to be back
/// too; then they go anyway (and are reported if they do not come back).
pub const FEED_WAIT: Duration = Duration::from_secs(2);

/// What happened during a [`ChatClient::step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A post from someone (maybe us) arrived on the feed.
    Broadcast { handle: String, message: String },
    /// The list of live handles changed.
    Users(Vec<String>),
    /// The server answered: the first time, or again after being gone.
    ServerUp { was_gone: bool },
    /// The server did not answer in time; the client keeps retrying.
    ServerGone,
    /// Nothing from the server for [`link::SILENCE`](super::link::SILENCE):
    /// the likely causes, in words.
    Silent(String),
    /// The server took this post of ours, but it did not come back on the
    /// feed: others may not have seen it.
    Unconfirmed(String),
}

/// A connected chat client.
pub struct ChatClient {
    ctx: zmq::Context,
    handle: String,
    server: String,
    curve: Option<Curve>,
    req: Socket,
    sub: Socket,
    /// The feed's link, from its monitor: the diagnosis of a silence, and
    /// whether posts can be seen (a post published before our SUB is back
    /// would be lost for us, and the user would never know).
    feed_link: LinkWatch,
    posts: Posts,
    /// Since when the server answers but the feed is not up.
    feed_down_since: Option<Instant>,
    /// How long posts wait for the feed ([`FEED_WAIT`] unless set).
    feed_wait: Duration,
    /// How long a taken post may take to come back ([`ECHO_TIMEOUT`] unless set).
    echo_timeout: Duration,
    /// When the request in flight was sent (its post, if any, is in `posts`).
    in_flight: Option<Instant>,
    last_request: Option<Instant>,
    online: Option<bool>,
    users: Vec<String>,
}

/// The server's public key and our key pair, for CURVE.
pub type Curve = (PublicKey, CurveKeyPair);

fn request_socket(ctx: &zmq::Context, server: &str, curve: Option<&Curve>) -> zmq::Result<Socket> {
    let req = ctx.socket(SocketType::Req)?;
    // An unanswered request must not keep a closing socket (or the process) alive.
    req.set(zmq::opt::Linger, Duration::ZERO)?;
    req.set(zmq::opt::RcvTimeo, REPLY_TIMEOUT)?;
    if let Some((server_key, own)) = curve {
        req.curve_client(server_key, own)?;
    }
    req.connect(server)?;
    Ok(req)
}

impl ChatClient {
    /// Connects to the server (`server`, its ROUTER) and the feed (its PUB).
    #[allow(dead_code)] // the NULL-only entry point, for the tour and the tests
    pub fn connect(
        ctx: &zmq::Context,
        handle: &str,
        server: &str,
        feed: &str,
    ) -> zmq::Result<ChatClient> {
        ChatClient::connect_curve(ctx, handle, server, feed, None)
    }

    /// Like [`ChatClient::connect`], and with `curve` (the server's public
    /// key and our key pair) both sockets are CURVE clients.
    pub fn connect_curve(
        ctx: &zmq::Context,
        handle: &str,
        server: &str,
        feed: &str,
        curve: Option<Curve>,
    ) -> zmq::Result<ChatClient> {
        let sub = ctx.socket(SocketType::Sub)?;
        sub.set(zmq::opt::Linger, Duration::ZERO)?;
        if let Some((server_key, own)) = &curve {
            sub.curve_client(server_key, own)?;
        }
        sub.subscribe("")?;
        let feed_link = LinkWatch::new(&sub, feed, curve.is_some())?;
        sub.connect(feed)?;
        Ok(ChatClient {
            feed_link,
            feed_down_since: None,
            feed_wait: FEED_WAIT,
            echo_timeout: ECHO_TIMEOUT,
            ctx: ctx.clone(),
            handle: handle.to_owned(),
            server: server.to_owned(),
            req: request_socket(ctx, server, curve.as_ref())?,
            curve,
            sub,
            posts: Posts::default(),
            in_flight: None,
            last_request: None,
            online: None,
            users: Vec::new(),
        })
    }

    /// Sets how long posts wait for the feed once the server answers
    /// (default [`FEED_WAIT`]) and how long a post the server took may take
    /// to come back on the feed before it is reported (default
    /// [`ECHO_TIMEOUT`]). A loaded machine (a CI runner) needs more of both
    /// than a person at a terminal would wait.
    #[allow(dead_code)] // for the tests
    pub fn set_patience(&mut self, feed_wait: Duration, echo_timeout: Duration) {
        self.feed_wait = feed_wait;
        self.echo_timeout = echo_timeout;
    }

    /// Our handle.
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// Whether the server answered the last request (`None`: not yet known).
    pub fn online(&self) -> Option<bool> {
        self.online
    }

    /// The live handles of the last reply.
    pub fn users(&self) -> &[String] {
        &self.users
    }

    /// Queues a post; it is sent (and re-sent after a reconnect) until the
    /// server answers it.
    pub fn post(&mut self, message: &str) {
        self.posts.queue(message.to_owned());
    }

    /// Posts not yet answered by the server.
    /// (A post counts until it came back on the feed, or the user was told
    /// with [`Event::Unconfirmed`] that it may not have.)
    pub fn pending(&self) -> usize {
        self.posts.pending()
    }

    /// The posts [`pending`](Self::pending) counts, oldest first: to tell
    /// the user which ones did not make it when the client gives up.
    pub fn pending_posts(&self) -> Vec<&str> {
        self.posts.pending_posts()
    }

    /// Sends what is due, waits at most `max_wait` for anything to arrive,
    /// and reports what happened.
    pub fn step(&mut self, max_wait: Duration) -> zmq::Result<Vec<Event>> {
        let mut events = Vec::new();
        let now = Instant::now();
        self.send_if_due(now)?;

        let wait = match self.in_flight {
            Some(sent) => (sent + REPLY_TIMEOUT).saturating_duration_since(now),
            None => KEEP_ALIVE,
        }
        .min(max_wait);
        let (feed_ready, reply_ready) = {
            let mut items = [
                PollItem::socket(&self.sub, PollEvents::POLLIN),
                PollItem::socket(&self.req, PollEvents::POLLIN),
            ];
            zmq::poll(&mut items, Some(wait))?;
            (items[0].is_readable(), items[1].is_readable())
        };

        if feed_ready {
            while let Some(frames) = self.sub.try_recv_multipart()? {
                self.feed_link.heard();
                if let Some((handle, message)) =
                    frames.first().and_then(|f| proto::parse_broadcast(f))
                {
                    if handle == self.handle {
                        self.posts.came_back(message);
                    }
                    events.push(Event::Broadcast {
                        handle: handle.to_owned(),
                        message: message.to_owned(),
                    });
                }
            }
        }
        if reply_ready {
            if let Some(frames) = self.req.try_recv_multipart()? {
                self.feed_link.heard();
                self.in_flight = None;
                self.posts.answered(Instant::now());
                if self.online != Some(true) {
                    events.push(Event::ServerUp {
                        was_gone: self.online == Some(false),
                    });
                    self.online = Some(true);
                }
                let users = proto::parse_reply(&frames);
                if users != self.users {
                    self.users = users.clone();
                    events.push(Event::Users(users));
                }
            }
        }
        if let Some(sent) = self.in_flight {
            if sent.elapsed() >= REPLY_TIMEOUT {
                // Lazy pirate: this REQ is stuck waiting; replace it.
                self.posts.unanswered();
                self.in_flight = None;
                self.req = request_socket(&self.ctx, &self.server, self.curve.as_ref())?;
                if self.online != Some(false) {
                    self.online = Some(false);
                    events.push(Event::ServerGone);
                }
                self.last_request = None;
            }
        }
        let unconfirmed = self.posts.unconfirmed(Instant::now(), self.echo_timeout);
        events.extend(unconfirmed.into_iter().map(Event::Unconfirmed));
        self.feed_link.update()?;
        if let Some(diagnosis) = self.feed_link.silence(Instant::now()) {
            events.push(Event::Silent(diagnosis));
        }
        Ok(events)
    }

    /// Whether a silence was reported and nothing has come from the server since.
    pub fn is_silent(&self) -> bool {
        self.feed_link.is_silent()
    }

    fn send_if_due(&mut self, now: Instant) -> zmq::Result<()> {
        if self.in_flight.is_some() {
            return Ok(());
        }
        let keep_alive_due = self
            .last_request
            .is_none_or(|t| now.duration_since(t) >= KEEP_ALIVE);
        // Posts wait for an answer and for the feed's handshake (for at most
        // feed_wait): published before our SUB is back, a post would be
        // lost for us.
        self.feed_link.update()?;
        let feed_ready = if self.feed_link.is_up() {
            self.feed_down_since = None;
            true
        } else {
            let since = *self.feed_down_since.get_or_insert(now);
            now.saturating_duration_since(since) >= self.feed_wait
        };
        let post = if self.online == Some(true) && feed_ready {
            self.posts.next()
        } else {
            None
        };
        let body = match &post {
            Some(message) => proto::post(&self.handle, message),
            None if keep_alive_due => proto::keep_alive(&self.handle),
            None => return Ok(()),
        };
        // Never block here (the UI thread calls this): a REQ whose server
        // refused the handshake has no pipe left, and a blocking send would
        // wait forever. Unsent, it is handled like an unanswered request:
        // after REPLY_TIMEOUT the socket is replaced and the post requeued.
        let carries_post = post.is_some();
        let _unsent = self.req.try_send(body)?;
        self.posts.sent(carries_post);
        self.in_flight = Some(now);
        self.last_request = Some(now);
        Ok(())
    }
}

/// What became of a client's posts: queued, carried by the request in
/// flight, or taken by the server and not yet back on the feed. The
/// blocking and the async client share it.
///
/// A post's broadcast and the server's reply travel on two sockets, so the
/// broadcast may come first: such a post is delivered, neither pending nor
/// sent again if the reply never comes.
#[derive(Debug, Default)]
pub struct Posts {
    outbox: VecDeque<String>,
    /// The post of the request in flight, if it carries one.
    in_flight: Option<String>,
    /// The post in flight came back on the feed before its reply did.
    echoed_in_flight: bool,
    /// Posts the server took, since when, waiting to come back on the feed.
    awaiting_echo: VecDeque<(Instant, String)>,
}

impl Posts {
    /// Queues a post to send.
    pub fn queue(&mut self, message: String) {
        self.outbox.push_back(message);
    }

    /// The post to send next, if any.
    pub fn next(&self) -> Option<&str> {
        self.outbox.front().map(String::as_str)
    }

    /// A request went out: it carries the post [`next`](Self::next) gave
    /// when `carries_post`, else it is a keep-alive.
    pub fn sent(&mut self, carries_post: bool) {
        self.in_flight = if carries_post {
            self.outbox.pop_front()
        } else {
            None
        };
        self.echoed_in_flight = false;
    }

    /// One of our own posts came back on the feed.
    pub fn came_back(&mut self, message: &str) {
        if let Some(i) = self.awaiting_echo.iter().position(|(_, m)| m == message) {
            self.awaiting_echo.remove(i);
        } else if self.in_flight.as_deref() == Some(message) {
            self.echoed_in_flight = true;
        }
    }

    /// The server answered the request in flight (at `now`): its post now
    /// waits to come back on the feed, unless it already has.
    pub fn answered(&mut self, now: Instant) {
        if let Some(post) = self.in_flight.take() {
            if !self.echoed_in_flight {
                self.awaiting_echo.push_back((now, post));
            }
        }
        self.echoed_in_flight = false;
    }

    /// The request in flight went unanswered and is given up: its post is
    /// sent again first, unless the feed showed that it arrived.
    pub fn unanswered(&mut self) {
        if let Some(post) = self.in_flight.take() {
            if !self.echoed_in_flight {
                self.outbox.push_front(post);
            }
        }
        self.echoed_in_flight = false;
    }

    /// The posts taken by the server more than `echo_timeout` before `now`
    /// that never came back on the feed; they are no longer pending.
    pub fn unconfirmed(&mut self, now: Instant, echo_timeout: Duration) -> Vec<String> {
        let mut given_up = Vec::new();
        while let Some((taken, _)) = self.awaiting_echo.front() {
            if now.saturating_duration_since(*taken) < echo_timeout {
                break;
            }
            if let Some((_, post)) = self.awaiting_echo.pop_front() {
                given_up.push(post);
            }
        }
        given_up
    }

    /// How many posts are not known to be delivered: queued, in flight
    /// (unless already back on the feed), or waiting to come back.
    pub fn pending(&self) -> usize {
        self.pending_posts().len()
    }

    /// The posts [`pending`](Self::pending) counts, oldest first.
    pub fn pending_posts(&self) -> Vec<&str> {
        let in_flight = self.in_flight.as_deref().filter(|_| !self.echoed_in_flight);
        self.awaiting_echo
            .iter()
            .map(|(_, p)| p.as_str())
            .chain(in_flight)
            .chain(self.outbox.iter().map(String::as_str))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_in_flight() -> Posts {
        let mut posts = Posts::default();
        posts.queue("hi".into());
        assert_eq!(posts.next(), Some("hi"));
        posts.sent(true);
        assert_eq!(posts.pending_posts(), ["hi"]);
        posts
    }

    #[test]
    fn an_answered_post_waits_for_its_broadcast() {
        let mut posts = one_in_flight();
        posts.answered(Instant::now());
        assert_eq!(posts.pending(), 1);
        posts.came_back("hi");
        assert_eq!(posts.pending(), 0);
    }

    #[test]
    fn a_broadcast_that_overtakes_the_reply_delivers_the_post() {
        let mut posts = one_in_flight();
        posts.came_back("hi");
        assert_eq!(posts.pending(), 0);
        posts.answered(Instant::now());
        assert_eq!(posts.pending(), 0);
        let mut posts = one_in_flight();
        posts.came_back("hi");
        posts.unanswered();
        assert_eq!(posts.next(), None, "sent twice");
    }

    #[test]
    fn an_unanswered_post_goes_first_again() {
        let mut posts = one_in_flight();
        posts.queue("later".into());
        posts.unanswered();
        assert_eq!(posts.next(), Some("hi"));
        assert_eq!(posts.pending_posts(), ["hi", "later"]);
    }

    #[test]
    fn a_post_that_never_comes_back_is_given_up_after_the_timeout() {
        let mut posts = one_in_flight();
        let taken = Instant::now();
        posts.answered(taken);
        let wait = Duration::from_secs(3);
        assert!(posts
            .unconfirmed(taken + Duration::from_secs(1), wait)
            .is_empty());
        assert_eq!(posts.unconfirmed(taken + wait, wait), ["hi"]);
        assert_eq!(posts.pending(), 0);
    }

    #[test]
    fn a_keep_alive_carries_no_post() {
        let mut posts = Posts::default();
        posts.queue("queued".into());
        posts.sent(false);
        posts.answered(Instant::now());
        assert_eq!(posts.pending_posts(), ["queued"]);
    }
}

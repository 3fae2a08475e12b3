//! The async policy of the [`Authenticator`]: an async fn asked about each
//! handshake, run as a task on a tokio runtime while the authenticator's
//! thread goes on answering other handshakes.

use std::future::Future;
use std::sync::Arc;

use tokio::runtime::Handle;

use crate::security::{Authenticator, OwnedZapRequest, PendingVerdict, Verdict};

impl Authenticator {
    /// Lets the async fn `policy` decide every request that passes the
    /// address rules, as [`set_policy`](Self::set_policy) does, without
    /// making other handshakes wait for it: each request becomes a task on
    /// `runtime` (feature `tokio`).
    ///
    /// - Any number of requests may be in flight at once; each reply goes
    ///   back to its own handshake when its verdict is ready. (libzmq gives
    ///   every handshake its own pipe to the ZAP handler, so replies need no
    ///   order across handshakes.)
    /// - The rules around the policy are the same as for `set_policy`:
    ///   malformed requests and addresses refused by
    ///   [`allow`](Self::allow)/[`deny`](Self::deny) never reach it, and
    ///   [`Verdict::UseRules`] applies the PLAIN users and CURVE keys, as
    ///   they are when the verdict comes back.
    /// - A policy that panics refuses its handshake with status 500 ("policy
    ///   failed"); one whose task is cancelled (the runtime shut down) with
    ///   500 ("policy dropped the request"). The decision log shows both; the
    ///   authenticator goes on.
    /// - Stopping the authenticator refuses the handshakes still waiting with
    ///   500 ("authenticator stopped") and does not wait for their tasks; a
    ///   verdict that comes later is dropped.
    /// - A policy that never finishes leaves its handshake to libzmq's
    ///   handshake timeout ([`opt::HandshakeIvl`](crate::opt::HandshakeIvl),
    ///   30 s by default); wrap a slow lookup in `tokio::time::timeout` to
    ///   answer sooner.
    ///
    /// - The tasks run only while `runtime` runs: on a current-thread
    ///   runtime, while its `block_on` is being polled.
    ///
    /// Replaces an earlier policy, sync or async.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zmq::security::{Authenticator, Credentials, Verdict};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zmq::Result<()> {
    /// let ctx = zmq::Context::new();
    /// let auth = Authenticator::start(&ctx)?;
    /// auth.set_async_policy(&tokio::runtime::Handle::current(), |request| async move {
    ///     // A key service, a database: anything that awaits.
    ///     tokio::time::sleep(Duration::from_millis(5)).await;
    ///     match request.credentials() {
    ///         Credentials::Plain { username, password }
    ///             if username == "admin" && password.matches("secret") =>
    ///         {
    ///             Verdict::allow(username)
    ///         }
    ///         _ => Verdict::deny("unknown user"),
    ///     }
    /// });
    ///
    /// let server = ctx.async_socket(zmq::SocketType::Pull)?;
    /// server.with_socket(|s| s.plain_server())?;
    /// server.bind("tcp://127.0.0.1:*")?;
    /// let client = ctx.socket(zmq::SocketType::Push)?;
    /// client.plain_client("admin", "secret")?;
    /// client.connect(&server.last_endpoint()?)?;
    /// client.send("hi")?;
    /// assert_eq!(server.recv().await?.user_id(), Some("admin"));
    /// # Ok(())
    /// # }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn set_async_policy<P, F>(&self, runtime: &Handle, policy: P)
    where
        P: Fn(OwnedZapRequest) -> F + Send + Sync + 'static,
        F: Future<Output = Verdict> + Send + 'static,
    {
        let policy = Arc::new(policy);
        let runtime = runtime.clone();
        self.set_deferred_policy(Arc::new(
            move |request: OwnedZapRequest, pending: PendingVerdict| {
                let policy = Arc::clone(&policy);
                // The policy is called inside its own task, so a panic in the
                // call or in the future is caught by tokio and seen here as a
                // JoinError, not on the authenticator's thread.
                let evaluation = runtime.spawn(async move { policy(request).await });
                runtime.spawn(async move {
                    let verdict = match evaluation.await {
                        Ok(verdict) => verdict,
                        Err(e) if e.is_panic() => Verdict::Deny {
                            status: 500,
                            text: "policy failed".into(),
                        },
                        // Cancelled: dropping `pending` says so.
                        Err(_) => return,
                    };
                    pending.complete(verdict);
                });
            },
        ));
    }
}

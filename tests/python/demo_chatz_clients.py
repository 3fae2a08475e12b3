"""Python REQ clients on a chatz server (Rust): keep-alives, posts with both
separators, malformed requests; and a SUB on its feed.

usage: demo_chatz_clients.py ROUTER_EP FEED_EP CLIENTS
Prints 'ok' and exits 0 when every check holds; exits 1 with the reason otherwise.
"""
import sys
import time

import zmq

SEP, ALT = "\x1f", "\u221e"


def fail(why):
    print("FAIL: " + why, flush=True)
    sys.exit(1)


def main():
    router, feed, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVTIMEO, 5000)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(feed)

    clients = []
    for i in range(count):
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, 10000)
        s.connect(router)
        clients.append(("py%03d" % i, s))

    # All of them at once: the ROUTER must answer each, sorted, one frame per handle.
    for handle, s in clients:
        s.send_string(handle)
    for handle, s in clients:
        try:
            frames = s.recv_multipart()
        except zmq.Again:
            fail("no reply to the keep-alive of " + handle)
        users = [f.decode("utf-8") for f in frames]
        if users != sorted(users) or handle not in users:
            fail("bad reply to %s: %r" % (handle, users[:5]))
    # A second round: now every one of them is live.
    expected = sorted(h for h, _ in clients)
    for handle, s in clients:
        s.send_string(handle)
    for handle, s in clients:
        users = [f.decode("utf-8") for f in s.recv_multipart()]
        missing = set(expected) - set(users)
        if missing:
            fail("%s sees %d users, missing %r" % (handle, len(users), sorted(missing)[:5]))

    # Malformed requests are answered with the list, and nobody is dropped.
    bad = clients[0][1]
    for body in [b"", b"\xff\xfe", ("a" + SEP + "b" + SEP + "c").encode(), b"x" * 100 * 1024]:
        bad.send(body)
        try:
            frames = bad.recv_multipart()
        except zmq.Again:
            fail("no reply to malformed request %r" % body[:20])
        names = [f.decode("utf-8") for f in frames if f]
        if set(expected) - set(names):
            fail("users dropped after malformed request %r" % body[:20])

    # Posts, with our separator and the 2014 one, come back verbatim on the feed.
    # (Keep-alives first: the SUB may have joined late; posts repeat until seen.)
    posts = {
        (clients[1][0] + SEP + "hello from python").encode(),
        (clients[2][0] + ALT + "legacy hello \u00e9\u00e8").encode(),
    }
    seen = set()
    deadline = time.time() + 10
    while seen != posts and time.time() < deadline:
        for body in posts - seen:
            handle = clients[1][1] if body.startswith(clients[1][0].encode()) else clients[2][1]
            handle.send(body)
            handle.recv_multipart()
        try:
            while True:
                frame = sub.recv(zmq.NOBLOCK if seen else 0)
                if frame in posts:
                    seen.add(frame)
        except zmq.Again:
            pass
    if seen != posts:
        fail("posts not republished verbatim: saw %r" % seen)
    print("ok", flush=True)


if __name__ == "__main__":
    main()

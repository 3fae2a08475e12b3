"""A pyzmq chatz user for the dealz tests.

usage:
  demo_dealz_chat.py post ROUTER_EP HANDLE TEXT
      posts TEXT as HANDLE (one REQ request, answered), prints 'posted'.
  demo_dealz_chat.py listen ROUTER_EP FEED_EP HANDLE
      subscribes to the feed, posts probes as HANDLE until one comes back (so
      the subscription is known to be live), prints 'ready', then prints
      every post as 'HANDLE: TEXT' until killed (or 120 s pass).
"""
import sys
import time

import zmq

SEP, ALT = "\x1f", "\u221e"


def request(ctx, router, body):
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.setsockopt(zmq.RCVTIMEO, 5000)
    req.connect(router)
    req.send_string(body)
    try:
        return [f.decode("utf-8") for f in req.recv_multipart()]
    finally:
        req.close()


def post(router, handle, text):
    ctx = zmq.Context()
    for _ in range(5):
        try:
            request(ctx, router, handle + SEP + text)
            print("posted", flush=True)
            return 0
        except zmq.Again:
            continue
    print("FAIL: the chatz server did not answer", flush=True)
    return 1


def listen(router, feed, handle):
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(feed)
    probe = "probe %d" % time.time_ns()
    ready = False
    deadline = time.time() + 120
    last_probe = 0.0
    while time.time() < deadline:
        if not ready and time.time() - last_probe > 0.5:
            try:
                request(ctx, router, handle + SEP + probe)
            except zmq.Again:
                pass
            last_probe = time.time()
        if sub.poll(100):
            frame = sub.recv().decode("utf-8", "replace")
            for sep in (SEP, ALT):
                if sep in frame:
                    who, text = frame.split(sep, 1)
                    break
            else:
                continue
            if not ready:
                if who == handle and text == probe:
                    ready = True
                    print("ready", flush=True)
                continue
            print("%s: %s" % (who, text), flush=True)
    return 0


def main():
    mode = sys.argv[1]
    if mode == "post":
        return post(sys.argv[2], sys.argv[3], sys.argv[4])
    if mode == "listen":
        return listen(sys.argv[2], sys.argv[3], sys.argv[4])
    print("FAIL: unknown mode " + mode, flush=True)
    return 2


if __name__ == "__main__":
    sys.exit(main())

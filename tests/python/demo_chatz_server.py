"""A chatz server in the 2014 style: REP (not ROUTER) and PUB, publishing
posts with the U+221E separator. Used behind the Rust chatz client.

Prints 'chatz-py REP <ep> PUB <ep>' once bound, then 'post HANDLE|MESSAGE|SEP'
for each post it gets (SEP: 'unit' for U+001F, 'inf' for U+221E). Serves for
at most 300 s (the test kills it sooner; the bound only keeps a stray one from
living on), and says so on stderr when that ends it.
"""
import sys
import time

import zmq

SEP, ALT = "\x1f", "\u221e"


def main():
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    rep.setsockopt(zmq.LINGER, 0)
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    rep_port = rep.bind_to_random_port("tcp://127.0.0.1")
    pub_port = pub.bind_to_random_port("tcp://127.0.0.1")
    print("chatz-py REP tcp://127.0.0.1:%d PUB tcp://127.0.0.1:%d" % (rep_port, pub_port), flush=True)
    users = {}
    deadline = time.time() + 300
    while time.time() < deadline:
        if not rep.poll(200):
            continue
        text = rep.recv().decode("utf-8", "replace")
        sep = SEP if SEP in text else ALT if ALT in text else None
        handle, _, message = text.partition(sep) if sep else (text, "", "")
        users[handle] = time.time()
        rep.send_multipart([h.encode() for h in sorted(users)] or [b""])
        if sep:
            print("post %s|%s|%s" % (handle, message, "unit" if sep == SEP else "inf"), flush=True)
            pub.send((handle + ALT + message).encode())
    print("chatz-py: served 300 s, exiting", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()

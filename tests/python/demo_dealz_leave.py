"""A pyzmq SUB on the dealz host's valuz control PUB, subscribed to
batch.leave as a worker is.

usage: demo_dealz_leave.py CONTROL_EP
Prints 'subscribed' once connected, then 'got batch.leave' when it comes
(exit 0), or 'FAIL: ...' after 60 s (exit 1).
"""
import sys

import zmq


def main():
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"batch.leave")
    sub.connect(sys.argv[1])
    print("subscribed", flush=True)
    if sub.poll(60000):
        frame = sub.recv()
        print("got " + frame.decode("utf-8", "replace"), flush=True)
        return 0
    print("FAIL: no batch.leave in 60 s", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())

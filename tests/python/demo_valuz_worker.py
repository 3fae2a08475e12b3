"""A valuz worker in Python, in the Rust pipeline.

usage: demo_valuz_worker.py PULL_EP PUSH_EP CONTROL_EP
Values are printed the way other languages would: repr floats (-4178.0) and
exponent notation (4.17800000000000000e+03), in turn, to exercise the
reduce's lenient parsing. Leaves on batch.leave (or after 60 s).
"""
import sys
import time

import zmq


def main():
    pull_ep, push_ep, control_ep = sys.argv[1:4]
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.LINGER, 0)
    pull.connect(pull_ep)
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 2000)
    push.connect(push_ep)
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"batch.leave")
    sub.connect(control_ep)
    push.send(b"")
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    poller.register(sub, zmq.POLLIN)
    valued = 0
    deadline = time.time() + 60
    while time.time() < deadline:
        ready = dict(poller.poll(100))
        if sub in ready:
            sub.recv()
            break
        if pull in ready:
            stock, action, price = pull.recv_multipart()
            value = int(action) * float(price) * 100
            text = repr(value) if valued % 2 == 0 else "%.17e" % value
            push.send(text.encode())
            valued += 1
    print("python worker valued %d orders" % valued, flush=True)


if __name__ == "__main__":
    main()

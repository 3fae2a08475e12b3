"""A valuz source and reduce in Python, around workers in any language.

usage: demo_valuz_pipeline.py WORKERS ORDERS
Prints 'valuz-py PUSH <ep> PULL <ep> PUB <ep>' once bound, waits for WORKERS
idling frames, publishes batch.start, pushes ORDERS orders, sums the values
(exactly, with Decimal), publishes batch.leave and prints the expected and
calculated results. Exits 0 if they agree, 1 otherwise (or after 60 s).
"""
import random
import sys
import time
from decimal import Decimal

import zmq


def main():
    workers, orders = int(sys.argv[1]), int(sys.argv[2])
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 2000)
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.LINGER, 0)
    pull.setsockopt(zmq.RCVTIMEO, 30000)
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 2000)
    ports = [s.bind_to_random_port("tcp://127.0.0.1") for s in (push, pull, pub)]
    print("valuz-py PUSH tcp://127.0.0.1:%d PULL tcp://127.0.0.1:%d PUB tcp://127.0.0.1:%d" % tuple(ports), flush=True)
    ready = 0
    while ready < workers:
        if pull.recv() == b"":
            ready += 1
    time.sleep(1)  # the protocol's pause: subscribers join late
    pub.send(b"batch.start")
    prices = {"MSFT": 4178, "AAPL": 9535, "GOOG": 57109, "YHOO": 3453, "BBRY": 1090}
    expected = Decimal(0)
    for _ in range(orders):
        stock = random.choice(list(prices))
        prices[stock] = max(1, prices[stock] + random.randint(-99, 99))
        action = random.choice([1, -1])
        price = "%d.%02d" % divmod(prices[stock], 100)
        expected += action * Decimal(price) * 100
        push.send_multipart([stock.encode(), str(action).encode(), price.encode()])
    total = Decimal(0)
    got = 0
    while got < orders:
        frame = pull.recv()
        if frame:
            total += Decimal(frame.decode())
            got += 1
    pub.send(b"batch.leave")
    print("Expected result: {:+.3f}".format(expected), flush=True)
    print("Calculated result: {:+.3f}".format(total), flush=True)
    sys.exit(0 if expected == total else 1)


if __name__ == "__main__":
    main()

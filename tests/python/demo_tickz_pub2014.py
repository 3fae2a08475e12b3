"""A tickz publisher in the 2014 C server's format: the timestamp is a
little-endian i64 of whole seconds. It also sends traps a reader must
filter: a symbol that extends a followed one (AAPLX), a 2-frame message,
a bad timestamp. Prints 'tickz-py PUB <ep>', then publishes every 50 ms for
at most 300 s (the test kills it sooner), saying so on stderr when that ends it.
"""
import struct
import sys
import time

import zmq


def main():
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    print("tickz-py PUB tcp://127.0.0.1:%d" % port, flush=True)
    price = 95.35
    deadline = time.time() + 300
    while time.time() < deadline:
        price += 0.25
        now = struct.pack("<q", int(time.time()))
        pub.send_multipart([b"AAPL", now, struct.pack("<d", price)])
        pub.send_multipart([b"AAPLX", now, struct.pack("<d", 1.0)])
        pub.send_multipart([b"AAPL", now])
        pub.send_multipart([b"AAPL", b"\x00" * 8, struct.pack("<d", 2.0)])
        pub.send_multipart([b"AAPL", now, struct.pack("<d", -3.0)])
        time.sleep(0.05)
    print("tickz-py: published for 300 s, exiting", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()

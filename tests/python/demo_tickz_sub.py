"""A Python SUB reading the Rust tickz server.

usage: demo_tickz_sub.py ENDPOINT SYMBOL COUNT
Checks COUNT ticks of SYMBOL: three frames, the exact symbol, an f64 LE
timestamp near now, an f64 LE positive price. Prints each and then 'ok'.
"""
import struct
import sys
import time

import zmq


def main():
    endpoint, symbol, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVTIMEO, 10000)
    sub.setsockopt(zmq.SUBSCRIBE, symbol.encode())
    sub.connect(endpoint)
    for _ in range(count):
        frames = sub.recv_multipart()
        if len(frames) != 3:
            print("FAIL: %d frames" % len(frames), flush=True)
            sys.exit(1)
        sym, ts, px = frames
        (stamp,) = struct.unpack("<d", ts)
        (price,) = struct.unpack("<d", px)
        if sym != symbol.encode() or abs(stamp - time.time()) > 60 or not price > 0:
            print("FAIL: bad tick %r %r %r" % (sym, stamp, price), flush=True)
            sys.exit(1)
        print("%s %.3f %.3f" % (sym.decode(), price, stamp), flush=True)
    print("ok", flush=True)


if __name__ == "__main__":
    main()

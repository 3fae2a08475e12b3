"""pyzmq's asyncio side of the async interop test (tests/async_pyzmq.rs).

    async_echo.py COUNT

Binds an asyncio ROUTER (mandatory routing, so a full peer makes it wait
instead of dropping) with high-water marks of 1 on 127.0.0.1 (any port),
prints "listening on ENDPOINT", echoes COUNT multipart messages with a part
"echo" put after the routing id, while a second coroutine on the same socket's
event loop pushes COUNT numbered messages of its own to the first peer that
said hello, then prints "ok".
"""
import asyncio
import struct
import sys

import zmq
import zmq.asyncio


async def main(count):
    ctx = zmq.asyncio.Context()
    router = ctx.socket(zmq.ROUTER)
    router.sndhwm = 1
    router.rcvhwm = 1
    router.linger = 5000
    # A ROUTER drops what it cannot queue; mandatory makes a full peer wait.
    router.router_mandatory = 1
    router.bind("tcp://127.0.0.1:0")
    pusher = ctx.socket(zmq.PUSH)
    pusher.sndhwm = 1
    pusher.linger = 5000
    pusher.bind("tcp://127.0.0.1:0")
    print("listening on", router.last_endpoint.decode(), pusher.last_endpoint.decode())

    async def echo():
        for expected in range(count):
            routing_id, *parts = await router.recv_multipart()
            (number,) = struct.unpack("<Q", parts[0])
            assert number == expected, (number, expected)
            await router.send_multipart([routing_id, b"echo", *parts])

    async def push():
        for number in range(count):
            await pusher.send_multipart([b"py", struct.pack("<Q", number)])

    await asyncio.gather(echo(), push())
    print("ok")
    router.close()
    pusher.close()
    ctx.term()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

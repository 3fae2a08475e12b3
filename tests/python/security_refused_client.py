"""pyzmq's side of tests/security_policy_pyzmq.rs: a client that our
authenticator refuses, reporting what its own monitor saw.

    security_refused_client.py ENDPOINT SERVER_PUBLIC_KEY_Z85

Prints `client key KEY` (its CURVE public key, Z85), connects a CURVE DEALER
to ENDPOINT, then prints the first handshake event of its monitor as
`event NAME VALUE` (e.g. `event HANDSHAKE_FAILED_AUTH 400`).
"""
import sys

import zmq
from zmq.utils.monitor import recv_monitor_message

HANDSHAKE_EVENTS = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)


def main(endpoint, server_key):
    ctx = zmq.Context()
    public, secret = zmq.curve_keypair()
    print("client key", public.decode())
    client = ctx.socket(zmq.DEALER)
    client.linger = 0
    client.curve_serverkey = server_key.encode()
    client.curve_publickey = public
    client.curve_secretkey = secret
    monitor = client.get_monitor_socket(HANDSHAKE_EVENTS)
    monitor.rcvtimeo = 15000
    client.connect(endpoint)
    event = recv_monitor_message(monitor)
    print("event", zmq.Event(event["event"]).name, event["value"])
    client.disable_monitor()
    monitor.close(0)
    client.close(0)
    ctx.term()


if __name__ == "__main__":
    main(*sys.argv[1:3])

"""pyzmq's side of the certificate interop tests (tests/security_certs.rs).

    create DIR NAME          zmq.auth.create_certificates(DIR, NAME)
    load FILE                print the public and secret key of a certificate
    load-dir DIR             print the public keys zmq.auth.load_certificates finds
    send ENDPOINT SERVER_CERT CLIENT_CERT MESSAGE
                             connect a CURVE PUSH client and send MESSAGE
"""
import sys

import zmq
import zmq.auth


def main(args):
    command = args[0]
    if command == "create":
        public, secret = zmq.auth.create_certificates(args[1], args[2])
        print(public)
        print(secret)
    elif command == "load":
        public, secret = zmq.auth.load_certificate(args[1])
        print(public.decode())
        print(secret.decode() if secret else "None")
    elif command == "load-dir":
        for key in sorted(zmq.auth.load_certificates(args[1])):
            print(key.decode())
    elif command == "send":
        endpoint, server_cert, client_cert, message = args[1:5]
        server_public, _ = zmq.auth.load_certificate(server_cert)
        client_public, client_secret = zmq.auth.load_certificate(client_cert)
        ctx = zmq.Context()
        push = ctx.socket(zmq.PUSH)
        push.curve_serverkey = server_public
        push.curve_publickey = client_public
        push.curve_secretkey = client_secret
        push.linger = 5000
        push.sndtimeo = 5000
        push.connect(endpoint)
        push.send_string(message)
        push.close()
        ctx.term()
    else:
        sys.exit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""An Exchange-style SMTP listener with real OpenSSL TLS, for tests/e2e/windows.sh.

It greets and answers EHLO the way Exchange 2013-2019 front ends do (banner
"Microsoft ESMTP MAIL Service", X-ANONYMOUSTLS, AUTH NTLM) and runs STARTTLS
through Python's ssl module, i.e. the system OpenSSL, pinned to a version range:

  --tls tls10    TLS 1.0 only (an Exchange 2010/2013 on Server 2008 R2/2012 R2
                 where TLS 1.1/1.2 were never turned on): security level 0,
                 since OpenSSL 3 refuses TLS 1.0 at its default level
  --tls modern   TLS 1.2 and 1.3
  --tls none     no STARTTLS in the EHLO reply (and 502 if asked anyway)
  --tls silent   accepts connections and never greets (for Ctrl-C tests)

It accepts no mail: RCPT and DATA get 554, and tlscheck never sends them.
Loopback only: --bind must be a 127.0.0.0/8 address. Prints "ready" once
listening; stops on SIGTERM. Every read is bounded (line length, 30 s).
"""
import argparse
import warnings
import ipaddress
import socket
import socketserver
import ssl
import sys

# TLS 1.0 is the point of the tls10 mode; Python warns that it is deprecated.
warnings.filterwarnings("ignore", category=DeprecationWarning)

MAX_LINE = 4096
TIMEOUT = 30


def ehlo_reply(name, peer, starttls):
    lines = [
        f"{name} Hello [{peer}]",
        "SIZE 37748736",
        "PIPELINING",
        "DSN",
        "ENHANCEDSTATUSCODES",
    ]
    if starttls:
        lines += ["STARTTLS", "X-ANONYMOUSTLS"]
    lines += ["AUTH NTLM", "X-EXPS GSSAPI NTLM", "8BITMIME", "BINARYMIME", "CHUNKING", "XRDST"]
    return "".join(
        f"250{' ' if i == len(lines) - 1 else '-'}{line}\r\n" for i, line in enumerate(lines)
    ).encode()


def make_handler(args, context):
    class Handler(socketserver.StreamRequestHandler):
        timeout = TIMEOUT

        def handle(self):
            sock = self.request
            if args.tls == "silent":
                # Hold the connection until the client gives up.
                try:
                    sock.recv(1)
                except OSError:
                    pass
                return
            rfile, wfile = self.rfile, self.wfile
            tls = False
            wfile.write(
                f"220 {args.name} Microsoft ESMTP MAIL Service ready at Tue, 1 Dec 2026 "
                "05:00:00 +0000\r\n".encode()
            )
            while True:
                try:
                    line = rfile.readline(MAX_LINE)
                except (OSError, ssl.SSLError):
                    return
                if not line:
                    return
                verb = line.strip().split(b" ")[0].upper()
                if verb in (b"EHLO", b"HELO"):
                    wfile.write(ehlo_reply(args.name, self.client_address[0],
                                           args.tls in ("tls10", "modern") and not tls))
                elif verb == b"STARTTLS" and args.tls in ("tls10", "modern") and not tls:
                    wfile.write(b"220 2.0.0 SMTP server ready\r\n")
                    wfile.flush()
                    try:
                        sock = context.wrap_socket(sock, server_side=True)
                    except (OSError, ssl.SSLError):
                        # Exchange (Schannel) drops the connection when no
                        # common version exists.
                        return
                    sock.settimeout(TIMEOUT)
                    rfile = sock.makefile("rb")
                    wfile = sock.makefile("wb", buffering=0)
                    tls = True
                elif verb == b"STARTTLS":
                    wfile.write(b"502 5.3.3 Command not implemented\r\n")
                elif verb == b"MAIL":
                    wfile.write(b"250 2.1.0 Sender OK\r\n")
                elif verb in (b"RCPT", b"DATA", b"BDAT"):
                    wfile.write(b"554 5.7.1 This test server accepts no mail\r\n")
                elif verb == b"RSET":
                    wfile.write(b"250 2.0.0 Resetting\r\n")
                elif verb == b"NOOP":
                    wfile.write(b"250 2.0.0 OK\r\n")
                elif verb == b"QUIT":
                    wfile.write(b"221 2.0.0 Service closing transmission channel\r\n")
                    return
                else:
                    wfile.write(b"500 5.3.3 Unrecognized command\r\n")
                wfile.flush()

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True, help="IP:PORT on loopback")
    p.add_argument("--tls", choices=["tls10", "modern", "none", "silent"], required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--name", default="EX2013.contoso.test")
    args = p.parse_args()
    host, _, port = args.bind.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit("exchange_smtp.py: --bind must be a loopback address")
    context = None
    if args.tls in ("tls10", "modern"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        if args.tls == "tls10":
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1
        else:
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.maximum_version = ssl.TLSVersion.TLSv1_3

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    with Server((host, int(port)), make_handler(args, context)) as server:
        print("ready", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()

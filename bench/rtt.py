#!/usr/bin/env python3
"""Measures the round-trip time of a path: TCP connect, then the greeting.

Opens --count connections to HOST:PORT one after another and times two
steps of each: connect() (SYN to SYN-ACK: one RTT) and the first line the
server sends (the SMTP greeting: the server's accept needs the client's ACK,
half an RTT, and the greeting takes another half: one RTT). Prints one line:

    connect_ms=MEDIAN greeting_ms=MEDIAN total_ms=MEDIAN  (min ...)

Each read is bounded (--timeout seconds); the server is never sent a byte
except QUIT.
"""

import argparse
import socket
import statistics
import time


def once(host, port, timeout):
    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        t1 = time.monotonic()
        data = b""
        while b"\n" not in data and len(data) < 4096:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        t2 = time.monotonic()
        s.sendall(b"QUIT\r\n")
    finally:
        s.close()
    return (t1 - t0) * 1000, (t2 - t1) * 1000, (t2 - t0) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=5)
    args = ap.parse_args()
    runs = [once(args.host, args.port, args.timeout) for _ in range(args.count)]
    med = [statistics.median(r[i] for r in runs) for i in range(3)]
    low = [min(r[i] for r in runs) for i in range(3)]
    print(
        "connect_ms=%.1f greeting_ms=%.1f total_ms=%.1f  (min %.1f / %.1f / %.1f over %d)"
        % (*med, *low, len(runs))
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Delays every packet of one NFQUEUE queue by a fixed time, then accepts it.

A stand-in for `tc qdisc ... netem delay` on kernels without sch_netem. Run
it inside the network namespace whose iptables rules send packets to the
queue (`-j NFQUEUE --queue-num N`); the queue belongs to that namespace.
Speaks nfnetlink_queue (linux/netfilter/nfnetlink_queue.h) over a raw
netlink socket, so it needs no library. It asks the kernel for packet
metadata only (NFQNL_COPY_META): it never sees a payload.

The delay is constant, so packets leave in the order they came: a FIFO is
enough. Bounded: at most --max-seconds of life and --max-queue packets held
(beyond that the kernel drops, as a full link would). Stops on SIGTERM/SIGINT.

    ip netns exec NS python3 delay.py --queue 0 --delay-ms 25 --max-seconds 900
"""

import argparse
import collections
import os
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLMSG_ERROR = 2
NLA_TYPE_MASK = 0x3FFF

# struct nlmsghdr: u32 len, u16 type, u16 flags, u32 seq, u32 pid (host order)
NLMSGHDR = struct.Struct("=IHHII")
# struct nfgenmsg: u8 family, u8 version, be16 res_id (the queue number)
NFGENMSG = struct.Struct("!BBH")
# struct nlattr: u16 len, u16 type (host order)
NLATTR = struct.Struct("=HH")


def align4(n):
    return (n + 3) & ~3


def attr(kind, payload):
    head = NLATTR.pack(NLATTR.size + len(payload), kind)
    return (head + payload).ljust(align4(NLATTR.size + len(payload)), b"\0")


def message(msg_type, flags, seq, queue, attrs):
    body = NFGENMSG.pack(socket.AF_UNSPEC, 0, queue) + b"".join(attrs)
    kind = (NFNL_SUBSYS_QUEUE << 8) | msg_type
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), kind, flags, seq, 0) + body


def messages(data):
    """Yields (type, payload) for each netlink message in one datagram."""
    off = 0
    while off + NLMSGHDR.size <= len(data):
        length, kind, _flags, _seq, _pid = NLMSGHDR.unpack_from(data, off)
        if length < NLMSGHDR.size or off + length > len(data):
            return
        yield kind, data[off + NLMSGHDR.size : off + length]
        off += align4(length)


def packet_id(payload):
    """The packet id of an NFQNL_MSG_PACKET payload, or None."""
    off = NFGENMSG.size
    while off + NLATTR.size <= len(payload):
        length, kind = NLATTR.unpack_from(payload, off)
        if length < NLATTR.size:
            return None
        if kind & NLA_TYPE_MASK == NFQA_PACKET_HDR and length >= NLATTR.size + 4:
            return struct.unpack_from("!I", payload, off + NLATTR.size)[0]
        off += align4(length)
    return None


def configure(sock, queue, max_queue):
    """Binds the queue and asks for metadata only; raises on a kernel error."""
    requests = [
        # struct nfqnl_msg_config_cmd: u8 command, u8 pad, be16 pf
        [attr(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, socket.AF_INET))],
        # struct nfqnl_msg_config_params (packed): be32 copy_range, u8 copy_mode
        [
            attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)),
            attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", max_queue)),
        ],
    ]
    for seq, attrs in enumerate(requests, start=1):
        sock.send(message(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq, queue, attrs))
        for kind, payload in messages(sock.recv(65536)):
            if kind == NLMSG_ERROR:
                err = struct.unpack_from("=i", payload)[0]
                if err != 0:
                    raise OSError(-err, f"nfqueue config step {seq}: {os.strerror(-err)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queue", type=int, default=0)
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--max-seconds", type=float, default=900)
    ap.add_argument("--max-queue", type=int, default=8192)
    args = ap.parse_args()
    delay = args.delay_ms / 1000
    stop_at = time.monotonic() + args.max_seconds
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))

    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((0, 0))
    configure(sock, args.queue, args.max_queue)
    sock.setblocking(False)
    print(f"delay.py: queue {args.queue}, {args.delay_ms:g} ms per packet", flush=True)

    held = collections.deque()  # (due, packet id), due times ascending
    seen = 0
    while not stopping and time.monotonic() < stop_at:
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, pid = held.popleft()
            verdict = attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, pid))
            sock.send(message(NFQNL_MSG_VERDICT, NLM_F_REQUEST, 0, args.queue, [verdict]))
        wait = min(held[0][0] - now if held else 0.5, stop_at - now)
        try:
            ready, _, _ = select.select([sock], [], [], max(wait, 0))
        except InterruptedError:
            continue
        if not ready:
            continue
        while True:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                break
            except OSError as e:  # ENOBUFS: the kernel dropped messages for us
                print(f"delay.py: {e}", file=sys.stderr, flush=True)
                break
            due = time.monotonic() + delay
            for kind, payload in messages(data):
                if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    pid = packet_id(payload)
                    if pid is not None:
                        held.append((due, pid))
                        seen += 1
    print(f"delay.py: stopped after {seen} packets", flush=True)


if __name__ == "__main__":
    main()

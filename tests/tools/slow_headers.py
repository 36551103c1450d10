#!/usr/bin/env python3
"""slow_headers.py: a slow-header attack on an HTTP server, and a reader timed
beside it (tests/cli/daemon_slow.sh). Loopback only.

  slow_headers.py attack --port P [--conns 1000] [--first 2] [--last 101]
                         [--interval 2] [--duration 20] --ready FILE --report FILE
      Opens CONNS connections spread over 127.0.0.FIRST .. 127.0.0.LAST (bind()
      before connect(): the whole of 127/8 is this machine), each sending the
      start of a request's headers and then one more byte every INTERVAL s,
      never the end. A connection the server cuts is opened again, so that the
      pressure holds, until DURATION s have passed; then every socket is closed.
      Writes FILE (--ready) once the first CONNS are connected, and a JSON report:
      how many were opened, cut, refused, and how long the cut ones lived.

  slow_headers.py read --port P [--count 200] [--interval 0.05] [--path /]
      COUNT requests, each on a new connection from 127.0.0.1, timed from
      connect() to the end of the response (timeout 5 s each); prints a JSON
      line: answered, failed, p50, p99 and max in ms.
"""
import argparse
import asyncio
import json
import resource
import socket
import statistics
import sys
import time

PARTIAL = b"GET / HTTP/1.1\r\nHost: mirror\r\nUser-Agent: slow\r\nX-Trickle: "


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Attack:
    def __init__(self, a):
        self.a = a
        self.opened = 0
        self.refused = 0
        self.lifetimes = []  # seconds from connect to the server's close
        self.open_since = {}  # id -> connect time, of those still open
        self.stop_at = 0.0

    async def one(self, slot, source):
        a = self.a
        while time.monotonic() < self.stop_at:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                sock.bind((source, 0))
                await asyncio.wait_for(
                    asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", a.port)), 5)
                reader, writer = await asyncio.open_connection(sock=sock)
            except (OSError, asyncio.TimeoutError):
                sock.close()
                self.refused += 1
                await asyncio.sleep(0.2)
                continue
            t0 = time.monotonic()
            self.opened += 1
            self.open_since[slot] = t0
            closed = False
            try:
                writer.write(PARTIAL)
                await writer.drain()
                while time.monotonic() < self.stop_at:
                    left = self.stop_at - time.monotonic()
                    try:
                        data = await asyncio.wait_for(reader.read(4096), min(a.interval, left))
                    except asyncio.TimeoutError:
                        writer.write(b"a")
                        await writer.drain()
                        continue
                    if not data:
                        closed = True
                        break
            except (OSError, ConnectionError):
                closed = True
            if closed:
                self.lifetimes.append(time.monotonic() - t0)
            del self.open_since[slot]
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ConnectionError):
                pass
            if not closed:
                return

    async def run(self):
        a = self.a
        self.stop_at = time.monotonic() + a.duration
        sources = ["127.0.0.%d" % i for i in range(a.first, a.last + 1)]
        tasks = [asyncio.create_task(self.one(i, sources[i % len(sources)]))
                 for i in range(a.conns)]
        # ready: the first CONNS connected (or a time limit, then say how many)
        limit = time.monotonic() + 15
        while self.opened < a.conns and time.monotonic() < limit:
            await asyncio.sleep(0.05)
        with open(a.ready, "w") as f:
            f.write("%d\n" % self.opened)
        # the oldest connection still open, sampled while the attack runs
        oldest = 0.0
        while time.monotonic() < self.stop_at:
            now = time.monotonic()
            if self.open_since:
                oldest = max(oldest, now - min(self.open_since.values()))
            await asyncio.sleep(0.25)
        await asyncio.gather(*tasks)
        life = sorted(self.lifetimes)
        report = {
            "conns": a.conns,
            "opened": self.opened,
            "refused": self.refused,
            "cut": len(life),
            "cut_min_s": round(life[0], 3) if life else None,
            "cut_median_s": round(statistics.median(life), 3) if life else None,
            "cut_max_s": round(life[-1], 3) if life else None,
            "oldest_open_s": round(oldest, 3),
        }
        with open(a.report, "w") as f:
            json.dump(report, f)
        print(json.dumps(report))


def read(a):
    times = []
    failed = 0
    req = ("GET %s HTTP/1.1\r\nHost: mirror\r\nConnection: close\r\n\r\n" % a.path).encode()
    for _ in range(a.count):
        t0 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", a.port), timeout=5) as s:
                s.sendall(req)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            if not data.startswith(b"HTTP/1.1 200"):
                raise OSError("not a 200: %r" % data[:40])
            times.append((time.monotonic() - t0) * 1000)
        except OSError as e:
            failed += 1
            print("# request failed: %s" % e, file=sys.stderr)
        time.sleep(a.interval)
    times.sort()
    p99 = times[max(0, -(-len(times) * 99 // 100) - 1)] if times else None
    print(json.dumps({
        "answered": len(times),
        "failed": failed,
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p99_ms": round(p99, 1) if times else None,
        "max_ms": round(times[-1], 1) if times else None,
    }))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    at = sub.add_parser("attack")
    at.add_argument("--port", type=int, required=True)
    at.add_argument("--conns", type=int, default=1000)
    at.add_argument("--first", type=int, default=2)
    at.add_argument("--last", type=int, default=101)
    at.add_argument("--interval", type=float, default=2.0)
    at.add_argument("--duration", type=float, default=20.0)
    at.add_argument("--ready", required=True)
    at.add_argument("--report", required=True)
    rd = sub.add_parser("read")
    rd.add_argument("--port", type=int, required=True)
    rd.add_argument("--count", type=int, default=200)
    rd.add_argument("--interval", type=float, default=0.05)
    rd.add_argument("--path", default="/")
    a = p.parse_args()
    if a.cmd == "attack":
        if not (1 <= a.first <= a.last <= 254):
            sys.exit("slow_headers.py: --first and --last must be within 1..254 (127.0.0.N)")
        have = raise_nofile(a.conns + 64)
        if have < a.conns + 64:
            sys.exit("slow_headers.py: the open-file limit is %d, too low for %d connections"
                     % (have, a.conns))
        asyncio.run(Attack(a).run())
    else:
        read(a)


if __name__ == "__main__":
    main()

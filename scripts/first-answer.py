#!/usr/bin/env python3
"""Time from a server process's start to its first wanted answer.

Starts COMMAND with ADDR=127.0.0.1:<free port> in its environment (the
quickstart's listen address), sends kamal-proxy's probe of PATH on a new
connection every 0.5 ms (a refused connection included), and records the
time from just before the process is started to the first answer whose
status is in STATUS; then stops the process (SIGTERM, then SIGKILL) and starts
the next run. Prints min, median and max over the runs, in milliseconds.

    python3 scripts/first-answer.py --runs 30 --path /up --status 2xx -- target/release/examples/quickstart
    STARTUP_DELAY_MS=3000 python3 scripts/first-answer.py --path /livez -- target/release/examples/quickstart
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(port, path):
    """The status of kamal-proxy's probe of `path`, or None if no answer."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 7c7168a662c1:{port}\r\n"
        "User-Agent: kamal-proxy\r\nAccept-Encoding: gzip\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(request)
            head = b""
            while b"\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    return None
                head += chunk
    except OSError:
        return None
    return int(head.split(b" ", 2)[1])


def wanted(status, spec):
    return status is not None and (
        status // 100 == int(spec[0]) if spec.endswith("xx") else status == int(spec)
    )


def one_run(command, path, spec, limit):
    port = free_port()
    env = dict(os.environ, ADDR=f"127.0.0.1:{port}")
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - started < limit:
            if wanted(status_of(port, path), spec):
                return (time.perf_counter() - started) * 1000
            if process.poll() is not None:
                sys.exit(f"{command[0]} exited with {process.returncode}")
            time.sleep(0.0005)
        sys.exit(f"no {spec} on {path} within {limit} s")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--path", default="/up")
    parser.add_argument("--status", default="2xx", help="200, 2xx, ...")
    parser.add_argument("--limit", type=float, default=30, help="seconds per run")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    times = [one_run(command, args.path, args.status, args.limit) for _ in range(args.runs)]
    print(
        f"{' '.join(command)}: first {args.status} on {args.path} after "
        f"min {min(times):.2f} / median {statistics.median(times):.2f} / "
        f"max {max(times):.2f} ms over {args.runs} runs"
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Time from a server process's start to its first wanted answer.

Starts COMMAND with ADDR=127.0.0.1:<free port> in its environment (the
quickstart's listen address), sends kamal-proxy's probe of PATH on a new
connection every 0.5 ms (a refused connection included), and records the
time from just before the process is started to the first answer whose
status is in STATUS; then stops the process (SIGTERM, then SIGKILL) and starts
the next run. Prints min, median and max over the runs, in milliseconds.
With --vs 'BASELINE', COMMAND and BASELINE run in turn (A B A B ...) and the
ratio A/B is taken pair by pair, so that the machine's drift moves both.

    python3 scripts/first-answer.py --runs 30 --path /up --status 2xx -- target/release/examples/quickstart
    python3 scripts/first-answer.py --vs target/release/examples/quickstart_without_macro -- target/release/examples/quickstart
    STARTUP_DELAY_MS=3000 python3 scripts/first-answer.py --path /livez --vs-path /up --vs target/release/examples/quickstart_without_macro -- target/release/examples/quickstart
    STARTUP_DELAY_MS=3000 python3 scripts/first-answer.py --path /livez -- target/release/examples/quickstart
"""

import argparse
import os
import shlex
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
    parser.add_argument("--vs", help="a baseline command, run in turn with COMMAND")
    parser.add_argument("--vs-path", help="the baseline's path (default: --path)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    commands = [(command, args.path)]
    if args.vs:
        commands.append((shlex.split(args.vs), args.vs_path or args.path))
    times = [[] for _ in commands]
    for _ in range(args.runs):
        for i, (cmd, path) in enumerate(commands):
            times[i].append(one_run(cmd, path, args.status, args.limit))
    for (cmd, path), runs in zip(commands, times):
        print(
            f"{' '.join(cmd)}: first {args.status} on {path} after "
            f"min {min(runs):.2f} / median {statistics.median(runs):.2f} / "
            f"max {max(runs):.2f} ms over {args.runs} runs"
        )
    if args.vs:
        ratios = [a / b for a, b in zip(*times)]
        print(
            f"ratio A/B, pair by pair: min {min(ratios):.3f} / "
            f"median {statistics.median(ratios):.3f} / max {max(ratios):.3f}"
        )

if __name__ == "__main__":
    main()

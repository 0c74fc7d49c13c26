"""Memory benchmark: the resident size of one web3-auth worker (memory store) over 100,000 sign-ins.

    .venv/bin/python benchmarks/memory.py [--sign-ins 100000] [--round 10000]

Starts `python -m app` (one worker, memory store, the shortest lifetimes the settings allow: refresh 60 s,
access 10 s, nonce 60 s) and signs in in rounds: each round collects --round challenges for new addresses
(wrk, once each), signs them, and sends each signed message once to /auth/verify. After every round it
prints the server's resident size (VmRSS) and how many sessions are still alive (signed in less than 60 s
ago). Sessions older than the refresh lifetime are swept by the store itself (as it writes, app.stores.memory),
so once the first minute has passed the live sessions, and the resident size, should stop growing: the last
rounds' sizes are what to look at. Needs wrk; installs nothing.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from load import (  # benchmarks/load.py, beside this file
    NEVER_REFUSE,
    ROOT,
    Wallets,
    Wrk,
    clean_env,
    free_port,
    make_keys_file,
    saved_lines,
    serving,
    signed_bodies,
    write_lines,
)

REFRESH_TTL = 60


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def server_pid(port: int) -> int:
    """The process listening on `port` (with one worker, `python -m app` serves in its own process)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inode = fields[9]
    if inode is None:
        raise RuntimeError(f"nothing listens on port {port}")
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if fd.readlink().name == f"socket:[{inode}]":
                return int(fd.parts[2])
        except OSError:
            continue
    raise RuntimeError(f"no process holds the socket of port {port}")


def sign_in_round(wrk: Wrk, url: str, wallets: Wallets, first: int, count: int, workdir: Path) -> int:
    """Challenges for wallets[first:first+count], signed and verified once each; how many verified."""
    wallets.grow_to(first + count)
    addresses = write_lines(workdir / "addresses", wallets.addresses[first : first + count])
    save = workdir / "out"
    env = {"BENCH_PATH": "/auth/challenge", "BENCH_LINES": str(addresses), "BENCH_SAVE": str(save)}
    wrk.run(f"{url}/auth/challenge", "once.lua", {**env, "BENCH_WRAP": "address"})
    bodies = write_lines(workdir / "bodies", signed_bodies(saved_lines(save, wrk.threads), wallets))
    wrk.run(f"{url}/auth/verify", "once.lua", {**env, "BENCH_PATH": "/auth/verify", "BENCH_LINES": str(bodies)})
    return len(saved_lines(save, wrk.threads))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sign-ins", type=int, default=100_000)
    parser.add_argument("--round", type=int, default=10_000, help="sign-ins per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="web3auth-memory-") as directory:
        workdir = Path(directory)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = clean_env(
            AUTH_PORT=str(port),
            AUTH_WORKERS="1",
            AUTH_RATE_LIMIT_IP=NEVER_REFUSE,
            AUTH_RATE_LIMIT_ADDRESS=NEVER_REFUSE,
            AUTH_JWT_KEYS_FILE=str(make_keys_file(workdir / "keys.json")),
            AUTH_NONCE_TTL="60",
            AUTH_ACCESS_TTL="10",
            AUTH_REFRESH_TTL=str(REFRESH_TTL),
            AUTH_LOG_LEVEL="warning",
        )
        wrk = Wrk("wrk", threads=2, connections=32, duration=120, workdir=workdir)
        with serving([sys.executable, "-m", "app"], env, f"{url}/healthz", workdir / "server.log"):
            pid = server_pid(port)
            started = time.monotonic()
            print(f"{'sign-ins':>9} {'seconds':>8} {'sessions alive':>15} {'RSS MiB':>8}")
            print(f"{0:>9} {0:>8.0f} {0:>15} {resident_kib(pid) / 1024:>8.1f}")
            wallets, done, history = Wallets(), 0, []
            while done < args.sign_ins:
                verified = sign_in_round(wrk, url, wallets, done, args.round, workdir)
                history.append((time.monotonic(), verified))
                done += args.round
                now = time.monotonic()
                alive = sum(count for at, count in history if now - at < REFRESH_TTL)
                print(f"{done:>9} {now - started:>8.0f} {alive:>15} {resident_kib(pid) / 1024:>8.1f}", flush=True)
    print(f"(server started from {ROOT}; sessions alive counts the rounds verified less than {REFRESH_TTL} s ago)")


if __name__ == "__main__":
    main()

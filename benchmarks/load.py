"""Load benchmark: web3-auth over HTTP beside the framework's own ceiling, in one run.

    .venv/bin/python benchmarks/load.py [--duration 10] [--connections 32] [--threads 2] [--stores memory,redis]
                                        [--peers node,naive] [--redis-url URL] [--json FILE]
                                        [--skip-rate-test] [--skip-two-workers] [--keep-logs DIR]

Needs wrk (Debian: apt-get install wrk) and, for the Redis store and the naive peer, a Redis (--redis-url,
default 127.0.0.1:6379; keys under prefixes of their own, deleted at the end); the Node peer needs node and
`npm ci --prefix benchmarks/peers/node` (scripts/test runs it). Installs nothing; a peer that cannot run is
skipped, and the report says why.

What runs, one measurement after another, each --duration seconds of wrk (closed loop, --connections connections):
  1. the ceiling: benchmarks/ceiling.py, a bare FastAPI app on the server settings of `python -m app`:
     GET /hello and POST /parse (a {message, signature} body read into a pydantic model);
  2. per store (memory, Redis), `python -m app` in a subprocess with one worker, ES256 keys from
     `python -m app keygen`, rate limits counted but never refusing, request logging on (to a file):
       challenge   POST /auth/challenge, each request for a different address (pre-generated secp256k1 keys);
       verify      POST /auth/verify, each collected challenge signed (EIP-191) by its key and sent once;
       refresh     POST /auth/refresh, each refresh token from verify sent once, then each successor once;
       me, forward GET /auth/me and GET /auth/forward with one valid access token, repeated;
       introspect  POST /auth/introspect (form token=<access token>, with the introspection credential);
     beside it, each in a process of its own started once for the whole run (--peers), the peers: what users
     would write instead, with the same wrk scripts and the same pre-generated keys (their challenges collected
     from them, signed, each sent once):
       node        benchmarks/peers/node/server.mjs: fastify 5, siwe 3 (verify by ethers 6), jose ES256,
                   nonces in a Map, as the siwe npm package's README leads to (pinned by its package-lock.json);
       naive       benchmarks/peers/naive_siwe.py: issue 7's siwe-py + Redis + PyJWT HS256 service, with
                   eth-keys' pure-Python backend as a default install has it (its docstring says how);
     and, on Redis (unless --skip-two-workers), `python -m app` with two workers;
     their challenge rows come right after web3-auth's challenge and their verify rows right after its verify
     (web3-auth, node, naive, two workers), in each store's run, so that the machine's drift hits all alike;
  3. unless --skip-rate-test, with the memory store: verify and forward held at 80 % of the rate measured for
     them in 2, paced by wrk's delay() (benchmarks/wrk/paced.lua says how, and what `late` means);
  4. the ceiling GET /hello again: how much the machine drifted during the run.
A once-only list that runs out ends its measurement early (the note says when); the rate is then over the
time the measurement really took. Every wrk script is in benchmarks/wrk/.

How to read it: req/s counts only the expected answers (2xx; an introspection must say active); non-2xx are
counted apart (and should be 0). p50/p99 are wrk's latency distribution (closed loop: at full load they are
mostly queueing behind --connections requests). "ratio" is req/s over the first ceiling GET /hello of the same
run: on a shared machine absolute figures drift, ratios less. The server's own view per route (statuses, and
durations inside the app, which at full load include waiting for the event loop) comes from its request log;
everything goes to --json. A peer's row says how many times web3-auth's row of the same store, just before
it, is faster ("web3-auth (memory) 3.8x"); a two-worker row, how it compares with the one-worker row.

Garbage collections: around each measurement of web3-auth with one worker (and the fixed-rate tests) the
benchmark reads web3auth_gc_pause_seconds from its /metrics (app/observability/gc_pauses.py) and reports
the full (generation 2) collections during it, their total pause and how many took over 10 ms, beside the
p99 they may explain ("full GC 2 (31 ms, 1 over 10 ms)"; in the JSON also the young generations). With two
workers /metrics has no such figures. The table is printed once more in Markdown, for the README.

The fixed-rate test uses wrk with a schedule per thread rather than an open-loop client: on this 2-core machine
Node's HTTP clients (node:http, undici) cost ~175 us of CPU per request, a third of a core at 2,000/s taken from
the server under test, and autocannon's overallRate gives each connection a per-second quota refilled by a 1 s
timer (bursts, closed loop); wrk costs 20-40 us per request. wrk runs with --threads 2 by default: with 32
connections -t2 gave 2-50 % more requests/s on the ceiling than -t1 here (seven alternating pairs).
"""

import argparse
import contextlib
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

import httpx
import redis
import uvicorn
from coincurve import PrivateKey
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
WRK_SCRIPTS = BENCHMARKS / "wrk"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
NEVER_REFUSE = "1000000000/minute"
RATE_TEST_SHARE = 0.8
# Connections free to take the next slot when it is due: a stall of the server up to ~connections / rate seconds
# delays no send (see benchmarks/wrk/paced.lua), so wrk's latency, measured from the send, misses nothing.
RATE_TEST_CONNECTIONS = 256
MIN_WALLETS = 2000
# wrk's default (2 s) would count the naive peer's slowest verify answers as timeouts, and cap its latencies
WRK_TIMEOUT = "10s"


# ---------------------------------------------------------------- results


@dataclass
class Row:
    """One wrk measurement: the expected answers per second and wrk's latency distribution."""

    endpoint: str
    store: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    seconds: float
    expected: int
    ratio_to_ceiling: float | None = None
    note: str = ""
    server: str = "web3-auth"  # or "ceiling", or a peer: "node", "naive"
    workers: int = 1
    beside: str = ""  # a peer's or two workers' row: the web3-auth store it alternated with
    web3auth_over_peer: float | None = None  # a peer's row: web3-auth's req/s (one worker, `beside`) over the peer's
    over_one_worker: float | None = None  # a two-worker row: its req/s over the one-worker row's
    gc: dict[str, Any] | None = None  # web3-auth with one worker: its garbage collections during the measurement


@dataclass
class RateTest:
    endpoint: str
    store: str
    target_rate: float
    achieved_rate: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    late: int
    max_lag_ms: float
    slots: int
    bodies: int | None
    note: str = ""
    gc: dict[str, Any] | None = None


@dataclass
class Report:
    machine: dict[str, Any]
    settings: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    rate_tests: list[RateTest] = field(default_factory=list)
    server_logs: dict[str, Any] = field(default_factory=dict)
    peers: dict[str, Any] = field(default_factory=dict)  # what each peer is: versions, eth-keys backend, or why skipped
    total_seconds: float = 0.0


# ---------------------------------------------------------------- wrk


@dataclass
class WrkRun:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    threads: list[dict[str, Any]]  # the Lua script's counters, one object per wrk thread
    output: str

    def total(self, name: str) -> int:
        return sum(int(thread.get(name, 0)) for thread in self.threads)

    def sent_by_thread(self) -> dict[int, int]:
        return {int(thread["thread_index"]): int(thread.get("sent", 0)) for thread in self.threads}

    @property
    def exhausted(self) -> bool:
        return any(thread.get("exhausted") for thread in self.threads)


_TIME_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _TIME_UNITS[match[2]]


def parse_wrk(output: str) -> tuple[int, float, int, int, dict[int, float]]:
    """requests, seconds, non-2xx, socket errors and the --latency percentiles (ms) of wrk's report."""
    done = re.search(r"(\d+) requests in ([\d.]+\w+),", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if done is None or rate is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests = int(done[1])
    seconds = requests / float(rate[1]) if float(rate[1]) > 0 else _milliseconds(done[2]) / 1000
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    distribution = output.split("Latency Distribution", 1)[-1]
    lines = re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", distribution, re.M)  # "90%    1.19s " ends in a space
    percentiles = {int(p): _milliseconds(value) for p, value in lines}
    return (
        requests,
        seconds,
        int(non_2xx[1]) if non_2xx else 0,
        sum(int(n) for n in errors.groups()) if errors else 0,
        percentiles,
    )


@dataclass
class Wrk:
    binary: str
    threads: int
    connections: int
    duration: int
    workdir: Path
    runs: int = 0

    def run(self, url: str, script: str, env: dict[str, str], *, connections: int | None = None) -> WrkRun:
        self.runs += 1
        stats = self.workdir / f"wrk-stats-{self.runs}.json"
        connections = connections or self.connections
        command = [self.binary, f"-t{self.threads}", f"-c{connections}", f"-d{self.duration}s", "--latency"]
        command += [f"--timeout={WRK_TIMEOUT}"]
        command += ["-s", str(WRK_SCRIPTS / script), url]
        variables = {"BENCH_WRK_DIR": str(WRK_SCRIPTS), "BENCH_THREADS": str(self.threads), "BENCH_STATS": str(stats)}
        completed = subprocess.run(
            command,
            env={**os.environ, **variables, **env},
            capture_output=True,
            text=True,
            timeout=self.duration * 3 + 60,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr}{completed.stdout}")
        requests, seconds, non_2xx, socket_errors, percentiles = parse_wrk(completed.stdout)
        if 99 not in percentiles:
            raise RuntimeError(f"no percentiles in wrk's output:\n{completed.stdout}")
        threads = json.loads(stats.read_text()) if stats.exists() else []
        stats.unlink(missing_ok=True)
        return WrkRun(
            requests, seconds, non_2xx, socket_errors, percentiles[50], percentiles[99], threads, completed.stdout
        )


def fixed_env(
    method: str, *, body: str | None = None, content_type: str | None = None, authorization: str | None = None
) -> dict[str, str]:
    env = {"BENCH_METHOD": method}
    for name, value in (("BODY", body), ("CONTENT_TYPE", content_type), ("AUTHORIZATION", authorization)):
        if value is not None:
            env[f"BENCH_{name}"] = value
    return env


def once_env(path: str, lines: Path, save: Path, *, wrap_address: bool = False) -> dict[str, str]:
    env = {"BENCH_PATH": path, "BENCH_LINES": str(lines), "BENCH_SAVE": str(save)}
    if wrap_address:
        env["BENCH_WRAP"] = "address"
    return env


def saved_lines(save: Path, threads: int) -> list[str]:
    lines: list[str] = []
    for index in range(threads):
        part = save.with_name(f"{save.name}.{index}")
        if part.exists():
            lines += [line for line in part.read_text().splitlines() if line]
            part.unlink()
    return lines


def unsent(lines: Sequence[str], sent_by_thread: dict[int, int], threads: int) -> list[str]:
    """The lines no wrk thread took: thread k of n sends lines k, k+n, k+2n, ... (from 0) in order."""
    left: list[str] = []
    for index in range(threads):
        left += list(lines[index::threads])[sent_by_thread.get(index, 0) :]
    return left


def row_from(endpoint: str, store: str, run: WrkRun, *, saved: int | None = None, note: str = "") -> Row:
    """Only the expected answers count: 2xx, minus the ones a Lua check found wrong (`unexpected`)."""
    non_2xx = run.non_2xx - run.total("filler_answers")  # 404s to the filler request sent after a list ran out
    expected = run.requests - non_2xx - run.total("filler_answers") - run.total("unexpected")
    if saved is not None:
        expected = saved
    notes = [note] if note else []
    if run.exhausted:
        notes.append(f"list ran out after {run.seconds:.1f} s")
    if run.total("unexpected"):
        notes.append(f"{run.total('unexpected')} 200s with an unexpected body")
    return Row(
        endpoint=endpoint,
        store=store,
        requests_per_second=expected / run.seconds,
        p50_ms=run.p50_ms,
        p99_ms=run.p99_ms,
        non_2xx=non_2xx,
        socket_errors=run.socket_errors,
        seconds=run.seconds,
        expected=expected,
        note="; ".join(notes),
    )


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**variables: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("AUTH_")}, **variables}


def wait_until_answering(url: str, process: "subprocess.Popen[bytes]", log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer; the server wrote:\n{log.read_text()[-4000:]}")


def stop(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], health_url: str, log: Path) -> Iterator[None]:
    """A server in a subprocess, its output in `log` (a file: a pipe nobody reads would stall it), until exit."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until_answering(health_url, process, log)
            yield
        finally:
            stop(process)


# ---------------------------------------------------------------- wallets and signatures


class Wallets:
    """secp256k1 keys by EIP-55 address, generated on demand; `addresses` keeps their order."""

    def __init__(self) -> None:
        self.keys: dict[str, PrivateKey] = {}
        self.addresses: list[str] = []

    def grow_to(self, count: int) -> None:
        while len(self.addresses) < count:
            key = PrivateKey()
            address = to_checksum_address(keccak(key.public_key.format(compressed=False)[1:])[-20:])
            self.keys[address] = key
            self.addresses.append(address)


def personal_sign(key: PrivateKey, message: str) -> str:
    """EIP-191 personal_sign: r || s || v with v = 27 + recovery id, as 0x-hex."""
    data = message.encode()
    digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)
    signature = key.sign_recoverable(digest, hasher=None)
    return "0x" + (signature[:64] + bytes((signature[64] + 27,))).hex()


def signed_bodies(challenges: list[str], wallets: Wallets) -> list[str]:
    """One verify body per challenge JSON, signed by the key of its address; the first is checked by eth-account."""
    bodies = []
    for index, line in enumerate(challenges):
        challenge = json.loads(line)
        message, address = challenge["message"], challenge["address"]
        signature = personal_sign(wallets.keys[address], message)
        if index == 0 and Account.recover_message(encode_defunct(text=message), signature=signature) != address:
            raise RuntimeError("personal_sign disagrees with eth-account")
        bodies.append(json.dumps({"message": message, "signature": signature}, separators=(",", ":")))
    return bodies


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


# ---------------------------------------------------------------- the server's own view


def keep_log(log: Path, directory: Path | None) -> None:
    if directory is not None and log.exists():
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, directory / log.name)


def summarize_log(log: Path) -> dict[str, Any]:
    """Per route: requests, statuses, outcomes other than ok, server-side p50/p99 (ms); plus warnings, errors
    and lines that are not JSON (tracebacks)."""
    durations: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    levels: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    with log.open(errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                problems[f"not JSON: {line.strip()[:160]}"] += 1
                continue
            levels[entry.get("level", "?")] += 1
            if entry.get("message") == "request" and "route" in entry:
                route = f"{entry['method']} {entry['route']}"
                durations[route].append(float(entry["duration_ms"]))
                statuses[route][str(entry["status"])] += 1
                if entry.get("outcome") != "ok":
                    outcomes[route][str(entry.get("outcome"))] += 1
            elif entry.get("level") in ("warning", "error", "critical"):
                problems[f"{entry['level']}: {entry.get('logger')}: {entry.get('message')}"[:200]] += 1
    routes = {
        route: {
            "requests": len(values),
            "server_p50_ms": statistics.median(values),
            "server_p99_ms": statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0],
            "server_max_ms": max(values),
            "over_50_ms": sum(value > 50 for value in values),
            "statuses": dict(statuses[route]),
            "outcomes_not_ok": dict(outcomes[route]),
        }
        for route, values in durations.items()
    }
    return {"levels": dict(levels), "routes": routes, "problems": dict(problems.most_common(10))}


# ---------------------------------------------------------------- garbage collections (web3auth_gc_pause_seconds)


GC_SAMPLE = re.compile(
    r'^web3auth_gc_pause_seconds_(count|sum|bucket)\{generation="(\d)"(?:,le="([^"]+)")?\} (\S+)$', re.M
)
GC_LONG_PAUSE = "0.01"  # the histogram bucket (s) a long pause does not fit in


def gc_pauses(url: str) -> dict[str, float] | None:
    """The server's collections and their pauses so far, from /metrics; None when it does not report them
    (several workers: app/observability/gc_pauses.py says why)."""
    figures: dict[str, float] = {}
    for kind, generation, bound, value in GC_SAMPLE.findall(httpx.get(f"{url}/metrics", timeout=10).text):
        if kind != "bucket":
            figures[f"{kind}:{generation}"] = float(value)
        elif bound == GC_LONG_PAUSE:
            figures[f"short:{generation}"] = float(value)
    return figures or None


def gc_difference(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    def grew(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    return {
        "full_collections": int(grew("count:2")),
        "full_pause_ms": round(grew("sum:2") * 1000, 2),
        "full_over_10_ms": int(grew("count:2") - grew("short:2")),
        "young_collections": int(grew("count:0") + grew("count:1")),
        "young_pause_ms": round((grew("sum:0") + grew("sum:1")) * 1000, 2),
    }


@contextlib.contextmanager
def gc_during(url: str | None) -> Iterator[dict[str, Any]]:
    """A dict that, after the block, holds the server's collections during it (stays empty without figures)."""
    figures: dict[str, Any] = {}
    before = gc_pauses(url) if url is not None else None
    yield figures
    after = gc_pauses(url) if url is not None and before is not None else None
    if before is not None and after is not None:
        figures.update(gc_difference(before, after))


def format_gc(gc: dict[str, Any] | None) -> str:
    if not gc:
        return ""
    long = f", {gc['full_over_10_ms']} over 10 ms" if gc["full_over_10_ms"] else ""
    return f"full GC {gc['full_collections']} ({gc['full_pause_ms']:.0f} ms{long})"


# ---------------------------------------------------------------- the benchmark


@dataclass
class Bench:
    wrk: Wrk
    wallets: Wallets
    report: Report
    workdir: Path
    keys_file: Path
    rate_test: bool
    keep_logs: Path | None
    two_workers: bool = True
    redis_url: str = DEFAULT_REDIS_URL
    peers: list["Contender"] = field(default_factory=list)

    def path(self, name: str) -> Path:
        return self.workdir / name


@dataclass
class Contender:
    """A server whose challenge and verify are measured right after web3-auth's own, one after the other in each
    store's run: a peer (what users would write instead), or web3-auth with two workers on Redis."""

    server: str  # "node", "naive" or "web3-auth"
    url: str
    store: str  # where it keeps its nonces
    workers: int = 1

    @property
    def name(self) -> str:
        return self.server if self.server != "web3-auth" else f"{self.workers}-workers"


@contextlib.contextmanager
def ceiling_server(bench: Bench) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(BENCHMARKS / "ceiling.py"), "--port", str(port)]
    with serving(command, clean_env(), f"{url}/hello", bench.path("ceiling.log")):
        yield url


def measure_ceiling(bench: Bench) -> tuple[float, float]:
    """GET /hello and POST /parse: their requests/s."""
    with ceiling_server(bench) as url:
        hello = row_from("ceiling GET /hello", "-", bench.wrk.run(f"{url}/hello", "fixed.lua", fixed_env("GET")))
        body = json.dumps({"message": "x" * 400, "signature": "0x" + "ab" * 65})
        parse_env = fixed_env("POST", body=body, content_type="application/json")
        parse = row_from("ceiling POST /parse", "-", bench.wrk.run(f"{url}/parse", "fixed.lua", parse_env))
    for row in (hello, parse):
        row.server = "ceiling"
        row.ratio_to_ceiling = row.requests_per_second / hello.requests_per_second
        add_row(bench, row)
    return hello.requests_per_second, parse.requests_per_second


def measure_ceiling_again(bench: Bench, ceiling: float) -> None:
    """GET /hello once more at the end: how far the machine drifted during the run."""
    with ceiling_server(bench) as url:
        run = bench.wrk.run(f"{url}/hello", "fixed.lua", fixed_env("GET"))
    row = row_from("ceiling GET /hello", "-", run, note="again, at the end: the drift of the machine")
    row.server = "ceiling"
    row.ratio_to_ceiling = row.requests_per_second / ceiling
    add_row(bench, row)


def add_row(bench: Bench, row: Row) -> None:
    bench.report.rows.append(row)
    progress(format_row(row))


def collect_challenges(bench: Bench, url: str, addresses: Sequence[str], name: str) -> tuple[list[str], WrkRun]:
    save = bench.path(f"{name}.out")
    lines = write_lines(bench.path(f"{name}.addresses"), addresses)
    run = bench.wrk.run(
        f"{url}/auth/challenge", "once.lua", once_env("/auth/challenge", lines, save, wrap_address=True)
    )
    return saved_lines(save, bench.wrk.threads), run


def send_once(
    bench: Bench, url: str, path: str, bodies: Sequence[str], name: str, chain: str | None = None
) -> tuple[list[str], WrkRun]:
    save = bench.path(f"{name}.out")
    lines = write_lines(bench.path(f"{name}.bodies"), bodies)
    env = once_env(path, lines, save)
    if chain is not None:
        env["BENCH_CHAIN"] = chain
    run = bench.wrk.run(f"{url}{path}", "once.lua", env)
    return saved_lines(save, bench.wrk.threads), run


@dataclass
class Served:
    """A running web3-auth: where it is, and what the rate test needs from the measurements."""

    store: str
    url: str
    introspect_token: str
    rows: list[Row] = field(default_factory=list)
    leftover_bodies: list[str] = field(default_factory=list)  # signed verify bodies no request used
    access_token: str = ""
    beside: list[Contender] = field(default_factory=list)

    def rate_of(self, endpoint: str) -> float:
        return next(row.requests_per_second for row in self.rows if row.endpoint == endpoint and is_own(row))


def is_own(row: Row) -> bool:
    """web3-auth with one worker: the rows the ceiling ratios and the comparisons are about."""
    return row.server == "web3-auth" and row.workers == 1


def app_env(bench: Bench, port: int, introspect_token: str) -> dict[str, str]:
    return clean_env(
        AUTH_PORT=str(port),
        AUTH_WORKERS="1",
        AUTH_RATE_LIMIT_IP=NEVER_REFUSE,
        AUTH_RATE_LIMIT_ADDRESS=NEVER_REFUSE,
        AUTH_RATE_LIMIT_SIGNIN_IP=NEVER_REFUSE,
        AUTH_INTROSPECT_TOKEN=introspect_token,
        AUTH_JWT_KEYS_FILE=str(bench.keys_file),
        AUTH_NONCE_TTL="3600",
    )


def measure_store(bench: Bench, store: str, ceiling: float) -> None:
    port = free_port()
    served = Served(store, f"http://127.0.0.1:{port}", secrets.token_urlsafe(24))
    env = app_env(bench, port, served.introspect_token)
    log = bench.path(f"web3-auth-{store}.log")
    with contextlib.ExitStack() as stack:
        if store == "redis":
            prefix = f"web3auth-bench-{os.getpid()}-{secrets.token_hex(4)}"
            env.update(AUTH_REDIS_URL=bench.redis_url, AUTH_REDIS_PREFIX=prefix)
            stack.callback(delete_redis_keys, bench.redis_url, prefix)
        stack.callback(keep_log, log, bench.keep_logs)  # callbacks run once the server has stopped
        stack.callback(lambda: bench.report.server_logs.update({store: summarize_log(log)}))
        stack.enter_context(serving([sys.executable, "-m", "app"], env, f"{served.url}/healthz", log))
        served.beside = list(bench.peers)
        if store == "redis" and bench.two_workers:
            served.beside.append(two_workers_on_redis(bench, stack))
        for measure in (measure_sign_in, measure_tokens):
            for row in measure(bench, served):
                row.ratio_to_ceiling = row.requests_per_second / ceiling
                served.rows.append(row)
                add_row(bench, row)
        if bench.rate_test and store == "memory":
            run_rate_tests(bench, served)


def two_workers_on_redis(bench: Bench, stack: contextlib.ExitStack) -> Contender:
    """`python -m app` with two workers on Redis (keys under a prefix of their own), until the stack closes."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = app_env(bench, port, secrets.token_urlsafe(24))
    prefix = f"web3auth-bench-{os.getpid()}-{secrets.token_hex(4)}"
    env.update(AUTH_WORKERS="2", AUTH_REDIS_URL=bench.redis_url, AUTH_REDIS_PREFIX=prefix)
    log = bench.path("web3-auth-redis-2-workers.log")
    stack.callback(delete_redis_keys, bench.redis_url, prefix)
    stack.callback(keep_log, log, bench.keep_logs)
    stack.callback(lambda: bench.report.server_logs.update({"redis, 2 workers": summarize_log(log)}))
    stack.enter_context(serving([sys.executable, "-m", "app"], env, f"{url}/healthz", log))
    return Contender("web3-auth", url, "redis", workers=2)


def measure_sign_in(bench: Bench, served: Served) -> Iterator[Row]:
    """challenge, verify and refresh, each request with its own address, signed message or refresh token; the
    challenge and the verify of each server beside it (served.beside) right after web3-auth's own."""
    store, url, threads = served.store, served.url, bench.wrk.threads
    with gc_during(url) as gc:
        challenges, run = collect_challenges(bench, url, bench.wallets.addresses, f"{store}-challenge")
    own = with_gc(row_from("POST /auth/challenge", store, run, saved=len(challenges)), gc)
    yield own
    their_challenges: dict[str, list[str]] = {}
    for other in served.beside:
        lines, run = collect_challenges(bench, other.url, bench.wallets.addresses, f"{store}-{other.name}-challenge")
        their_challenges[other.name] = lines
        yield beside_row(own, other, run, saved=len(lines))
    bodies = signed_bodies(challenges, bench.wallets)
    with gc_during(url) as gc:
        grants, run = send_once(bench, url, "/auth/verify", bodies, f"{store}-verify")
    served.leftover_bodies = unsent(bodies, run.sent_by_thread(), threads)
    used = len(bodies) - len(served.leftover_bodies)
    note = f"used {used} of the {len(bodies)} signed challenges"
    own = with_gc(row_from("POST /auth/verify", store, run, saved=len(grants), note=note), gc)
    yield own
    for other in served.beside:
        their_bodies = signed_bodies(their_challenges[other.name], bench.wallets)
        answers, run = send_once(bench, other.url, "/auth/verify", their_bodies, f"{store}-{other.name}-verify")
        used = len(their_bodies) - len(unsent(their_bodies, run.sent_by_thread(), threads))
        note = f"used {used} of the {len(their_bodies)} signed challenges"
        yield beside_row(own, other, run, saved=len(answers), note=note)
    refresh_bodies = [json.dumps({"refresh_token": json.loads(grant)["refresh_token"]}) for grant in grants]
    with gc_during(url) as gc:
        refreshed, run = send_once(
            bench, url, "/auth/refresh", refresh_bodies, f"{store}-refresh", chain="refresh_token"
        )
    note = f"{len(grants)} refresh tokens, then their successors"
    yield with_gc(row_from("POST /auth/refresh", store, run, saved=len(refreshed), note=note), gc)
    served.access_token = json.loads((refreshed or grants)[-1])["access_token"]


def with_gc(row: Row, gc: dict[str, Any]) -> Row:
    row.gc = gc or None
    return row


def beside_row(own: Row, other: Contender, run: WrkRun, *, saved: int, note: str = "") -> Row:
    """The row of a server measured right after web3-auth's `own` row, compared with it."""
    row = row_from(own.endpoint, other.store, run, saved=saved, note=note)
    row.server, row.workers, row.beside = other.server, other.workers, own.store
    if other.server == "web3-auth":
        row.over_one_worker = row.requests_per_second / own.requests_per_second if own.requests_per_second else None
    else:
        row.web3auth_over_peer = own.requests_per_second / row.requests_per_second if row.requests_per_second else None
    return row


def measure_tokens(bench: Bench, served: Served) -> Iterator[Row]:
    """me, forward and introspect with one valid access token, repeated."""
    active = check_access_token(served)
    bearer = f"Bearer {served.access_token}"
    for endpoint, env in (
        ("GET /auth/me", fixed_env("GET", authorization=bearer)),
        ("GET /auth/forward", fixed_env("GET", authorization=bearer)),
        ("POST /auth/introspect", {**introspect_env(served), "BENCH_EXPECT": active}),
    ):
        path = endpoint.split(" ")[1]
        with gc_during(served.url) as gc:
            run = bench.wrk.run(f"{served.url}{path}", "fixed.lua", env)
        yield with_gc(row_from(endpoint, served.store, run), gc)


def introspect_env(served: Served) -> dict[str, str]:
    form = urlencode({"token": served.access_token})
    authorization = f"Bearer {served.introspect_token}"
    return fixed_env("POST", body=form, content_type="application/x-www-form-urlencoded", authorization=authorization)


def check_access_token(served: Served) -> str:
    """Fail unless /auth/me accepts the token and introspection calls it active; returns the text that says so."""
    me = httpx.get(f"{served.url}/auth/me", headers={"Authorization": f"Bearer {served.access_token}"})
    introspection = httpx.post(
        f"{served.url}/auth/introspect",
        data={"token": served.access_token},
        headers={"Authorization": f"Bearer {served.introspect_token}"},
    )
    if me.status_code != 200 or introspection.json().get("active") is not True:
        raise RuntimeError(f"the access token is refused: /auth/me {me.status_code}, introspect {introspection.text}")
    return '"active":true' if '"active":true' in introspection.text else '"active": true'


# ---------------------------------------------------------------- fixed rate


def run_rate_tests(bench: Bench, served: Served) -> None:
    verify_rate = RATE_TEST_SHARE * served.rate_of("POST /auth/verify")
    bodies, extra = verify_bodies_for(bench, served, verify_rate)
    bodies_file = write_lines(bench.path("rate-verify.bodies"), bodies)
    save = bench.path("rate-verify.out")
    verify_env = {**once_env("/auth/verify", bodies_file, save), "BENCH_BASE": "once"}
    test = paced(bench, served, "POST /auth/verify", verify_rate, verify_env, len(bodies))
    saved_lines(save, bench.wrk.threads)
    source = f"{len(bodies)} signed bodies, {extra} from challenges collected for it"
    test.note = f"{source}; {test.note}" if test.note else source
    forward_rate = RATE_TEST_SHARE * served.rate_of("GET /auth/forward")
    forward_env = {**fixed_env("GET", authorization=f"Bearer {served.access_token}"), "BENCH_BASE": "fixed"}
    for result in (test, paced(bench, served, "GET /auth/forward", forward_rate, forward_env)):
        bench.report.rate_tests.append(result)
        progress(format_rate_test(result))


def verify_bodies_for(bench: Bench, served: Served, rate: float) -> tuple[list[str], int]:
    """Signed bodies for `rate` over --duration: the ones verify left, topped up with new challenges if short;
    and how many of them are new."""
    needed = math.ceil(rate * bench.wrk.duration * 1.05) + 10 * bench.wrk.threads
    bodies = served.leftover_bodies
    missing = needed - len(bodies)
    if missing > 0:
        first = len(bench.wallets.addresses)
        bench.wallets.grow_to(first + math.ceil(missing * 1.05) + 2 * bench.wrk.connections)
        fresh = bench.wallets.addresses[first:]  # more than missing: requests in flight at the end are lost
        challenges, _ = collect_challenges(bench, served.url, fresh, f"{served.store}-rate-challenge")
        bodies = bodies + signed_bodies(challenges, bench.wallets)
    return bodies[:needed], max(0, min(needed, len(bodies)) - len(served.leftover_bodies))


def paced(
    bench: Bench, served: Served, endpoint: str, rate: float, env: dict[str, str], bodies: int | None = None
) -> RateTest:
    path = endpoint.split(" ")[1]
    connections = RATE_TEST_CONNECTIONS
    with gc_during(served.url) as gc:
        run = bench.wrk.run(
            f"{served.url}{path}", "paced.lua", {**env, "BENCH_RATE": f"{rate:.3f}"}, connections=connections
        )
    row = row_from(endpoint, served.store, run)
    late = run.total("late")
    return RateTest(
        endpoint=endpoint,
        store=served.store,
        target_rate=rate,
        achieved_rate=row.requests_per_second,
        p50_ms=run.p50_ms,
        p99_ms=run.p99_ms,
        non_2xx=row.non_2xx,
        socket_errors=run.socket_errors,
        late=late,
        max_lag_ms=max((float(t.get("max_lag_us", 0)) for t in run.threads), default=0.0) / 1000,
        slots=run.total("slots"),
        bodies=bodies,
        note=row.note,
        gc=gc or None,
    )


# ---------------------------------------------------------------- peers: what users would write instead


PEERS = ("node", "naive")
NODE_PEER = BENCHMARKS / "peers" / "node"
NODE_PACKAGES = ("fastify", "siwe", "ethers", "jose")
NAIVE_PEER = BENCHMARKS / "peers" / "naive_siwe.py"
PURE_PYTHON_ECC = "eth_keys.backends.native.NativeECCBackend"  # what eth-keys uses when coincurve is missing


def start_peers(bench: Bench, names: Sequence[str], stack: contextlib.ExitStack) -> None:
    """Each peer in a process of its own until the stack closes, on bench.peers; a peer that cannot run here
    is reported as skipped, with the reason."""
    for name in names:
        skipped = start_node_peer(bench, stack) if name == "node" else start_naive_peer(bench, stack)
        if skipped is not None:
            bench.report.peers[name] = {"skipped": skipped}
            progress(f"{name} peer: skipped, {skipped}")


def start_node_peer(bench: Bench, stack: contextlib.ExitStack) -> str | None:
    """benchmarks/peers/node/server.mjs (fastify, siwe, ethers, jose; nonces in a Map), one process."""
    node = shutil.which("node")
    if node is None:
        return "no node on PATH"
    if not (NODE_PEER / "node_modules").is_dir():
        return f"its packages are not installed (npm ci --prefix {NODE_PEER.relative_to(ROOT)})"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [node, str(NODE_PEER / "server.mjs"), "--port", str(port)]
    stack.enter_context(serving(command, clean_env(), f"{url}/healthz", bench.path("peer-node.log")))
    versions = {
        package: json.loads((NODE_PEER / "node_modules" / package / "package.json").read_text())["version"]
        for package in NODE_PACKAGES
    }
    bench.report.peers["node"] = {"node": command_output(node, "--version"), **versions}
    bench.peers.append(Contender("node", url, "map"))
    return None


def start_naive_peer(bench: Bench, stack: contextlib.ExitStack) -> str | None:
    """benchmarks/peers/naive_siwe.py on Redis, with eth-keys' pure-Python backend as a default install has it."""
    if not redis_answers(bench.redis_url):
        return f"it needs a Redis on {bench.redis_url}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    prefix = f"naive-siwe-bench-{os.getpid()}-{secrets.token_hex(4)}"
    stack.callback(delete_redis_keys, bench.redis_url, prefix)
    command = [sys.executable, str(NAIVE_PEER), "--port", str(port), "--redis-url", bench.redis_url]
    command += ["--prefix", prefix]
    env = clean_env(ECC_BACKEND_CLASS=PURE_PYTHON_ECC)
    stack.enter_context(serving(command, env, f"{url}/healthz", bench.path("peer-naive.log")))
    health = httpx.get(f"{url}/healthz", timeout=10).json()
    if health["ecc_backend"] != PURE_PYTHON_ECC.rsplit(".", 1)[1]:
        raise RuntimeError(f"the naive peer did not take ECC_BACKEND_CLASS: {health}")
    versions = {name: metadata.version(name) for name in ("signinwithethereum", "PyJWT", "redis", "eth-keys")}
    bench.report.peers["naive"] = {key: health[key] for key in ("ecc_backend", "recovery_ms")} | versions
    progress(f"naive peer: eth-keys {health['ecc_backend']}, one recovery {health['recovery_ms']:.1f} ms")
    bench.peers.append(Contender("naive", url, "redis"))
    return None


# ---------------------------------------------------------------- Redis, machine, output


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def delete_redis_keys(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    batch: list[bytes] = []
    deleted = 0
    for key in client.scan_iter(match=f"*{prefix}*", count=1000):
        batch.append(key)
        if len(batch) == 1000:
            deleted += int(client.delete(*batch))
            batch = []
    if batch:
        deleted += int(client.delete(*batch))
    progress(f"  (Redis: deleted the run's {deleted} keys under {prefix})")


def command_output(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except OSError:
        return ""


def machine_info(wrk: str) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    return {
        "cpu": model[1] if model else platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "uvicorn": uvicorn.__version__,
        "wrk": command_output(wrk, "--version").splitlines()[0:1],
        "kernel": platform.release(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": command_output("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"),
        "work_tree_changed": bool(command_output("git", "-C", str(ROOT), "status", "--porcelain", "app")),
        "load_average_at_start": os.getloadavg(),
    }


HEADER = f"{'endpoint':<32} {'store':<6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'ratio':>6}  note"
PEER_TITLES = {"node": "Node peer", "naive": "naive siwe-py peer"}


def row_label(row: Row) -> str:
    """The endpoint, and which server answered unless web3-auth with one worker (or the ceiling)."""
    if row.server == "web3-auth" and row.workers > 1:
        return f"{row.endpoint} [{row.workers} workers]"
    return f"{row.endpoint} [{row.server}]" if row.server in PEER_TITLES else row.endpoint


def comparison(row: Row) -> str:
    if row.web3auth_over_peer is not None:
        return f"web3-auth ({row.beside}) {row.web3auth_over_peer:.1f}x"
    if row.over_one_worker is not None:
        return f"{row.over_one_worker:.2f}x one worker"
    return ""


def format_row(row: Row) -> str:
    ratio = f"{row.ratio_to_ceiling:6.3f}" if row.ratio_to_ceiling is not None else f"{'':6}"
    errors = f"{row.socket_errors} socket errors" if row.socket_errors else ""
    note = "; ".join(part for part in (comparison(row), row.note, format_gc(row.gc), errors) if part)
    return (
        f"{row_label(row):<32} {row.store:<6} {row.requests_per_second:8.0f} {row.p50_ms:8.2f} {row.p99_ms:8.2f} "
        f"{row.non_2xx:8d} {ratio}  {note}"
    )


def format_rate_test(test: RateTest) -> str:
    return (
        f"fixed rate: {test.endpoint} ({test.store}) target {test.target_rate:.0f}/s, achieved "
        f"{test.achieved_rate:.0f}/s, p50 {test.p50_ms:.2f} ms, p99 {test.p99_ms:.2f} ms, non-2xx {test.non_2xx}, "
        f"sent late {test.late} of {test.slots} (worst {test.max_lag_ms:.1f} ms)"
        + "".join(f"; {part}" for part in (test.note, format_gc(test.gc)) if part)
    )


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def print_server_log(store: str, summary: dict[str, Any]) -> None:
    print(f"\nweb3-auth's request log ({store}; server-side durations): levels {summary['levels']}")
    for route, figures in sorted(summary["routes"].items()):
        not_ok = f", not ok {figures['outcomes_not_ok']}" if figures["outcomes_not_ok"] else ""
        print(
            f"  {route:<22} {figures['requests']:>7} requests, p50 {figures['server_p50_ms']:.2f} ms, "
            f"p99 {figures['server_p99_ms']:.2f} ms, max {figures['server_max_ms']:.0f} ms, "
            f"{figures['over_50_ms']} over 50 ms, statuses {figures['statuses']}{not_ok}"
        )
    for problem, count in summary["problems"].items():
        print(f"  {count} x {problem}")


def print_machine(machine: dict[str, Any]) -> None:
    changed = " (app/ has uncommitted changes)" if machine["work_tree_changed"] else ""
    load = " ".join(f"{value:.2f}" for value in machine["load_average_at_start"])
    print(
        f"\nmachine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
        f"uvicorn {machine['uvicorn']}, {' '.join(machine['wrk'])}, {machine['date']}, "
        f"commit {machine['commit']}{changed}, load average at start {load}"
    )


def markdown_server(row: Row) -> str:
    if row.server in PEER_TITLES:
        return PEER_TITLES[row.server]
    return f"web3-auth, {row.workers} workers" if row.workers > 1 else row.server


def markdown_gc(gc: dict[str, Any] | None) -> str:
    if not gc:
        return ""
    return f"{gc['full_collections']} ({gc['full_pause_ms']:.0f} ms)"


def markdown_table(report: Report) -> str:
    """The rows as a Markdown table, for README.md's Performance section."""
    lines = [
        "| endpoint | server | store | req/s | p50 ms | p99 ms | non-2xx | ratio | compared | full GCs (pause) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report.rows:
        ratio = f"{row.ratio_to_ceiling:.3f}" if row.ratio_to_ceiling is not None else ""
        lines.append(
            f"| `{row.endpoint.removeprefix('ceiling ')}` | {markdown_server(row)} | {row.store.replace('-', '–')} "
            f"| {row.requests_per_second:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | {row.non_2xx} | {ratio} "
            f"| {comparison(row)} | {markdown_gc(row.gc)} |"
        )
    for test in report.rate_tests:
        lines.append(
            f"\nAt 80 % of the maximum ({test.store}): `{test.endpoint}` {test.achieved_rate:,.0f}/s, p50 "
            f"{test.p50_ms:.1f} ms, p99 {test.p99_ms:.1f} ms, sent late {test.late}"
            + (f", full GCs {markdown_gc(test.gc)}" if test.gc else "")
            + "."
        )
    return "\n".join(lines)


def print_peers(peers: dict[str, Any]) -> None:
    for name, about in peers.items():
        print(f"{PEER_TITLES[name]}: " + ", ".join(f"{key} {value}" for key, value in about.items()))


def print_report(report: Report) -> None:
    print("\n" + HEADER)
    for row in report.rows:
        print(format_row(row))
    for test in report.rate_tests:
        print(format_rate_test(test))
    for store, summary in report.server_logs.items():
        print_server_log(store, summary)
    if report.peers:
        print()
        print_peers(report.peers)
    if report.machine:
        print_machine(report.machine)
    if report.rows:
        print("\nMarkdown, for README.md's Performance section:\n")
        print(markdown_table(report))
    print(f"total time: {report.total_seconds:.0f} s", flush=True)


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(report), indent=2) + "\n")
    print(f"results: {path}")


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--stores", default="memory,redis", help="comma list of memory, redis (default both)")
    results = BENCHMARKS / "results" / "latest.json"
    parser.add_argument("--json", type=Path, default=results, help=f"default {results.relative_to(ROOT)}")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help=f"default {DEFAULT_REDIS_URL}")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma list of node, naive (default both; none)")
    parser.add_argument("--skip-rate-test", action="store_true", help="no fixed-rate test")
    parser.add_argument("--skip-two-workers", action="store_true", help="no two-worker rows on Redis")
    parser.add_argument("--keep-logs", type=Path, metavar="DIR", help="copy web3-auth's logs there")
    args = parser.parse_args()
    args.stores = [store.strip() for store in args.stores.split(",") if store.strip()]
    if not set(args.stores) <= {"memory", "redis"}:
        parser.error("--stores takes memory and/or redis")
    args.peers = [peer.strip() for peer in args.peers.split(",") if peer.strip() not in ("", "none")]
    if not set(args.peers) <= set(PEERS):
        parser.error("--peers takes node and/or naive, or none")
    return args


def make_keys_file(path: Path) -> Path:
    keys = subprocess.run(
        [sys.executable, "-m", "app", "keygen", "--alg", "ES256"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    path.write_text(keys.stdout)
    path.chmod(0o600)
    return path


def stop_on_sigterm() -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def run(args: argparse.Namespace, report: Report, workdir: Path) -> None:
    wrk_binary = shutil.which("wrk")
    if wrk_binary is None:
        raise SystemExit("load.py needs wrk: apt-get install -y wrk")
    report.machine = machine_info(wrk_binary)
    wrk = Wrk(wrk_binary, args.threads, args.connections, args.duration, workdir)
    keys_file = make_keys_file(workdir / "keys.json")
    bench = Bench(
        wrk,
        Wallets(),
        report,
        workdir,
        keys_file,
        not args.skip_rate_test,
        args.keep_logs,
        two_workers=not args.skip_two_workers,
        redis_url=args.redis_url,
    )
    progress(HEADER)
    ceiling, parse_rate = measure_ceiling(bench)
    # Enough addresses for a challenge phase as fast as the ceiling's POST: challenge cannot outrun it.
    bench.wallets.grow_to(max(MIN_WALLETS, math.ceil(parse_rate * args.duration * 1.1)))
    with contextlib.ExitStack() as peers:
        start_peers(bench, args.peers, peers)
        for store in args.stores:
            if store == "redis" and not redis_answers(bench.redis_url):
                progress(f"redis: skipped, nothing answers on {bench.redis_url}")
                continue
            measure_store(bench, store, ceiling)
    measure_ceiling_again(bench, ceiling)


def main() -> None:
    try:
        benchmark()
    except KeyboardInterrupt as interruption:
        print(f"load.py: interrupted ({interruption or 'Ctrl-C'}); everything it started is stopped", file=sys.stderr)
        raise SystemExit(130) from None


def benchmark() -> None:
    args = parse_args()
    started = time.monotonic()
    stop_on_sigterm()
    report = Report(
        machine={},
        settings={key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
    )
    with tempfile.TemporaryDirectory(prefix="web3auth-load-") as workdir:
        try:
            run(args, report, Path(workdir))
        finally:
            report.total_seconds = time.monotonic() - started
            print_report(report)
    write_json(report, args.json)


if __name__ == "__main__":
    main()

"""The benchmark scripts still run (their figures are not checked here: timing belongs in benchmarks)."""

import gc
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from app.observability import gc_pauses
from tests.support.process import ROOT


def run_script(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_the_verify_path_benchmark_runs_and_prints_its_ratio_to_the_floor() -> None:
    result = run_script("benchmarks/verify_path.py", "--messages", "20")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "verify path / floor" in result.stdout


@pytest.mark.parametrize("script", ["benchmarks/load.py", "benchmarks/memory.py"])
def test_the_load_and_memory_benchmarks_start(script: str) -> None:
    result = run_script(script, "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout


def test_the_moving_window_benchmark_runs_and_prints_its_ratio() -> None:
    result = run_script("benchmarks/moving_window.py", "--keys", "100", "200", "--hits", "500")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "most keys / fewest keys" in result.stdout


def test_the_redis_sizing_benchmark_runs_on_the_real_server_and_prints_bytes_per_item(redis_url: str) -> None:
    result = run_script("benchmarks/redis_sizing.py", "--redis-url", redis_url, "--count", "20")
    assert result.returncode == 0, result.stderr[-2000:]
    for item in ("challenge", "session, just signed in", "rate key, one hit", "one IP at its sign-in budget"):
        assert item in result.stdout, result.stdout


def test_the_load_benchmark_measures_its_peers_and_two_workers_beside_web3_auth(redis_url: str, tmp_path: Path) -> None:
    """One short run on Redis: every peer's challenge and verify rows are there, answered without an error and
    compared with web3-auth's; the naive peer ran on eth-keys' pure-Python backend; web3-auth's rows carry its
    garbage collections. The figures themselves are not checked."""
    results = tmp_path / "load.json"
    arguments = ["--duration", "1", "--stores", "redis", "--redis-url", redis_url, "--skip-rate-test"]
    result = run_script("benchmarks/load.py", *arguments, "--json", str(results), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(results.read_text())
    assert report["peers"]["naive"]["ecc_backend"] == "NativeECCBackend", report["peers"]
    assert set(report["peers"]["node"]) >= {"fastify", "siwe", "ethers", "jose"}, report["peers"]
    rows = {(row["server"], row["workers"], row["endpoint"]): row for row in report["rows"]}
    for endpoint in ("POST /auth/challenge", "POST /auth/verify"):
        own = rows["web3-auth", 1, endpoint]
        assert set(own["gc"]) >= {"full_collections", "full_pause_ms", "full_over_10_ms"}, own
        for peer in ("node", "naive"):
            row = rows[peer, 1, endpoint]
            assert row["expected"] > 0, row
            assert (row["non_2xx"], row["beside"]) == (0, "redis"), row
            assert row["web3auth_over_peer"] == pytest.approx(own["requests_per_second"] / row["requests_per_second"])
        two_workers = rows["web3-auth", 2, endpoint]
        assert two_workers["expected"] > 0, two_workers
        assert two_workers["non_2xx"] == 0, two_workers
        assert two_workers["over_one_worker"] is not None, two_workers
        assert two_workers["gc"] is None, two_workers  # /metrics has no GC pauses with several workers
    assert "| `POST /auth/verify` | Node peer | map |" in result.stdout


def test_each_full_collection_is_counted_with_its_pause_in_the_figures_the_load_benchmark_reads() -> None:
    gc_pauses.install()
    gc_pauses.install()  # once only: a second call neither registers twice nor times twice

    def full(name: str) -> float:
        return REGISTRY.get_sample_value(f"web3auth_gc_pause_seconds_{name}", {"generation": "2"}) or 0.0

    count, pause = full("count"), full("sum")
    gc.collect(2)
    assert full("count") == count + 1
    assert full("sum") > pause


def test_the_telemetry_benchmark_runs_and_prints_its_cost_per_request() -> None:
    result = run_script("benchmarks/telemetry.py", "--requests", "200", "--rounds", "2")
    assert re.search(r"median cost of the telemetry: -?\d+\.\d us per request", result.stdout), result.stdout

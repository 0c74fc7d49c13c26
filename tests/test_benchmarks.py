"""The benchmark scripts still run (their figures are not checked here: timing belongs in benchmarks)."""

import re
import subprocess
import sys

import pytest

from tests.support.process import ROOT


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


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


def test_the_telemetry_benchmark_runs_and_prints_its_cost_per_request() -> None:
    result = run_script("benchmarks/telemetry.py", "--requests", "200", "--rounds", "2")
    assert re.search(r"median cost of the telemetry: -?\d+\.\d us per request", result.stdout), result.stdout

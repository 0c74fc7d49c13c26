"""`python -m app` as a user runs it: in a subprocess, with nothing but AUTH_* variables."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.redis_server import free_port

ROOT = Path(__file__).parents[2]


def clean_env(**variables: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AUTH_")}
    return {**env, **variables}


def run_app(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=clean_env(**variables),
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextmanager
def serving(**variables: str) -> Iterator[str]:
    """`python -m app` in a subprocess; yields its base URL once /healthz answers."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "app"]
    env = clean_env(AUTH_PORT=str(port), **variables)
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        try:
            wait_until_healthy(base_url, process)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=15)


def wait_until_healthy(base_url: str, process: "subprocess.Popen[str]") -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"python -m app did not start:\n{output}")
        time.sleep(0.1)

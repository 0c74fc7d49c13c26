"""`python -m app` as a user runs it: in a subprocess, with nothing but AUTH_* variables."""

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from app.domain.keys import generate_private_key, private_jwk
from app.files import write_private_file
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


@dataclass
class RunningApp:
    """A `python -m app` process: its base URL, the process itself, and what it wrote."""

    url: str
    process: "subprocess.Popen[str]"
    _output: IO[str]

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then its exit status once it has drained (and written its last lines)."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        self._output.flush()
        self._output.seek(0)
        return self._output.read()


@contextmanager
def started_app(**variables: str) -> Iterator[RunningApp]:
    """`python -m app` in a subprocess, once /healthz answers. Its output goes to a file (a pipe nobody reads
    would fill up and stall the server mid-test), shown if it fails to start. Terminated on exit if it runs."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "app"]
    env = clean_env(AUTH_PORT=str(port), **variables)
    with (
        tempfile.TemporaryFile("w+") as output,
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True) as process,
    ):
        try:
            wait_until_healthy(base_url, process, output)
            yield RunningApp(base_url, process, output)
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=30)


@contextmanager
def serving(**variables: str) -> Iterator[str]:
    """started_app(), for tests that only need its base URL."""
    with started_app(**variables) as running:
        yield running.url


def wait_until_healthy(base_url: str, process: "subprocess.Popen[str]", output: IO[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            output.seek(0)
            pytest.fail(f"python -m app did not start:\n{output.read()}")
        time.sleep(0.1)


def shared_state_settings(redis_url: str, directory: Path, **variables: str) -> dict[str, str]:
    """AUTH_* settings with which several processes share state, as replicas do: one Redis under a prefix of
    their own (the caller deletes it), one ES256 key file, written in `directory`, and one domain and issuer."""
    keys_file = directory / "keys.json"
    write_private_file(keys_file, json.dumps({"keys": [private_jwk(generate_private_key("ES256"), "ES256")]}))
    return {
        "AUTH_REDIS_URL": redis_url,
        "AUTH_REDIS_PREFIX": f"test-{uuid.uuid4().hex}",
        "AUTH_JWT_KEYS_FILE": str(keys_file),
        # one public name for all, as behind a load balancer (unset, each would name localhost on its own port)
        "AUTH_DOMAINS": "localhost:8000",
        "AUTH_ISSUER": "http://localhost:8000",
        **variables,
    }

"""Running the Node side of the frontend tests: clients/js and its pinned packages (package-lock.json)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.node import node_binary
from tests.support.process import ROOT, clean_env, wait_until_healthy

CLIENT_DIR = ROOT / "clients" / "js"
INSTALL_COMMAND = "npm ci --prefix clients/js --no-audit --no-fund"
PACKAGES = ("ethers", "jose", "playwright-core", "siwe", "typescript", "viem")


def node_ready() -> str:
    """The node binary, once clients/js has its packages installed."""
    node = node_binary()
    missing = [name for name in PACKAGES if not (CLIENT_DIR / "node_modules" / name / "package.json").is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing from clients/js/node_modules: run `{INSTALL_COMMAND}` first")
    return node


@contextmanager
def start_node(script: str, *args: str, **env: str) -> Iterator["subprocess.Popen[str]"]:
    """`node clients/js/test/<script> <args>`, running (with `env` added) while in the block; `results`
    collects what it printed. Killed and reaped on the way out, whatever happened."""
    # clients/js/web3-auth.js links to app/static/web3-auth.js: kept as the link, the module lies in clients/js's
    # package scope ("type": "module"), so no Node.js version has to guess from its syntax that it is one
    # (before 20.19 none does, and it is read as CommonJS)
    command = [node_ready(), "--preserve-symlinks", f"test/{script}", *args]
    with subprocess.Popen(
        command, cwd=CLIENT_DIR, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            yield process
        finally:
            process.kill()  # a no-op once it exited; Popen's exit then closes the pipes and reaps it


def results(process: "subprocess.Popen[str]", timeout: float = 60) -> dict[str, Any]:
    """The JSON a node script printed; its stderr in the failure if it printed none."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"{process.args} did not finish in {timeout} s:\n{stderr}")
    if process.returncode != 0:
        pytest.fail(f"{process.args} exited with {process.returncode}:\n{stderr}{stdout}")
    output: dict[str, Any] = json.loads(stdout)
    return output


@contextmanager
def web3_auth_on(port: int, **variables: str) -> Iterator[str]:
    """`python -m app` on a port chosen by the caller (the domains it serves name that port)."""
    base_url = f"http://127.0.0.1:{port}"
    env = clean_env(AUTH_PORT=str(port), **variables)
    with (
        tempfile.TemporaryFile("w+") as output,
        subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=output, stderr=output) as process,
    ):
        try:
            wait_until_healthy(base_url, process, output)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=30)


def chromium_path() -> Path:
    path = Path(shutil.which("chromium") or "/usr/bin/chromium")
    if not path.exists():
        pytest.fail("Chromium is not installed: `apt-get install chromium` (scripts/test does it)")
    return path


def assert_screenshot(picture: Path, *, at_least: int) -> None:
    """A PNG a browser test kept, of at least `at_least` bytes (a blank page is smaller)."""
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.stat().st_size > at_least, picture

"""The README's curl walk-through, run as written against `python -m app`: only the service's port and the
venv's interpreter are this test's own. It signs in with the wallet key file, refreshes and signs out."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.process import ROOT, started_app

MARKER = "<!-- curl walk-through -->"


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    block = re.search(re.escape(MARKER) + r"\n```sh\n(.*?)\n```\n", readme, re.DOTALL)
    assert block is not None, "the README has no curl walk-through block"
    return block.group(1)


def test_the_curl_walkthrough_signs_in_refreshes_and_signs_out(tmp_path: Path) -> None:
    for tool in ("curl", "jq"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (scripts/test installs it)")
    script = walkthrough()
    assert "W3A=http://localhost:8000\n" in script
    assert ".venv/bin/python -m app sign" in script
    with started_app() as running:
        port = running.url.rsplit(":", 1)[1]
        script = script.replace("W3A=http://localhost:8000\n", f"W3A=http://localhost:{port}\n")
        script = script.replace(".venv/bin/python", sys.executable)
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        result = subprocess.run(
            ["bash", "-eu", "-o", "pipefail", "-c", script],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert running.stop() == 0
        log = running.output()
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    challenge = json.loads(lines[0])
    assert challenge["domain"] == f"localhost:{port}"
    tokens = json.loads(lines[1])
    me = json.loads(lines[2])
    assert me["address"] == challenge["address"] == tokens["address"]
    assert lines[3] == "204"
    assert json.loads(lines[4])["error"] == "invalid_token"
    assert json.loads(lines[5])["keys"]
    assert json.loads(lines[6])["jwks_uri"].endswith("/.well-known/jwks.json")
    assert (tmp_path / "wallet.key").stat().st_mode & 0o777 == 0o600
    routes = [json.loads(line).get("route") for line in log.splitlines() if line.startswith("{")]
    assert "/auth/refresh" in routes, "the walk-through never refreshed"

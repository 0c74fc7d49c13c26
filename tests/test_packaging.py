"""The README's install command (`pip install .`) gives a service that works outside the checkout: the package
and its package data (the browser client, the demo page, the OpenID Connect sign-in page, the compiled
SignatureValidator, the Redis store's Lua scripts) are installed, not read from the source tree.

The runtime dependencies are already in this venv, so the package alone is installed (`--no-deps`) into a
directory of its own, and `python -m app` runs from another directory with only that one on PYTHONPATH."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from tests.support.process import wait_until_healthy
from tests.support.redis_server import free_port

ROOT = Path(__file__).parents[1]
PACKAGE_DATA = [
    "app/static/web3-auth.js",
    "app/static/demo.html",
    "app/static/demo.js",
    "app/static/oidc-signin.html",
    "app/static/oidc-signin.js",
    "app/static/oidc-signin.css",
    "app/domain/signatures/SignatureValidator.bin",
    "app/domain/signatures/SignatureValidator.sol",
    *sorted(str(script.relative_to(ROOT)) for script in (ROOT / "app/stores/lua").glob("*.lua")),
]
# What the installed copy reads of its package data, printed by a process that imports it as the server does.
PROBE = """
import app
from app.domain.signatures.contract_wallets import VALIDATOR_CREATION_CODE
import app.stores.redis  # reads its Lua scripts
print(app.__file__)
print(VALIDATOR_CREATION_CODE.hex())
"""


def test_pip_install_gives_a_service_that_runs_outside_the_checkout(tmp_path: Path) -> None:
    source, site, elsewhere = tmp_path / "source", tmp_path / "site", tmp_path / "elsewhere"
    # what `pip install .` reads (the Dockerfile's build context too), without anything generated
    shutil.copytree(ROOT / "app", source / "app", ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]"))
    for name in ["pyproject.toml", "README.md"]:
        shutil.copy2(ROOT / name, source / name)
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    for name in PACKAGE_DATA:
        assert (site / name).read_bytes() == (ROOT / name).read_bytes(), f"{name} is not installed as in the source"

    elsewhere.mkdir()
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("AUTH_")}
    env.update(PYTHONPATH=str(site), AUTH_PORT=str(port), AUTH_DEMO="true")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    module_file, creation_code = probe.stdout.split()
    assert Path(module_file).is_relative_to(site), f"app imported from {module_file}, not from the installed copy"
    assert creation_code == (ROOT / "app/domain/signatures/SignatureValidator.bin").read_text().strip()

    base_url = f"http://127.0.0.1:{port}"
    with (
        tempfile.TemporaryFile("w+") as output,
        subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=elsewhere, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        ) as server,
    ):
        try:
            wait_until_healthy(base_url, server, output)
            with httpx.Client(base_url=base_url, timeout=5) as http:
                assert http.get("/healthz").status_code == 200
                client = http.get("/auth/client.js")
                assert client.status_code == 200
                assert client.headers["content-type"].startswith("text/javascript")
                assert client.content == (ROOT / "app/static/web3-auth.js").read_bytes()
                demo = http.get("/demo")
                assert demo.status_code == 200
                assert demo.content == (ROOT / "app/static/demo.html").read_bytes()
        finally:
            server.terminate()
            server.wait(timeout=30)

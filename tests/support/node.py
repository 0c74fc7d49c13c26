"""The Node.js the tests run: the one scripts/test put in .venv (PyPI's build, where the machine's Node.js is
older than 20), else the machine's; 20 or newer either way."""

import shutil
import subprocess
from functools import cache

import pytest

from tests.support.process import ROOT

VENV_NODE = ROOT / ".venv" / "node" / "bin" / "node"
OLDEST_MAJOR = 20


@cache
def node_binary() -> str:
    node = str(VENV_NODE) if VENV_NODE.is_file() else shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js is not installed: the tests need {OLDEST_MAJOR} or newer (scripts/test installs it)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    if int(version.lstrip("v").split(".")[0] or 0) < OLDEST_MAJOR:
        pytest.fail(f"{node} is Node.js {version}: the tests need {OLDEST_MAJOR} or newer (scripts/test installs it)")
    return node

"""The client's types: JSDoc in the JavaScript, declarations generated from it by tsc (committed beside each
file, so TypeScript apps get completion), and an app's view of them (clients/js/test/consumer.ts) checked."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.interop.node import CLIENT_DIR, node_ready

DECLARATIONS = ("web3-auth.d.ts", "adapters/rainbowkit.d.ts", "adapters/appkit.d.ts", "adapters/siwx.d.ts")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("types")
    tsc = CLIENT_DIR / "node_modules" / "typescript" / "bin" / "tsc"
    command = [node_ready(), str(tsc), "-p", "test/tsconfig.json", "--outDir", str(out)]
    result = subprocess.run(command, cwd=CLIENT_DIR, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"tsc found type errors:\n{result.stdout}{result.stderr}"
    return out


def test_the_sources_and_an_app_using_them_type_check(generated: Path) -> None:
    assert (generated / "test" / "consumer.d.ts").is_file()


@pytest.mark.parametrize("name", DECLARATIONS)
def test_the_committed_declarations_are_generated_from_the_jsdoc(generated: Path, name: str) -> None:
    committed = (CLIENT_DIR / name).read_text()
    assert committed == (generated / name).read_text(), "regenerate them: npm run types --prefix clients/js"
    assert re.search(r"\bany\b", committed) is None  # every type is spelled out

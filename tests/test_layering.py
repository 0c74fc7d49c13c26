"""The layers' imports: the domain and the RPC client take policies, never Settings, and config is a leaf."""

import ast
import json
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).parents[1] / "app"


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, wherever the import stands (in a function or under TYPE_CHECKING too)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import"  # absolute imports only, so the names say all
            assert node.module is not None
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_no_module_of_the_domain_or_the_rpc_client_imports_the_settings() -> None:
    sources = sorted([*(APP / "domain").rglob("*.py"), *(APP / "rpc").rglob("*.py")])
    assert len(sources) > 10
    offending = {
        str(path.relative_to(APP)): sorted(name for name in imported_modules(path) if name.startswith("app.config"))
        for path in sources
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_config_imports_nothing_from_the_application() -> None:
    from_app = [name for name in imported_modules(APP / "config.py") if name == "app" or name.startswith("app.")]
    assert from_app == []


def test_reading_the_settings_loads_no_other_module_of_the_application_nor_redis_nor_metrics() -> None:
    probe = "import json, sys; import app.config; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=APP.parent, timeout=60
    )
    loaded = json.loads(result.stdout)
    assert [name for name in loaded if name.startswith("app.")] == ["app.config"]
    assert [name for name in loaded if name.split(".")[0] in ("redis", "prometheus_client")] == []

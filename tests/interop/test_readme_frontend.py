"""The README's frontend wiring is the example files the tests run, byte for byte, each under 15 lines; the
Node packages the tests use are pinned, and the README's RainbowKit install line names those pins."""

import json
import re

import pytest

from tests.interop.node import CLIENT_DIR
from tests.support.process import ROOT

EXAMPLES = ("plain", "fetch", "rainbowkit", "appkit")
MAX_LINES = 15


def readme_snippet(path: str) -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.findall(rf"<!-- {re.escape(path)} -->\n```js\n(.*?)```\n", readme, flags=re.DOTALL)
    assert len(found) == 1, f"the README shows {path} {len(found)} times, not once"
    snippet: str = found[0]
    return snippet


@pytest.mark.parametrize("name", EXAMPLES)
def test_readme_shows_the_example_file_as_is(name: str) -> None:
    path = f"clients/js/examples/{name}.js"
    file = (ROOT / path).read_text()
    assert readme_snippet(path) == file
    assert len(file.splitlines()) < MAX_LINES


def test_node_packages_are_pinned_exactly() -> None:
    manifest = json.loads((CLIENT_DIR / "package.json").read_text())
    lock = json.loads((CLIENT_DIR / "package-lock.json").read_text())
    pinned = manifest["devDependencies"]
    libraries = {"ethers", "jose", "playwright-core", "siwe", "typescript", "viem", "esbuild", "openid-client"}
    frontends = {"@rainbow-me/rainbowkit", "wagmi", "@wagmi/core", "@tanstack/react-query", "react", "react-dom"}
    reown = {"@reown/appkit", "@reown/appkit-controllers", "@reown/appkit-siwe", "@walletconnect/utils"}
    assert set(pinned) == libraries | frontends | reown
    for name, version in pinned.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not an exact version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert pinned["siwe"].startswith("3.")
    assert pinned["ethers"].startswith("6.")


def test_readme_appkit_install_line_is_what_the_tests_install() -> None:
    readme = (ROOT / "README.md").read_text()
    [line] = re.findall(r"<!-- install: appkit -->\n```sh\n(npm install [^\n]*)\n```\n", readme)
    wanted = dict(spec.rsplit("@", 1) for spec in line.split()[2:])
    pinned = json.loads((CLIENT_DIR / "package.json").read_text())["devDependencies"]
    assert {name: pinned.get(name) for name in wanted} == wanted  # exactly the tested pins
    lock = json.loads((CLIENT_DIR / "package-lock.json").read_text())["packages"]
    appkit = lock["node_modules/@reown/appkit"]["dependencies"]
    assert appkit["@reown/appkit-controllers"] == pinned["@reown/appkit-controllers"]  # the SIWX code the tests run
    assert (
        lock["node_modules/@walletconnect/universal-provider"]["version"] == appkit["@walletconnect/universal-provider"]
    )
    assert lock["node_modules/@walletconnect/utils"]["version"] == pinned["@walletconnect/utils"]


def test_readme_rainbowkit_install_line_is_what_the_tests_install() -> None:
    readme = (ROOT / "README.md").read_text()
    [line] = re.findall(r"<!-- install: rainbowkit -->\n```sh\n(npm install [^\n]*)\n```\n", readme)
    wanted = dict(spec.rsplit("@", 1) for spec in line.split()[2:])
    manifest = json.loads((CLIENT_DIR / "package.json").read_text())
    lock = json.loads((CLIENT_DIR / "package-lock.json").read_text())
    assert {name: manifest["devDependencies"].get(name) for name in wanted} == wanted  # exactly the tested pins
    rainbowkit = lock["packages"]["node_modules/@rainbow-me/rainbowkit"]
    peers: dict[str, str] = rainbowkit["peerDependencies"]
    assert set(peers) <= set(wanted), "RainbowKit's peers are all in the line"
    assert peers["wagmi"] == "^2.9.0"  # why the README says wagmi 3 does not install beside it
    major, minor, _ = (int(part) for part in wanted["wagmi"].split("."))
    assert major == 2
    assert minor >= 9
    for name, version in wanted.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name

"""The real RainbowKit in a real browser: a React page (clients/js/test/rainbowkit-page.jsx) with RainbowKitProvider,
RainbowKitAuthenticationProvider and ConnectButton around the README's RainbowKit wiring, bundled by esbuild from
clients/js/node_modules when the test starts, in Debian's Chromium (headless, playwright-core, as
tests/interop/test_browser.py), against `python -m app`. The wallet is announced by EIP-6963 and signs with a viem
key in the page; a user's clicks drive it: Connect Wallet, the wallet, Sign message, then the account modal's
Disconnect.

The bundle and the screenshots (the wallet list, the sign-in step, signed in, disconnected) are kept in
tests/artifacts/rainbowkit/ (not versioned).
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.interop.node import CLIENT_DIR, assert_screenshot, chromium_path, results, start_node, web3_auth_on
from tests.support.process import ROOT
from tests.support.redis_server import free_port

ARTIFACTS = ROOT / "tests" / "artifacts" / "rainbowkit"
SCREENSHOTS = (
    "rainbowkit-wallets.png",
    "rainbowkit-sign-in.png",
    "rainbowkit-signed-in.png",
    "rainbowkit-disconnected.png",
)
PACKAGES = ("@rainbow-me/rainbowkit", "wagmi", "@tanstack/react-query", "react", "react-dom", "esbuild", "viem")


@pytest.fixture(scope="module")
def observed() -> Iterator[dict[str, Any]]:
    missing = [name for name in PACKAGES if not (CLIENT_DIR / "node_modules" / name / "package.json").is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing from clients/js/node_modules: run `npm ci --prefix clients/js`")
    port, frontend = free_port(), free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in SCREENSHOTS:
        (ARTIFACTS / name).unlink(missing_ok=True)
    settings = {
        "AUTH_DOMAINS": f"app.test:{frontend}",
        "AUTH_CHAIN_IDS": "1,8453",
        "AUTH_RATE_LIMIT_IP": "100000/minute",
    }
    chromium = str(chromium_path())
    with web3_auth_on(port, **settings) as base_url:
        with start_node("rainbowkit.mjs", base_url, str(frontend), str(ARTIFACTS), CHROMIUM=chromium) as process:
            facts = results(process, timeout=120)
        token = facts["accessToken"]
        # asked here, after the run: the token the page held is refused now that RainbowKit disconnected
        facts["meAfterRun"] = httpx.get(f"{base_url}/auth/me", headers={"authorization": f"Bearer {token}"}).status_code
        yield {**facts, "frontend": frontend}


def test_the_wallet_is_listed_by_eip6963_and_connects(observed: dict[str, Any]) -> None:
    assert observed["connected"] == observed["wallet"]  # RainbowKit's account, once the wallet was picked


def test_rainbowkit_asks_for_a_nonce_before_the_signature_without_an_address(observed: dict[str, Any]) -> None:
    assert observed["callsBeforeSigning"] == ["/auth/nonce"]
    [nonce] = observed["nonces"]
    assert nonce["domain"] == f"app.test:{observed['frontend']}"  # the page's host
    assert nonce["chain_ids"] == [1, 8453]


def test_the_wallet_signed_the_message_built_from_the_nonce_answer(observed: dict[str, Any]) -> None:
    [nonce], wallet = observed["nonces"], observed["wallet"]
    assert observed["signed"] == [
        f"{nonce['domain']} wants you to sign in with your Ethereum account:\n{wallet}\n\n{nonce['statement']}\n\n"
        f"URI: {nonce['uri']}\nVersion: 1\nChain ID: 1\nNonce: {nonce['nonce']}\n"
        f"Issued At: {nonce['issued_at']}\nExpiration Time: {nonce['expiration_time']}"
    ]


def test_signed_in_rainbowkit_is_authenticated_and_the_token_works(observed: dict[str, Any]) -> None:
    wallet = observed["wallet"]
    assert observed["session"] == {"address": wallet, "chainId": 1, "accounts": [f"eip155:1:{wallet}"]}
    assert observed["meWhileSignedIn"] == 200


def test_disconnect_signs_out_and_revokes_the_token(observed: dict[str, Any]) -> None:
    assert observed["logout"] == 204
    assert observed["heldAfterDisconnect"] is None
    assert observed["meAfterDisconnect"] == 401
    assert observed["meAfterRun"] == 401


def test_the_page_called_web3_auth_only_for_the_sign_in_and_the_sign_out(observed: dict[str, Any]) -> None:
    assert observed["calls"] == [
        ["POST", "/auth/nonce", 200],
        ["POST", "/auth/verify", 200],
        ["POST", "/auth/logout", 204],
    ]
    assert observed["problems"] == []


def test_the_bundle_builds_in_seconds(observed: dict[str, Any]) -> None:
    assert observed["buildSeconds"] < 30  # esbuild: about 2 s here


@pytest.mark.usefixtures("observed")
@pytest.mark.parametrize("name", SCREENSHOTS)
def test_screenshots_are_kept(name: str) -> None:
    assert_screenshot(ARTIFACTS / name, at_least=5_000)

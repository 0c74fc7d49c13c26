"""A real browser signing in to a relying party through the OpenID Connect provider: Debian's Chromium, headless,
driven by playwright-core (clients/js/test/oidc-browser.mjs), against `python -m app` with one client registered.

The relying party (served by the node script, on its own port) uses openid-client to send the browser to the
authorization endpoint with PKCE S256, state and nonce, and to redeem the code at its redirect URI. On the sign-in
page the browser's wallet (an injected EIP-1193 provider, also announced by EIP-6963, whose personal_sign an ethers
key answers in the node process) is clicked, signs, and the page's form completes the authorization; before it, a
second announced wallet declines to sign.

The screenshots are kept in tests/artifacts/oidc/ (not versioned): the sign-in page, its status line after a
wallet declined to sign, and where the browser landed.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.oidc.clients import hash_secret
from tests.interop.node import assert_screenshot, chromium_path, results, start_node, web3_auth_on
from tests.support.process import ROOT
from tests.support.redis_server import free_port

ARTIFACTS = ROOT / "tests" / "artifacts" / "oidc"
SCREENSHOTS = ("oidc-signin.png", "oidc-declined.png", "oidc-landed.png")
CLIENT_ID = "example-rp"
CLIENT_NAME = 'Example RP <&> "Co"'  # shown as text: the server escapes it into the page


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    port, rp_port = free_port(), free_port()
    secret = "a relying party's secret"
    clients_file: Path = tmp_path_factory.mktemp("oidc") / "clients.json"
    clients_file.write_text(
        json.dumps(
            {
                "clients": [
                    {
                        "client_id": CLIENT_ID,
                        "name": CLIENT_NAME,
                        "redirect_uris": [f"http://127.0.0.1:{rp_port}/callback"],
                        "token_endpoint_auth_method": "client_secret_basic",
                        "client_secret_hash": hash_secret(secret),
                    }
                ]
            }
        )
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in SCREENSHOTS:
        (ARTIFACTS / name).unlink(missing_ok=True)
    settings = {
        "AUTH_OIDC_CLIENTS_FILE": str(clients_file),
        "AUTH_ISSUER": f"http://127.0.0.1:{port}",
        "AUTH_DOMAINS": f"127.0.0.1:{port}",
        "AUTH_CHAIN_IDS": "1,8453",
    }
    node_env = {"CHROMIUM": str(chromium_path()), "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": secret}
    with (
        web3_auth_on(port, **settings) as base_url,
        start_node("oidc-browser.mjs", base_url, str(rp_port), str(ARTIFACTS), **node_env) as process,
    ):
        yield {**results(process, timeout=35), "issuer": base_url, "port": port, "rp": f"http://127.0.0.1:{rp_port}"}


def test_the_sign_in_page_shows_the_client_the_domain_and_the_wallet(observed: dict[str, Any]) -> None:
    signin = observed["signin"]
    assert signin["status"] == 200
    assert signin["url"].startswith(f"{observed['issuer']}/oidc/authorize?")
    assert signin["title"] == f"Sign in to {CLIENT_NAME}"
    assert signin["clientName"] == CLIENT_NAME
    assert signin["domain"] == f"127.0.0.1:{observed['port']}"
    # Test Wallet is both announced and window.ethereum: one wallet, one button
    assert signin["buttons"] == ["Test Wallet", "Declining Wallet"]
    assert signin["iconLoaded"] is True  # its data: icon, which the CSP allows
    assert signin["statusLine"] == ""


def test_the_sign_in_page_is_served_with_the_contracts_headers(observed: dict[str, Any]) -> None:
    headers = observed["signin"]["headers"]
    assert headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"base-uri 'none'; form-action 'self' {observed['rp']}; frame-ancestors 'none'"
    )
    assert headers["content-type"].startswith("text/html")
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"


def test_a_wallet_that_declines_leaves_the_page_usable_with_the_reason(observed: dict[str, Any]) -> None:
    declined = observed["declined"]
    assert declined["statusLine"] == "The wallet declined the request."
    assert declined["buttonsEnabled"] == [True, True]
    assert declined["url"] == observed["signin"]["url"]  # nothing was posted
    assert len(observed["signed"]) == 1  # then the other wallet signed, once


def test_the_form_posts_the_authorization_parameters_with_the_signed_message(observed: dict[str, Any]) -> None:
    query = observed["signin"]["query"]
    assert query["code_challenge_method"] == "S256"
    assert observed["posted"] == [*query, "message", "signature"]  # in the order received, then the completion


def test_the_wallet_signed_a_message_for_the_provider_and_this_client(observed: dict[str, Any]) -> None:
    [message] = observed["signed"]
    assert message.startswith(
        f"127.0.0.1:{observed['port']} wants you to sign in with your Ethereum account:\n{observed['wallet']}\n"
    )
    assert "\nChain ID: 1\n" in message  # the wallet's chain, one the service signs in on
    assert message.endswith(f"\nResources:\n- {observed['redirectUri']}")
    # a form sends its values' line breaks as CRLF (HTML's form encoding): the provider reads the message signed
    assert observed["postedMessage"] == message.replace("\n", "\r\n")


def test_the_browser_lands_on_the_redirect_uri_with_a_code_state_and_iss(observed: dict[str, Any]) -> None:
    assert observed["completion"]["status"] == 303, observed["landing"]["shown"]
    landing, callback = observed["landing"], observed["callback"]
    assert (landing["origin"], landing["path"]) == (observed["rp"], "/callback")
    assert set(landing["params"]) == {"code", "state", "iss"}
    assert landing["params"]["state"] == callback["stateSent"]
    assert landing["params"]["iss"] == observed["issuer"]
    assert landing["params"]["code"]


def test_the_relying_party_redeems_the_code_for_an_id_token_of_the_wallet(observed: dict[str, Any]) -> None:
    callback = observed["callback"]
    assert "error" not in callback, callback.get("error")
    claims = callback["claims"]
    assert claims["sub"] == f"eip155:1:{observed['wallet']}"
    assert (claims["iss"], claims["aud"]) == (observed["issuer"], CLIENT_ID)
    assert claims["nonceMatches"] is True  # authorizationCodeGrant checked it too
    assert callback["tokens"] == {"tokenType": "bearer", "scope": "openid", "accessToken": True}
    assert observed["landing"]["shown"] == f"Signed in as {claims['sub']}"


def test_no_console_error_uncaught_error_or_csp_violation(observed: dict[str, Any]) -> None:
    assert observed["problems"] == []


@pytest.mark.usefixtures("observed")
@pytest.mark.parametrize("name", SCREENSHOTS)
def test_screenshots_are_kept(name: str) -> None:
    assert_screenshot(ARTIFACTS / name, at_least=5_000)

"""A real browser: Debian's Chromium, headless, driven by playwright-core (clients/js/test/browser.mjs), against
`python -m app` with the demo on and one frontend origin allowed by CORS. The pages' wallet is an injected
EIP-1193 provider whose personal_sign is answered by an ethers key in the node process.

The screenshots are kept in tests/artifacts/browser/ (not versioned): the demo signed in, signed out, and
refusing a domain it does not serve.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.interop.node import assert_screenshot, chromium_path, results, start_node, web3_auth_on
from tests.support.process import ROOT
from tests.support.redis_server import free_port

ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
SCREENSHOTS = ("demo-signed-in.png", "demo-signed-out.png", "demo-domain-refused.png")


@pytest.fixture(scope="module")
def observed() -> Iterator[dict[str, Any]]:
    port, frontend = free_port(), free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in SCREENSHOTS:
        (ARTIFACTS / name).unlink(missing_ok=True)
    settings = {
        "AUTH_DEMO": "true",
        "AUTH_DOMAINS": f"127.0.0.1:{port},app.test:{frontend}",
        "AUTH_CORS_ORIGINS": f"http://app.test:{frontend},http://unlisted.test:{frontend}",
        # app.test is no loopback name, so its http origin is not a URI a message may name unless listed
        "AUTH_URIS": f"http://app.test:{frontend}",
        "AUTH_RATE_LIMIT_IP": "100000/minute",
    }
    chromium = str(chromium_path())
    with web3_auth_on(port, **settings) as base_url:
        with start_node("browser.mjs", base_url, str(frontend), str(ARTIFACTS), CHROMIUM=chromium) as process:
            yield {**results(process, timeout=90), "port": port, "frontend": frontend}


def test_demo_signs_in_shows_the_address_resumes_after_reload_and_signs_out(observed: dict[str, Any]) -> None:
    demo, wallet = observed["demo"], observed["wallet"]
    assert demo["initially"] == "Signed out"
    assert demo["signedIn"]["address"] == wallet
    assert demo["signedIn"]["chain"] == "1"
    assert demo["signedIn"]["expiry"].endswith("(in 900 s)")
    assert demo["me"] == {"address": wallet, "chainId": 1}
    assert demo["afterReload"] == {"address": wallet, "refresh": 200}  # the refresh token in sessionStorage
    assert demo["logout"] == 204
    assert demo["afterSignOutReload"] == {"status": "Signed out", "address": "–", "refreshes": 0}
    assert demo["error"] == ""


def test_demo_under_a_domain_it_does_not_serve_is_refused(observed: dict[str, Any]) -> None:
    refused = observed["demoOnUnlistedDomain"]
    assert refused["status"] == "Signed out"
    assert refused["error"].startswith(f"domain_not_allowed: domain 'demo.test:{observed['port']}' is not served")


def test_readme_plain_example_on_one_origin(observed: dict[str, Any]) -> None:
    example = observed["plainExample"]
    assert example["line"].startswith(f"signed in as {observed['wallet']} on chain 1, session ")
    assert example["logout"] == 204


def test_readme_fetch_example_without_a_library(observed: dict[str, Any]) -> None:
    example, frontend = observed["fetchExample"], observed["frontend"]
    assert example["line"].startswith(f"signed in as {observed['wallet']} on chain 1, session ")
    [message] = example["signed"]  # the challenge's text: the wallet got it as UTF-8 hex, decoded it, signed it
    assert message.startswith(
        f"app.test:{frontend} wants you to sign in with your Ethereum account:\n{observed['wallet']}\n"
    )
    assert f"\nURI: http://app.test:{frontend}\n" in message


def test_cross_origin_frontend_through_cors(observed: dict[str, Any]) -> None:
    cross = observed["crossOrigin"]
    assert cross["signIn"] == {
        "baseUrl": f"http://127.0.0.1:{observed['port']}",  # where the module was served from
        "domain": f"app.test:{observed['frontend']}",  # the page's host
        "address": observed["wallet"],
    }
    assert cross["me"] == observed["wallet"]
    assert cross["signedOut"] is None


def test_a_copy_of_the_module_served_by_the_app_needs_a_base_url(observed: dict[str, Any]) -> None:
    required = (
        "TypeError: web3-auth: options.baseUrl is required"
        " (this module was not loaded from web3-auth's /auth/client.js)"
    )
    assert observed["bundledCopy"] == {
        "withoutBaseUrl": required,  # not the app's own origin, taken for web3-auth's
        "signIn": required,
        "withBaseUrl": f"http://127.0.0.1:{observed['port']}",
    }


def test_a_signed_message_for_another_domain_is_refused(observed: dict[str, Any]) -> None:
    assert observed["crossOrigin"]["otherDomain"] == "401 domain_not_allowed"


def test_a_cors_origin_that_is_not_a_domain_gets_no_challenge(observed: dict[str, Any]) -> None:
    assert observed["corsOriginNotADomain"] == {"signIn": "400 domain_not_allowed"}


def test_an_origin_not_allowed_by_cors_cannot_call(observed: dict[str, Any]) -> None:
    assert observed["notACorsOrigin"] == {"signIn": "0 unreachable"}  # the browser refuses to read the answer


def test_the_wallet_signed_only_what_it_was_shown(observed: dict[str, Any]) -> None:
    port, frontend = observed["port"], observed["frontend"]
    assert observed["signedDomains"] == sorted([f"127.0.0.1:{port}", f"app.test:{frontend}", "evil.test"])
    assert observed["problems"] == []


@pytest.mark.usefixtures("observed")
@pytest.mark.parametrize("name", SCREENSHOTS)
def test_screenshots_are_kept(name: str) -> None:
    assert_screenshot(ARTIFACTS / name, at_least=10_000)

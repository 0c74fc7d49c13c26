"""Reown AppKit's own SIWX code driving the adapters (clients/js/adapters/siwx.js and appkit.js) against a live
web3-auth: One-Click Auth through a WalletConnect wallet made of @walletconnect/utils and viem keys, the
sign-message path, an embedded wallet's placeholder message, the client's batch and account calls under the
adapter, the legacy @reown/appkit-siwe createSIWEConfig and the README's wiring. clients/js/test/appkit.mjs runs
them and prints what it observed; the expectations are here.
"""

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from siwe import SiweMessage as ReferenceMessage

from tests.interop.node import results, start_node
from tests.support.process import serving

SETTINGS = {
    "AUTH_DOMAINS": "app.example.com",
    "AUTH_CHAIN_IDS": "1,8453",
    "AUTH_ISSUER": "https://auth.example.com",
    "AUTH_STATEMENT": "Sign in to the example app.",
    "AUTH_MAX_MESSAGE_LIFETIME": "600",
    "AUTH_RATE_LIMIT_IP": "100000/minute",
    "AUTH_RATE_LIMIT_ADDRESS": "100000/minute",
}
CHAINS = ["eip155:1", "eip155:8453"]


@pytest.fixture(scope="module")
def observed() -> Iterator[dict[str, dict[str, Any]]]:
    with serving(**SETTINGS) as base_url, start_node("appkit.mjs", base_url) as appkit:
        yield results(appkit, timeout=120)


@pytest.fixture
def case(observed: dict[str, dict[str, Any]], request: pytest.FixtureRequest) -> dict[str, Any]:
    """What the node case named after the test observed."""
    facts = observed[request.node.originalname.removeprefix("test_")]
    assert "crashed" not in facts, facts.get("crashed")
    return facts


def test_one_click(case: dict[str, Any]) -> None:
    # one nonce before any address, both chains signed by the wallet, one sign-in with both CACAOs
    assert case["authenticated"] is True
    assert case["requests"] == ["POST /auth/nonce", "POST /auth/verify"]
    assert case["request"] == {"chains": CHAINS, "statement": "Sign in to the example app.", "hasExpiry": True}
    assert case["signedChains"] == CHAINS
    assert case["accounts"] == case["expectedAccounts"]
    assert [account.rsplit(":", 1)[0] for account in case["accounts"]] == CHAINS
    # WalletConnect's ReCap of the requested methods, as granted by the wallet for its chains
    assert case["recap"] == {
        "att": {
            "eip155": {
                "request/eth_sendTransaction": [{"chains": CHAINS}],
                "request/personal_sign": [{"chains": CHAINS}],
            }
        }
    }
    # getSessions on Base (the address in lower case) answers the session, with what was signed for Base
    assert case["sessionOnBase"] == {"chainId": "eip155:8453", "address": True, "message": True, "cacao": True}
    assert case["authenticatedOnBase"] is True
    # setSessions([]) signs out: the tokens are revoked at the service
    assert (case["signedOut"], case["revoked"], case["afterSignOut"]) == (True, 401, 0)


def test_one_click_other_key(case: dict[str, Any]) -> None:
    # Base signed by another key: AppKit's setSessions rejects, nothing opens (WalletConnect's own check agrees)
    assert case["caught"] == "401 invalid_signature"
    assert case["session"] is None
    assert case["walletConnectValidates"] == [True, False]
    # the nonce was not spent: the same payloads, Base signed by the right key, sign in on both chains
    assert case["sameNonce"] is True
    assert (case["retried"], case["retriedAccounts"]) == (2, CHAINS)


def test_sign_message(case: dict[str, Any]) -> None:
    assert case["requests"] == ["POST /auth/nonce", "POST /auth/verify"]
    assert case["signedIn"] == {"address": True, "chainId": 1, "accounts": 1}
    assert case["session"] == {"chainId": "eip155:1", "signature": True}
    # the network switched to Base: not signed in there, then signed and added to the same session
    assert case["beforeBase"] is False
    assert case["both"] == CHAINS
    assert case["bothSameSession"] is True
    # revokeSession: Base removed from the session; then the last account, which signs out
    assert case["afterRevoke"] == ["eip155:1"]
    assert case["lastRevoked"] == {"signedOut": True, "token": 401}


def test_the_adapters_message_is_eip4361(observed: dict[str, dict[str, Any]]) -> None:
    text = observed["sign_message"]["message"]
    message = ReferenceMessage.from_message(text)
    assert message.prepare_message() == text
    assert (message.domain, message.uri, message.chain_id) == ("app.example.com", "https://app.example.com", 1)
    assert message.statement == "Sign in to the example app."
    assert re.fullmatch(r"[0-9a-f]{40}", message.nonce)
    # Expiration Time: the nonce's (AUTH_NONCE_TTL, 300 s), within AUTH_MAX_MESSAGE_LIFETIME
    issued = datetime.fromisoformat(str(message.issued_at))
    expires = datetime.fromisoformat(str(message.expiration_time))
    assert (expires - issued).total_seconds() == 300


def test_embedded_wallet(case: dict[str, Any]) -> None:
    # AppKit's email/social wallets get the message with a placeholder for the address, which they fill in
    assert case == {"placeholderLine": "<<AccountAddress>>", "signedIn": True, "accounts": 1}


def test_appkit_siwe(case: dict[str, Any]) -> None:
    # the legacy adapter through the real createSIWEConfig, mapped to SIWX by AppKit 1.8.24's controllers
    assert case["session"] == {"address": True, "chainId": 1}
    assert case["sessions"] == ["eip155:1"]
    # @reown/appkit-siwe 1.8.23 brings its own @reown/appkit-controllers 1.8.23: its signOut() finds no SIWX in
    # that copy, answers false and signs nothing out; AppKit's own disconnect (clearSessions) does sign out
    assert case["clientSignOut"] == [False, True]
    assert (case["sessionGone"], case["revoked"], case["after"]) == (True, 401, 0)


def test_appkit_siwe_one_copy(case: dict[str, Any]) -> None:
    # with the controllers appkit-siwe imports (one copy, every @reown package at 1.8.23) signOut() works
    assert case == {
        "session": {"address": True, "chainId": 1},
        "sessions": ["eip155:1"],
        "signedOut": True,
        "sessionGone": True,
        "revoked": 401,
        "after": 0,
    }


def test_client_batches(case: dict[str, Any]) -> None:
    # two signed messages handed to setSessions: one POST /auth/verify, one session of both chains
    assert case["requests"] == ["POST /auth/verify"]
    assert case["accounts"] == CHAINS
    assert case["removed"] == 1  # the address in lower case: the session's account all the same
    assert case["removedAgain"] == "404 unknown_account"
    assert case["last"] == "400 last_account"
    assert case["otherAddress"] == "400 invalid_batch"
    assert (case["added"], case["refreshed"], case["me"]) == (2, 2, 2)
    # the session revoked elsewhere: adding a chain to it gives way to a new session on that chain
    assert case["endedElsewhere"] == {"logout": 204, "accounts": ["8453"]}


def test_readme_wiring(case: dict[str, Any]) -> None:
    assert case["me"] == {"address": True, "accounts": 1}
    assert case["signedOut"] is True
    assert case["message"].startswith("app.example.com wants you to sign in with your Ethereum account:\n")
    assert "\nURI: https://app.example.com\n" in case["message"]

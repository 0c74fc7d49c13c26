"""Interop with the JavaScript side: siwe v3 and viem messages, ethers v6 and viem signatures, jose validating
tokens against the JWKS, the client, the RainbowKit and AppKit adapters, and the README's RainbowKit wiring (AppKit's
under AppKit's own code: test_appkit.py).

One web3-auth (`python -m app`) for the module; clients/js/test/interop.mjs and examples.mjs run against it,
concurrently, each in one node process that prints what it observed. The expectations are here.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.interop.node import results, start_node
from tests.support.process import serving

SETTINGS = {
    "AUTH_DOMAINS": "localhost:8000,app.example.com",
    "AUTH_CHAIN_IDS": "1,8453",
    "AUTH_ISSUER": "https://auth.example.com",
    "AUTH_RATE_LIMIT_IP": "100000/minute",
    "AUTH_RATE_LIMIT_ADDRESS": "100000/minute",
}


@pytest.fixture(scope="module")
def observed() -> Iterator[dict[str, dict[str, Any]]]:
    with (
        serving(**SETTINGS) as base_url,
        start_node("interop.mjs", base_url) as interop,
        start_node("examples.mjs", base_url) as examples,
    ):
        yield {**results(interop), "examples": results(examples)}


@pytest.fixture
def case(observed: dict[str, dict[str, Any]], request: pytest.FixtureRequest) -> dict[str, Any]:
    """What the node case named after the test observed."""
    name = request.node.originalname.removeprefix("test_")
    facts = observed[name]
    assert "crashed" not in facts, facts.get("crashed")
    return facts


@pytest.mark.parametrize("builder", ["siwe", "viem"])
@pytest.mark.parametrize("signer", ["ethers", "viem"])
def test_library_messages_around_a_server_nonce(observed: dict[str, Any], builder: str, signer: str) -> None:
    facts = observed[f"{builder}_message_{signer}_signature"]
    assert facts == {"status": 200, "signedInAs": True, "chainId": 8453}


def test_without_statement(case: dict[str, Any]) -> None:
    # both libraries write the statement-less form of the ABNF (three line feeds after the address)
    assert case == {"siwe": 200, "viem": 200}


def test_open_nonce_messages(case: dict[str, Any]) -> None:
    # around a nonce issued before the address, siwe v3 and viem write the message (one, then one per chain)
    signed_in = {"single": 200, "singleAccounts": True, "batch": 200, "batchAccounts": True}
    assert case == {"siwe": signed_in, "viem": signed_in}


def test_service_message_read_by_libraries(case: dict[str, Any]) -> None:
    assert case == {
        "siweReserialised": True,
        "siwe": {"nonce": True, "address": True, "chainId": 1},
        "viem": {"nonce": True, "address": True, "chainId": 1},
        "siweVerifies": True,
    }


def test_refusals(case: dict[str, Any]) -> None:
    assert case == {
        "made_up_nonce": [401, "invalid_nonce"],
        "other_domain": [401, "domain_not_allowed"],
        "other_chain": [401, "invalid_nonce"],  # the nonce was issued for chain 1
        "unlisted_chain": [401, "chain_not_allowed"],
        "other_signer": [401, "invalid_signature"],
        "finally_accepted": 200,
        "replayed": "invalid_nonce",
    }


def test_jose(case: dict[str, Any]) -> None:
    assert case == {
        "subject": True,
        "chainId": 8453,
        "hasSessionId": True,
        "alg": "ES256",
        "forgedSignature": "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "otherAudience": "ERR_JWT_CLAIM_VALIDATION_FAILED",
        "otherIssuer": "ERR_JWT_CLAIM_VALIDATION_FAILED",
    }


def test_client_flow(case: dict[str, Any]) -> None:
    assert case == {
        "address": True,
        "chainId": 8453,  # the wallet's chain
        "expiresInSeconds": 900,
        "me": True,
        "newAccessToken": True,
        "meAfterRefresh": True,
        "oldTokenStillValid": 200,  # a refresh does not revoke the access tokens already out
        "revokedStatus": 401,
        "afterSignOut": "not_signed_in",
        "changes": ["in", "in", "out"],
    }


def test_client_signs_in_again(case: dict[str, Any]) -> None:
    assert case == {"first": 401, "second": 200, "afterSignOut": 401}  # the replaced session is revoked


def test_client_refresh_answered_after_sign_in(case: dict[str, Any]) -> None:
    assert case == {
        "refresh": "0 superseded",  # the answer for the replaced session is not taken
        "session": True,  # the new sign-in (another account) stays
        "second": 200,
        "rotated": 401,  # the tokens that refresh brought are revoked
        "refreshedAfter": True,
    }


def test_client_refresh_refused_after_sign_in(case: dict[str, Any]) -> None:
    assert case == {"refused": 401, "refresh": "401 invalid_grant", "signedIn": True, "second": 200}


def test_client_sign_out_during_sign_in(case: dict[str, Any]) -> None:
    assert case == {
        "signIn": "0 superseded",
        "signOut": "resolved",
        "session": None,  # the sign-in under way does not bring the session back
        "issued": 401,  # and the session it opened is revoked
        "changes": [],
    }


def test_client_sign_out_during_refresh(case: dict[str, Any]) -> None:
    assert case == {"refresh": "0 superseded", "signOut": "resolved", "session": None, "rotated": 401}


def test_client_sign_out_retries_revocation(case: dict[str, Any]) -> None:
    assert case == {
        "failed": "503 store_unavailable",  # signOut() says the revocation failed
        "afterFailure": {"session": None, "first": 200, "second": 200},  # signed out here, not yet at the service
        "retried": "resolved",
        "first": 401,  # the session replaced by the second sign-in, whose background revocation had failed
        "second": 401,
        "again": "resolved",
        "changes": ["in", "in", "out"],
    }


def test_shared_client_retries_revocation(case: dict[str, Any]) -> None:
    assert case == {
        "failed": "503 store_unavailable",
        "retried": "resolved",
        "first": 401,  # the replaced shared client's session too
        "second": 401,
        "session": None,
    }


def test_client_refreshes_before_expiry(case: dict[str, Any]) -> None:
    assert case == {"refreshed": True, "sameAddress": True}


def test_client_retries_once_after_401(case: dict[str, Any]) -> None:
    assert case == {
        "fresh": 200,
        "retried": [200, 200],
        "refreshes": 1,  # two calls refused at once share one refresh
        "requests": 5,  # the fresh call, two refused, two retried
        "distinctTokens": 2,
        "posted": ["42 {}", "42 {}"],  # a Request keeps its headers and body when tried again
    }


def test_client_refusals(case: dict[str, Any]) -> None:
    assert case == {
        "noAccount": "0 no_account",
        "otherKeySigns": "401 invalid_signature",
        "unlistedChain": "400 chain_not_allowed",
        "unlistedDomain": "400 domain_not_allowed",
        "notSignedIn": "0 not_signed_in",
        "refreshSignedOut": "0 not_signed_in",
        "noServer": "0 unreachable",
        "session": None,
    }


def test_rainbowkit_adapter(case: dict[str, Any]) -> None:
    assert case == {
        "builtByViem": True,
        "forged": False,
        "verified": True,
        "me": 8453,
        "signedOut": True,
        "legacy": {"verified": True, "statement": "Welcome back."},
        "unknownNonce": "web3-auth: createMessage with a nonce getNonce did not issue",
    }


def test_adapters_report_service_failures(case: dict[str, Any]) -> None:
    assert case == {
        "rateLimited": "429 rate_limited",  # thrown, not `false` (a refused signature)
        "unavailable": "503 store_unavailable",
        "verified": "true",
        "signOutFailed": "503 store_unavailable",  # RainbowKit's signOut rejects
        "stillValid": 200,
        "signOutRetried": "resolved",
        "revoked": 401,
        "appkitSignOut": [False, True],  # AppKit's answers whether it signed out
        "appkitRevoked": 401,
    }


def test_appkit_adapter_other_chain(case: dict[str, Any]) -> None:
    assert case == {"verified": True, "messageChainId": 8453, "sessionChainId": 8453}


def test_appkit_adapter(case: dict[str, Any]) -> None:
    assert case == {
        "params": {
            "domain": "app.example.com",
            "uri": "https://app.example.com",
            "chains": [1, 8453],
            "statement": "Sign in with Ethereum.",
        },
        "before": None,
        "verified": True,
        "session": {"address": True, "chainId": 1},
        "signedOut": True,
        "after": None,
        "replay": False,
    }


def test_readme_rainbowkit_wiring(observed: dict[str, Any]) -> None:
    facts = observed["examples"]["rainbowkit"]
    assert facts["verified"] is True
    assert facts["statuses"] == ["unauthenticated", "authenticated", "unauthenticated"]
    address = facts["address"]
    assert facts["me"] == {"address": True, "chainId": 8453, "accounts": [f"eip155:8453:{address}"]}
    assert facts["calls"] == [
        ["/auth/nonce", {"domain": "app.example.com"}],  # no address: RainbowKit has not named one yet
        ["/auth/verify", ["message", "signature"]],
        ["/auth/me", []],
        ["/auth/logout", ["refresh_token"]],  # on wagmi's disconnect
    ]
    assert facts["signedOutAtOnce"] is True
    assert facts["afterDisconnect"] == 401  # the access token held before the disconnect: revoked


def test_readme_rainbowkit_message_is_the_nonce_answer(observed: dict[str, Any]) -> None:
    facts = observed["examples"]["rainbowkit"]
    nonce, address = facts["nonce"], facts["address"]
    assert facts["message"] == (
        f"app.example.com wants you to sign in with your Ethereum account:\n{address}\n\n"
        f"{nonce['statement']}\n\nURI: {nonce['uri']}\nVersion: 1\nChain ID: 8453\nNonce: {nonce['nonce']}\n"
        f"Issued At: {nonce['issued_at']}\nExpiration Time: {nonce['expiration_time']}"
    )
    assert (nonce["domain"], nonce["uri"]) == ("app.example.com", "https://app.example.com")
    assert facts["fields"] == {
        "nonce": True,
        "address": True,
        "chainId": 8453,
        "issuedAt": nonce["issued_at"],
        "expirationTime": nonce["expiration_time"],
    }

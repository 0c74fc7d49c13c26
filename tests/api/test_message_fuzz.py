"""Mutated EIP-4361 messages, signed by the right key, sent to /auth/verify: never a 5xx, never a crash.

Each mutant is a valid issued message with lines swapped, dropped or duplicated, tags re-cased, CR, Unicode
line separators, NUL or bidi controls inserted, values replaced by oversized or impossible ones: every kind at
least once on its own (tests.support.mutations forces one mutant per kind before the random ones), and every
line separator and bidi control character at least once; the test checks that each occurred. The answer
must be 400 invalid_message, or one of verify's documented 401s; a 200 only for a mutant that is still a
valid EIP-4361 message (by the reference parser) about an outstanding nonce; and always 400 for a mutant made
only of edits no message survives (NEVER_A_MESSAGE). Parsing stays linear: no mutant takes more than a
generous bound (a super-linear pattern would take seconds on these sizes).
"""

import time

import httpx
from eth_account.signers.local import LocalAccount
from siwe import SiweMessage as ReferenceMessage

from app.domain.messages import parse_message
from app.errors import InvalidMessage
from tests.support.app import signed_challenge
from tests.support.mutations import BIDI_CONTROLS, KINDS, LINE_SEPARATORS, labelled_mutants
from tests.support.wallets import sign

DOCUMENTED_401 = {
    "domain_not_allowed",
    "chain_not_allowed",
    "uri_not_allowed",
    "expired_message",
    "not_yet_valid",
    "invalid_nonce",
    "invalid_signature",
}
MUTANTS = 300
# Edits no EIP-4361 message survives: whatever else a mutant made of these alone is, it is not a message.
NEVER_A_MESSAGE = {
    "re-case a tag",
    "insert CR",
    "insert a line separator",
    "insert NUL",
    "insert a bidi control",
    "impossible date",
}
PARSE_BOUND_SECONDS = 0.05


def reference_accepts(text: str) -> bool:
    try:
        message = ReferenceMessage.from_message(text)
    except Exception:  # the reference raises ValueError, pydantic and abnf errors alike
        return False
    return message.prepare_message() == text


async def test_mutated_messages_get_a_clear_4xx(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    seeds = [(await signed_challenge(client, wallet, resources=["https://example.com/a"]))["message"] for _ in range(4)]
    outcomes: dict[str, int] = {}
    kinds: set[str] = set()
    characters: set[str] = set()
    for mutant in labelled_mutants(seeds, MUTANTS, seed=4361):
        text = mutant.text
        kinds.update(mutant.kinds)
        characters.update(char for char in LINE_SEPARATORS + BIDI_CONTROLS if char in text)
        started = time.perf_counter()
        try:
            parse_message(text)
        except InvalidMessage:
            pass
        assert time.perf_counter() - started < PARSE_BOUND_SECONDS, repr(text[:200])

        response = await client.post("/auth/verify", json={"message": text, "signature": sign(wallet, text)})
        body = response.json()
        if response.status_code == 200:
            assert reference_accepts(text), repr(text)
            outcome = "ok"
        elif response.status_code == 400:
            assert body == {"error": "invalid_message", "detail": body["detail"]}
            outcome = body["error"]
        else:
            assert response.status_code == 401, (response.status_code, body)
            assert body["error"] in DOCUMENTED_401, body
            assert set(body) == {"error", "detail"}
            outcome = body["error"]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if set(mutant.kinds) <= NEVER_A_MESSAGE:
            assert outcome == "invalid_message", (mutant.kinds, repr(text[:300]), body)
    assert outcomes.get("invalid_message", 0) > MUTANTS // 2  # most mutants break the grammar
    assert outcomes.get("uri_not_allowed", 0) > 0  # URIs replaced by another scheme or authority
    assert kinds == set(KINDS)
    assert characters == set(LINE_SEPARATORS + BIDI_CONTROLS)
    assert len(LINE_SEPARATORS) == 5  # U+2028, U+2029, NEL (U+0085), VT, FF
    assert len(BIDI_CONTROLS) == 9  # U+202A-U+202E, U+2066-U+2069

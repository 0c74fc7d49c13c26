"""Mutated EIP-4361 messages, signed by the right key, sent to /auth/verify: never a 5xx, never a crash.

Each mutant is a valid issued message with lines swapped, dropped or duplicated, tags re-cased, CR, Unicode
line separators, NUL or bidi controls inserted, values replaced by oversized or impossible ones. The answer
must be 400 invalid_message, or one of verify's documented 401s; a 200 only for a mutant that is still a
valid EIP-4361 message (by the reference parser) about an outstanding nonce. Parsing stays linear: no mutant
takes more than a generous bound (a super-linear pattern would take seconds on these sizes).
"""

import time

import httpx
from eth_account.signers.local import LocalAccount
from siwe import SiweMessage as ReferenceMessage

from app.domain.messages import parse_message
from app.errors import InvalidMessage
from tests.support.app import signed_challenge
from tests.support.mutations import mutants
from tests.support.wallets import sign

DOCUMENTED_401 = {
    "domain_not_allowed",
    "chain_not_allowed",
    "expired_message",
    "not_yet_valid",
    "invalid_nonce",
    "invalid_signature",
}
MUTANTS = 300
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
    for text in mutants(seeds, MUTANTS, seed=4361):
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
    assert outcomes.get("invalid_message", 0) > MUTANTS // 2  # most mutants break the grammar

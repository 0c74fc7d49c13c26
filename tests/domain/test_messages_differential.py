"""Our parser against the reference: the `siwe` package's ABNF parser (signinwithethereum).

The reference accepts a text when SiweMessage.from_message succeeds without warnings and re-serialising
gives the text back (the issue's definition of valid: strictly by the ABNF, one meaning, one text). Both
parsers must agree on accept/refuse and, when they accept, on every field. Where we are deliberately
stricter, the case is named below with its reason.
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from siwe import SiweMessage as ReferenceMessage

from app.domain.messages import MAX_MESSAGE_BYTES, format_message, parse_message
from app.errors import InvalidMessage
from tests.support.mutations import mutants

VECTORS = Path(__file__).parents[1] / "conformance" / "siwe-ts"
FULL_MESSAGE = """https://example.com:8443 wants you to sign in with your Ethereum account:
0xe5A12547fe4E872D192E3eCecb76F2Ce1aeA4946

I accept the ExampleOrg Terms of Service: https://example.com/tos?a=1&b='2'

URI: https://user:pw@[2001:db8::1]:8443/login;x=y?next=%2F#frag/?
Version: 1
Chain ID: 137
Nonce: 32891756abcdefAB
Issued At: 2021-09-30T16:25:24.123456Z
Expiration Time: 2021-09-30T18:25:24+02:00
Not Before: 2021-09-30T16:25:24Z
Request ID: some_id~-._!$&'()*+,;=:@%20
Resources:
- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
- https://example.com/my-web2-claim.json
- urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"""
MUTANTS = 800


def seed_messages() -> list[str]:
    positives = json.loads((VECTORS / "parsing_positive.json").read_text())
    return [case["message"] for case in positives.values()] + [FULL_MESSAGE]


def ours(text: str) -> dict[str, Any] | None:
    try:
        message = parse_message(text)
    except InvalidMessage:
        return None
    return {
        "scheme": message.scheme,
        "domain": message.domain,
        "address": message.address,
        "statement": message.statement,
        "uri": message.uri,
        "version": message.version,
        "chain_id": message.chain_id,
        "nonce": message.nonce,
        "issued_at": message.issued_at,
        "expiration_time": message.expiration_time,
        "not_before": message.not_before,
        "request_id": message.request_id,
        "resources": None if message.resources is None else list(message.resources),
    }


# A timestamp line whose UTC offset has a minute of 60 or more (STRICTER, below), as mutants write them.
OFFSET_MINUTE_OVER_59 = re.compile(r"^(?:Issued At|Expiration Time|Not Before): .*[+-]\d\d:[6-9]\d$", re.MULTILINE)


def reference(text: str) -> dict[str, Any] | None:
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        return None  # our size limit (EIP-4361 §Security, "Maximum Lengths"): not in the ABNF, so named here
    if OFFSET_MINUTE_OVER_59.search(text):
        return None  # RFC 3339 time-minute is 00-59; the reference reads +00:60 as an hour (STRICTER, below)
    try:
        message = ReferenceMessage.from_message(text)
    except Exception:  # the reference raises ValueError, pydantic errors and abnf errors alike
        return None
    if message.warnings or message.prepare_message() != text:
        return None

    def optional(value: object) -> str | None:
        return None if value is None else str(value)

    return {
        "scheme": message.scheme,
        "domain": message.domain,
        "address": message.address,
        "statement": message.statement,
        "uri": str(message.uri),
        "version": str(message.version),
        "chain_id": message.chain_id,
        "nonce": message.nonce,
        "issued_at": str(message.issued_at),
        "expiration_time": optional(message.expiration_time),
        "not_before": optional(message.not_before),
        "request_id": message.request_id,
        "resources": None if message.resources is None else [str(uri) for uri in message.resources],
    }


def test_the_full_seed_message_is_valid() -> None:
    assert ours(FULL_MESSAGE) is not None
    assert ours(FULL_MESSAGE) == reference(FULL_MESSAGE)


@pytest.mark.parametrize(
    "text",
    seed_messages() + list(json.loads((VECTORS / "parsing_negative.json").read_text()).values()),
)
def test_both_parsers_agree_on_the_conformance_vectors(text: str) -> None:
    assert ours(text) == reference(text)


def test_both_parsers_agree_on_mutated_messages() -> None:
    disagreements = []
    accepted = 0
    for text in mutants(seed_messages(), MUTANTS, seed=4361):
        mine, theirs = ours(text), reference(text)
        accepted += mine is not None
        if mine != theirs:
            disagreements.append((text, mine, theirs))
    assert disagreements == []
    assert accepted > MUTANTS // 50  # the mutants reach acceptance often enough to compare fields


def test_our_serialiser_writes_what_the_reference_writes() -> None:
    for text in seed_messages():
        parsed = parse_message(text)
        assert format_message(parsed) == ReferenceMessage.from_message(text).prepare_message() == text


# Deliberate differences: texts the reference accepts and we refuse (and messages over 8 KiB, above).
STRICTER = {
    "lower-case t separator (RFC 3339 allows it; every SIWE library prints T; the reference takes t but not z)": (
        FULL_MESSAGE.replace("2021-09-30T16:25:24Z", "2021-09-30t16:25:24Z")
    ),
    "offset minute 60 (RFC 3339 time-minute is 00-59; the reference reads +00:60 as one hour)": (
        FULL_MESSAGE.replace("18:25:24+02:00", "18:25:24+00:60")
    ),
    "over 8 KiB (EIP-4361 asks verifiers to bound term lengths; the ABNF has no bound)": FULL_MESSAGE.replace(
        "Nonce: 32891756abcdefAB", "Nonce: " + "a" * MAX_MESSAGE_BYTES
    ),
    "all-lower-case address (not EIP-55; the reference only warns)": FULL_MESSAGE.replace(
        "0xe5A12547fe4E872D192E3eCecb76F2Ce1aeA4946", "0xe5a12547fe4e872d192e3ececb76f2ce1aea4946"
    ),
}


@pytest.mark.parametrize("case", STRICTER)
def test_where_we_are_stricter_than_the_reference(case: str) -> None:
    text = STRICTER[case]
    ReferenceMessage.from_message(text)  # parses (the address case with a warning)
    assert ours(text) is None

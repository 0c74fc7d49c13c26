"""Every EIP-4361 vector of the reference SIWE libraries (tests/conformance, copied from ../shared/conformance).

Verification vectors run through the real sign-in use case (sign_in with a memory store holding the
vector's nonce), at the vector's `time`, else its Issued At, as the reference TypeScript suite does.
"""

import json
import math
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from siwe import SiweMessage as ReferenceMessage

from app.config import Settings
from app.domain.keys import generate_key_set
from app.domain.messages import SiweMessage, format_message, parse_message
from app.domain.signin import SignInContext, sign_in
from app.domain.tokens import TokenPolicy, TokenService
from app.errors import (
    AuthError,
    DomainNotAllowed,
    ExpiredMessage,
    InvalidMessage,
    InvalidNonce,
    InvalidSignature,
    NotYetValid,
    UriNotAllowed,
)
from app.policies import Policies
from app.stores.base import Challenge
from app.stores.memory import MemoryStore
from tests.support.budget import Unlimited, eoa_only

VECTORS = Path(__file__).parents[1] / "conformance" / "siwe-ts"
# The vectors' source of truth, beside this checkout (`../shared/conformance`); tests/conformance is its copy.
SHARED = Path(__file__).parents[3] / "shared" / "conformance"
FIELD_NAMES = {
    "scheme": "scheme",
    "domain": "domain",
    "address": "address",
    "statement": "statement",
    "uri": "uri",
    "version": "version",
    "chainId": "chain_id",
    "nonce": "nonce",
    "issuedAt": "issued_at",
    "expirationTime": "expiration_time",
    "notBefore": "not_before",
    "requestId": "request_id",
    "resources": "resources",
}


def load(name: str) -> dict[str, Any]:
    cases: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return cases


def message_fields(case: dict[str, Any]) -> dict[str, Any]:
    """The vector's message fields in our names; `null` means absent, as in the TS suite."""
    return {FIELD_NAMES[key]: value for key, value in case.items() if key in FIELD_NAMES and value is not None}


def params(name: str) -> list[Any]:
    """The cases of a vector file as pytest parameters, named by their case names."""
    return [pytest.param(case, id=case_name) for case_name, case in load(name).items()]


def message_of(fields: dict[str, Any]) -> SiweMessage:
    resources = fields.get("resources")
    return SiweMessage(**{**fields, "resources": None if resources is None else tuple(resources)})


def fields_of(message: SiweMessage) -> dict[str, Any]:
    fields = {name: getattr(message, name) for name in FIELD_NAMES.values()}
    if message.resources is not None:
        fields["resources"] = list(message.resources)
    return {name: value for name, value in fields.items() if value is not None}


def relative_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def drift(ours: Path, shared: Path) -> list[str]:
    """How the copy `ours` differs from `shared`: files only in one of them, and files whose bytes differ."""
    our_files, shared_files = set(relative_files(ours)), set(relative_files(shared))
    return (
        [f"only in {ours}: {name}" for name in sorted(our_files - shared_files)]
        + [f"only in {shared}: {name}" for name in sorted(shared_files - our_files)]
        + [
            f"{name} differs"
            for name in sorted(our_files & shared_files)
            if (ours / name).read_bytes() != (shared / name).read_bytes()
        ]
    )


def test_the_vectors_are_the_shared_ones_byte_for_byte() -> None:
    """tests/conformance must equal ../shared/conformance file for file, byte for byte, whenever that directory
    exists; only a checkout with nothing beside it has nothing to compare."""
    if not SHARED.exists():
        pytest.skip(
            f"no shared vectors to compare: {SHARED} does not exist (this checkout is not beside the shared "
            f"workspace); the suite runs on its copy in {VECTORS.parent}"
        )
    assert SHARED.is_dir(), f"{SHARED} exists but is not a directory"
    assert drift(VECTORS.parent, SHARED) == []


def test_the_drift_check_sees_a_changed_byte_a_missing_file_and_an_extra_one(tmp_path: Path) -> None:
    ours, shared = tmp_path / "ours", tmp_path / "shared"
    shutil.copytree(VECTORS.parent, ours)
    shutil.copytree(VECTORS.parent, shared)
    assert drift(ours, shared) == []
    changed = ours / "siwe-ts" / "parsing_positive.json"
    changed.write_bytes(changed.read_bytes().replace(b"2021", b"2022", 1))
    (shared / "siwe-ts" / "parsing_warnings.json").write_text("{}")
    (ours / "README.md").unlink()
    assert drift(ours, shared) == [
        f"only in {shared}: README.md",
        f"only in {shared}: siwe-ts/parsing_warnings.json",
        "siwe-ts/parsing_positive.json differs",
    ]


@pytest.mark.parametrize("case", params("parsing_positive.json"))
def test_positive_messages_parse_to_their_fields_and_the_fields_rebuild_the_text(case: dict[str, Any]) -> None:
    expected = message_fields(case["fields"])
    assert fields_of(parse_message(case["message"])) == expected
    assert format_message(message_of(expected)) == case["message"]


@pytest.mark.parametrize("text", params("parsing_negative.json"))
def test_negative_messages_are_refused(text: str) -> None:
    with pytest.raises(InvalidMessage):
        parse_message(text)


@pytest.mark.parametrize(("name", "case"), load("parsing_negative_objects.json").items())
def test_negative_objects_cannot_be_built(name: str, case: dict) -> None:
    fields = message_fields(case)
    if name.startswith("missing "):
        missing = FIELD_NAMES[name.removeprefix("missing ")]
        assert missing not in fields
        with pytest.raises(TypeError, match=f"missing 1 required keyword-only argument: '{missing}'"):
            message_of(fields)
    else:
        with pytest.raises(InvalidMessage):
            message_of(fields)


def instant(text: str) -> float:
    """The instant of an RFC 3339 text; for the vectors' impossible dates (Feb 31), the present: parsing
    refuses those messages before any clock is read."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time()


# The vectors predate the URI and lifetime bounds; each runs under the settings a deployment that accepts it
# would need, and no looser ones. Tally signs in on www.tally.xyz for the URI https://tally.xyz, another
# authority: that deployment lists the origin in AUTH_URIS.
VECTOR_URIS = {"www.tally.xyz": ["https://tally.xyz"]}


def vector_lifetime(case: dict[str, Any]) -> int:
    """AUTH_MAX_MESSAGE_LIFETIME for a vector: the default, or its own lifetime when longer (most expire in 2100,
    decades after their Issued At)."""
    default = Settings.model_fields["max_message_lifetime"].default
    if case.get("expirationTime") is None:
        return int(default)
    return max(int(default), math.ceil(instant(case["expirationTime"]) - instant(case["issuedAt"])))


def vector_settings(case: dict[str, Any], *, exempt: bool = True) -> Settings:
    """Settings expecting the vector's domainBinding (or domain) and chain; with `exempt`, its AUTH_URIS entries
    (VECTOR_URIS) and lifetime (vector_lifetime) too."""
    exemptions = {"uris": VECTOR_URIS.get(case["domain"], []), "max_message_lifetime": vector_lifetime(case)}
    return Settings(
        domains=[case.get("domainBinding", case["domain"])], chain_ids=[case["chainId"]], **exemptions if exempt else {}
    )


async def verify_vector(case: dict[str, Any], *, exempt: bool = True) -> None:
    """Run sign_in on a vector: settings as vector_settings says, the store holds its matchNonce (or nonce),
    and the clock reads its `time` (or Issued At)."""
    # Serialised by the reference library without validation: some vectors carry impossible dates, which
    # our parser must refuse.
    text = ReferenceMessage.model_construct(**message_fields(case)).prepare_message()
    settings = vector_settings(case, exempt=exempt)
    store = MemoryStore()
    nonce = case.get("matchNonce", case["nonce"])
    now = instant(case.get("time", case["issuedAt"]))
    # as if this service had issued the nonce at the message's Issued At
    issued_at = instant(case["issuedAt"])
    issued = Challenge(
        nonce, case["address"], case["chainId"], case["domain"], issued_at, time.time() + 60, "test", text
    )
    await store.save_challenge(issued)
    tokens = TokenService(generate_key_set("ES256"), TokenPolicy("https://issuer", "aud", 900, settings.clock_skew))
    policies = Policies.from_settings(settings)
    context = SignInContext(store, tokens, policies.sign_in, policies.sessions, Unlimited(), eoa_only(), Unlimited())
    grant = await sign_in(context, message_text=text, signature=case["signature"], now=now)
    assert grant.address == case["address"]
    assert await store.find_challenge(case["address"], nonce) is None


# Where our policy is deliberately stricter than the reference libraries: the refusal we give instead of
# success, and why, which becomes part of the test id.
STRICTER: dict[str, tuple[type[AuthError], str]] = {
    "expired message": (
        ExpiredMessage,
        "Expiration Time 2021-01-05 is before Issued At 2022-01-05, an empty validity window, and it is "
        "verified at 2020-01-05, before it was issued; the reference libraries check only Expiration Time "
        "and Not Before",
    ),
}


def positive_verification_params() -> list[Any]:
    """The positive verification vectors, each with the refusal we give instead (None: we accept it too); a
    deliberate difference carries its reason in its id."""
    cases = []
    for name, case in load("verification_positive.json").items():
        if name in STRICTER:
            refusal, why = STRICTER[name]
            cases.append(pytest.param(case, refusal, id=f"{name} [stricter: {why}]"))
        else:
            cases.append(pytest.param(case, None, id=name))
    return cases


@pytest.mark.parametrize(("case", "refusal"), positive_verification_params())
async def test_positive_verification_vectors_sign_in(case: dict[str, Any], refusal: type[AuthError] | None) -> None:
    if refusal is not None:
        with pytest.raises(refusal):
            await verify_vector(case)
        return
    await verify_vector(case)


@pytest.mark.parametrize(
    ("name", "refusal", "why"),
    [
        ("example message", ExpiredMessage, "AUTH_MAX_MESSAGE_LIFETIME"),  # expires in 2100
        ("recovery byte starting at 0", UriNotAllowed, "tally.xyz"),  # www.tally.xyz signing in for https://tally.xyz
    ],
)
async def test_without_their_settings_the_vectors_that_need_them_are_refused(
    name: str, refusal: type[AuthError], why: str
) -> None:
    """The exemptions are needed: the default policy refuses these vectors, for that reason."""
    with pytest.raises(refusal, match=why):
        await verify_vector(load("verification_positive.json")[name], exempt=False)


def test_every_deliberate_difference_names_a_positive_vector() -> None:
    assert set(STRICTER) <= set(load("verification_positive.json"))


NEGATIVE_OUTCOMES: dict[str, type[AuthError]] = {
    "expired message": ExpiredMessage,
    "domain binding": DomainNotAllowed,
    "custom time": ExpiredMessage,
    "custom nonce": InvalidNonce,
    "malformed signature": InvalidSignature,
    "wrong signature": InvalidSignature,
    "not yet valid": NotYetValid,
    "invalid issuedAt": InvalidMessage,
    "invalid notBefore": InvalidMessage,
    "invalid expirationTime": InvalidMessage,
}


@pytest.mark.parametrize(("name", "case"), load("verification_negative.json").items())
async def test_negative_verification_vectors_are_refused_for_their_reason(name: str, case: dict) -> None:
    with pytest.raises(NEGATIVE_OUTCOMES[name]):
        await verify_vector(case)


def test_every_negative_verification_vector_has_an_expected_outcome() -> None:
    assert set(load("verification_negative.json")) == set(NEGATIVE_OUTCOMES)


@pytest.mark.parametrize("case", params("eip1271.json"))
async def test_contract_wallet_vectors_are_refused_without_an_rpc_node(case: dict[str, Any]) -> None:
    """EIP-1271 needs `isValidSignature` on Ethereum mainnet; with EOA verification only, these contract
    wallets' signatures must be refused, never accepted by ecrecover."""
    message = parse_message(case["message"])
    address = message.address
    store = MemoryStore()
    issued_at = message.issued_at_seconds
    challenge = Challenge(
        message.nonce, address, 1, message.domain, issued_at, time.time() + 60, "test", case["message"]
    )
    await store.save_challenge(challenge)
    policies = Policies.from_settings(Settings(domains=[message.domain]))
    tokens = TokenService(generate_key_set("ES256"), TokenPolicy("https://issuer", "aud", 900, 60))
    with pytest.raises(InvalidSignature, match="AUTH_RPC_URLS"):
        await sign_in(
            SignInContext(store, tokens, policies.sign_in, policies.sessions, Unlimited(), eoa_only(), Unlimited()),
            message_text=case["message"],
            signature=case["signature"],
            now=issued_at,
        )
    assert await store.find_challenge(address, message.nonce) is not None  # a failed attempt burns nothing


@pytest.mark.parametrize("name", load("eip1271.json"))
def test_contract_wallet_vectors_verify_through_eip1271(name: str) -> None:
    pytest.skip(
        f"{name}: the wallet contract lives on Ethereum mainnet; verifying needs mainnet state (a mainnet node or "
        "a fork of it), which this offline suite has not. tests/chain runs EIP-1271 against wallets it deploys."
    )

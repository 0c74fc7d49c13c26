"""CACAOs to EIP-4361 text: the text for each shape of payload, and each refusal with its detail (the texts
themselves are checked against WalletConnect's formatMessage in tests/interop/test_cacao_interop.py)."""

import base64
import copy
import json
from typing import Any

import pytest

from app.domain.cacao import cacao_message
from app.domain.messages import parse_message
from app.domain.recaps import PREAMBLE
from app.errors import InvalidMessage

ADDRESS = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
CACAO: dict[str, Any] = {
    "h": {"t": "caip122"},
    "p": {
        "iss": f"did:pkh:eip155:8453:{ADDRESS}",
        "domain": "app.example.com",
        "aud": "https://app.example.com/login",
        "version": "1",
        "nonce": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
        "iat": "2026-12-07T20:00:00.000Z",
    },
    "s": {"t": "eip191", "s": "0x" + "ab" * 65},
}
TEXT = f"""app.example.com wants you to sign in with your Ethereum account:
{ADDRESS}


URI: https://app.example.com/login
Version: 1
Chain ID: 8453
Nonce: 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567
Issued At: 2026-12-07T20:00:00.000Z"""


def recap_uri(document: object) -> str:
    return "urn:recap:" + base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


RECAP = recap_uri({"att": {"eip155": {"request/personal_sign": [{"chains": ["eip155:8453"]}]}}})
SENTENCE = f"{PREAMBLE} (1) 'request': 'personal_sign' for 'eip155'."


def with_payload(**fields: Any) -> dict[str, Any]:
    cacao = copy.deepcopy(CACAO)
    for name, value in fields.items():
        if value is ...:
            del cacao["p"][name]
        else:
            cacao["p"][name] = value
    return cacao


def test_the_minimal_cacao() -> None:
    assert cacao_message(CACAO) == (TEXT, "0x" + "ab" * 65)
    assert parse_message(TEXT).chain_id == 8453


def test_every_optional_field_in_formatmessage_s_order() -> None:
    cacao = with_payload(
        statement="Sign in.", exp="2026-12-07T20:05:00Z", nbf="2026-12-07T19:59:00Z", requestId="42",
        resources=["https://example.com/terms", RECAP], uri="https://ignored.example",
    )  # fmt: skip
    text, _ = cacao_message(cacao)
    assert text == TEXT.replace("\n\n\nURI", f"\n\nSign in. {SENTENCE}\n\nURI") + (
        "\nExpiration Time: 2026-12-07T20:05:00Z\nNot Before: 2026-12-07T19:59:00Z\nRequest ID: 42"
        f"\nResources:\n- https://example.com/terms\n- {RECAP}"
    )
    assert parse_message(text).resources == ("https://example.com/terms", RECAP)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        pytest.param({"statement": ""}, TEXT, id="an empty statement is none"),
        pytest.param({"statement": None, "exp": None, "resources": None}, TEXT, id="nulls are absent"),
        pytest.param({"exp": "", "nbf": "", "requestId": ""}, TEXT, id="empty optionals are left out"),
        pytest.param({"resources": []}, TEXT + "\nResources:", id="an empty resources list still writes the tag"),
        pytest.param(
            {"resources": [RECAP]}, TEXT.replace("\n\n\n", f"\n\n{SENTENCE}\n\n") + f"\nResources:\n- {RECAP}"
        ),
        pytest.param(
            {"statement": f"Hi. {SENTENCE}", "resources": [RECAP]},
            TEXT.replace("\n\n\n", f"\n\nHi. {SENTENCE}\n\n") + f"\nResources:\n- {RECAP}",
            id="a statement with the sentence already is kept",
        ),
        pytest.param(
            {"statement": f"{PREAMBLE} (1) 'x': 'y' for 'z:1'.", "resources": [RECAP]},
            TEXT.replace("\n\n\n", f"\n\n{PREAMBLE} (1) 'x': 'y' for 'z:1'.\n\n") + f"\nResources:\n- {RECAP}",
            id="...whatever it says",
        ),
        pytest.param(
            {"resources": [RECAP, "https://example.com/terms"]},
            TEXT + f"\nResources:\n- {RECAP}\n- https://example.com/terms",
            id="a recap not last is no recap to formatMessage",
        ),
        pytest.param(
            {"iss": f"did:pkh:eip155:1:{ADDRESS.lower()}"},
            TEXT.replace(ADDRESS, ADDRESS.lower()).replace("Chain ID: 8453", "Chain ID: 1"),
            id="the address as iss writes it",
        ),
        pytest.param({"iss": f"did:pkh:eip155:01:{ADDRESS}"}, TEXT.replace("8453", "01"), id="the chain id as written"),
    ],
)
def test_the_text_formatmessage_writes(fields: dict[str, Any], text: str) -> None:
    assert cacao_message(with_payload(**fields))[0] == text


def test_eip1271_signatures_are_passed_on() -> None:
    cacao = copy.deepcopy(CACAO)
    cacao["s"] = {"t": "eip1271", "s": "0x1234", "m": "ignored"}
    assert cacao_message(cacao) == (TEXT, "0x1234")


def _with(path: str, value: Any) -> dict[str, Any]:
    cacao = copy.deepcopy(CACAO)
    *parents, last = path.split(".")
    target = cacao
    for parent in parents:
        target = target[parent]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return cacao


@pytest.mark.parametrize(
    ("cacao", "detail"),
    [
        pytest.param([], "must have an object 'h'", id="not an object"),
        pytest.param(_with("h", ...), "must have an object 'h'", id="no h"),
        pytest.param(_with("h", "caip122"), "must have an object 'h'", id="h a string"),
        pytest.param(_with("h.t", "eip4361"), "h.t must be 'caip122'", id="another h.t"),
        pytest.param(_with("h.t", ...), "h.t must be 'caip122'", id="no h.t"),
        pytest.param(_with("p", ...), "must have an object 'p'", id="no p"),
        pytest.param(_with("p", []), "must have an object 'p'", id="p a list"),
        pytest.param(_with("s", ...), "must have an object 's'", id="no s"),
        pytest.param(_with("s.t", "eip6492"), "s.t must be 'eip191' or 'eip1271'", id="another s.t"),
        pytest.param(_with("s.t", ...), "s.t must be 'eip191' or 'eip1271'", id="no s.t"),
        pytest.param(_with("s.s", ...), "s.s must be a string", id="no s.s"),
        pytest.param(_with("s.s", 12), "s.s must be a string", id="s.s a number"),
        pytest.param(_with("p.iss", ...), "p.iss must be did:pkh:eip155:", id="no iss"),
        pytest.param(_with("p.iss", 1), "p.iss must be did:pkh:eip155:", id="iss a number"),
        pytest.param(_with("p.iss", f"did:pkh:solana:1:{ADDRESS}"), "p.iss must be", id="another namespace"),
        pytest.param(_with("p.iss", f"did:pkh:eip155:0x1:{ADDRESS}"), "p.iss must be", id="a hex chain"),
        pytest.param(_with("p.iss", f"did:pkh:eip155::{ADDRESS}"), "p.iss must be", id="no chain"),
        pytest.param(_with("p.iss", f"did:pkh:eip155:{'1' * 33}:{ADDRESS}"), "p.iss must be", id="33 digits"),
        pytest.param(_with("p.iss", f"eip155:1:{ADDRESS}"), "p.iss must be", id="no did:pkh"),
        pytest.param(_with("p.iss", f"did:pkh:eip155:1:{ADDRESS[:-1]}"), "p.iss must be", id="a short address"),
        pytest.param(_with("p.iss", f"did:pkh:eip155:1:{ADDRESS}0"), "p.iss must be", id="a long address"),
        pytest.param(_with("p.iss", f"did:pkh:eip155:1:0X{ADDRESS[2:]}"), "p.iss must be", id="0X"),
        pytest.param(_with("p.iss", f"did:pkh:eip155:1:x:{ADDRESS}"), "p.iss must be", id="a segment more"),
        pytest.param(_with("p.iss", f"did:pkh:eip155:1:{ADDRESS}\n"), "p.iss must be", id="a trailing newline"),
        pytest.param(_with("p.domain", ...), "p.domain must be a non-empty string", id="no domain"),
        pytest.param(_with("p.aud", ...), "p.aud must be a non-empty string", id="no aud"),
        pytest.param(_with("p.aud", ""), "p.aud must be a non-empty string", id="empty aud"),
        pytest.param(_with("p.version", 1), "p.version must be a non-empty string", id="version a number"),
        pytest.param(_with("p.nonce", None), "p.nonce must be a non-empty string", id="null nonce"),
        pytest.param(_with("p.iat", 1765137600), "p.iat must be a non-empty string", id="iat a number"),
        pytest.param(_with("p.exp", 1765137600), "p.exp must be a string", id="exp a number"),
        pytest.param(_with("p.nbf", True), "p.nbf must be a string", id="nbf a boolean"),
        pytest.param(_with("p.requestId", 7), "p.requestId must be a string", id="requestId a number"),
        pytest.param(_with("p.statement", ["Hi"]), "p.statement must be a string", id="statement a list"),
        pytest.param(_with("p.statement", "a\nURI: x"), "p.statement may not hold a line break", id="a line break"),
        pytest.param(_with("p.nonce", "abc\rdef0"), "p.nonce may not hold a line break", id="a carriage return"),
        pytest.param(_with("p.resources", "https://x"), "p.resources must be a list of strings", id="a string"),
        pytest.param(_with("p.resources", [1]), "p.resources must be a list of strings", id="a number in it"),
        pytest.param(_with("p.resources", ["a:b\n- c:d"]), "p.resources may not hold a line break", id="break"),
        pytest.param(
            _with("p.resources", ["https://x/?u=urn:recap:e30"]), "other than as its scheme", id="recap not a scheme"
        ),
        pytest.param(_with("p.resources", ["urn:recap:e30="]), "unpadded", id="a padded recap"),
        pytest.param(_with("p.resources", ["urn:recap:e30"]), "has no att", id="a recap without att"),
        pytest.param(
            _with("p.resources", [recap_uri({"att": {"eip155": {"request/personal_sign": []}}})]),
            "empty caveat list",
            id="an empty caveat list (formatMessage throws)",
        ),
    ],
)
def test_refusals(cacao: Any, detail: str) -> None:
    with pytest.raises(InvalidMessage) as refused:
        cacao_message(cacao)
    assert detail in refused.value.detail

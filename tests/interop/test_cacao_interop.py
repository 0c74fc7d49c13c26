"""CACAOs from a wallet answering WalletConnect's one-click auth (clients/js/test/cacao.mjs: the real
@walletconnect/utils, real viem keys): `cacao_message` rebuilds, from the CACAO alone, the very text the wallet
signed; EIP-4361's strict parser takes it but for the two texts WalletConnect writes that are no EIP-4361 message;
the signature recovers to the address of `iss`."""

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from app.domain.cacao import cacao_message
from app.domain.messages import parse_message
from app.domain.recaps import read_recap
from app.errors import InvalidMessage
from tests.interop.node import results, start_node

# what WalletConnect writes and EIP-4361 refuses, with why
NOT_EIP_4361 = {
    "unicode_statement eip155:1": "ASCII only",  # EIP-4361's statement is printable ASCII
    "lower_case_address eip155:1": "EIP-55",  # the address is copied from iss as it is
}
STALE = "stale_statement eip155:1"  # a ReCap sentence that no longer tells what the (narrowed) ReCap grants


@pytest.fixture(scope="module")
def signed() -> dict[str, Any]:
    with start_node("cacao.mjs") as node:
        return results(node)


@pytest.fixture(scope="module")
def cases(signed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {case["name"]: case for case in signed["cases"]}


def test_the_text_is_walletconnect_s_byte_for_byte_and_the_signature_the_address_s(
    signed: dict[str, Any], cases: dict[str, dict[str, Any]]
) -> None:
    assert len(cases) == 22
    for name, case in cases.items():
        # WalletConnect's own check agrees, but on a non-ASCII text: its EIP-191 prefix counts UTF-16 units, not bytes
        assert case["valid"] is (name != "unicode_statement eip155:1"), name
        text, signature = cacao_message(case["cacao"])
        assert text == case["message"], name
        assert signature == case["cacao"]["s"]["s"]
        recovered = Account.recover_message(encode_defunct(text=text), signature=signature)
        assert recovered == signed["address"], name
        assert case["cacao"]["p"]["iss"].lower().endswith(recovered.lower())


def test_eip_4361_takes_every_text_but_those_walletconnect_writes_otherwise(cases: dict[str, dict[str, Any]]) -> None:
    for name, case in cases.items():
        text, _ = cacao_message(case["cacao"])
        if name in NOT_EIP_4361:
            with pytest.raises(InvalidMessage) as refused:
                parse_message(text)
            assert NOT_EIP_4361[name] in refused.value.detail
            continue
        message = parse_message(text)
        assert message.chain_id == int(case["cacao"]["p"]["iss"].split(":")[3])
        if name == STALE:
            with pytest.raises(InvalidMessage, match="must end with the ReCap statement"):
                read_recap(message.statement, message.resources)
        elif "recap" in name or name.startswith("unpopulated"):
            recap = read_recap(message.statement, message.resources)
            assert recap is not None, name
            assert list(recap.att) == ["eip155"]
        else:
            assert read_recap(message.statement, message.resources) is None


def test_an_empty_resources_list_writes_a_bare_resources_line_which_eip_4361_takes(
    cases: dict[str, dict[str, Any]],
) -> None:
    text, _ = cacao_message(cases["empty_resources eip155:1"]["cacao"])
    assert text.endswith("\nResources:")
    assert parse_message(text).resources == ()


def test_falsy_optional_fields_are_left_out(cases: dict[str, dict[str, Any]]) -> None:
    case = cases["empty_optionals eip155:1"]
    assert (case["cacao"]["p"]["exp"], case["cacao"]["p"]["requestId"]) == ("", "")
    text, _ = cacao_message(case["cacao"])
    assert "Expiration Time" not in text
    assert "Request ID" not in text


def test_formatmessage_adds_the_recap_sentence_a_statement_lacks(cases: dict[str, dict[str, Any]]) -> None:
    case = cases["unpopulated eip155:1"]
    assert case["cacao"]["p"]["statement"] == "Sign in."
    text, _ = cacao_message(case["cacao"])
    statement = parse_message(text).statement
    assert statement is not None
    assert statement.startswith("Sign in. I further authorize the stated URI")

"""EIP-5573 ReCaps as WalletConnect really writes them (clients/js/test/recaps.mjs, the real @walletconnect/utils):
each of its one-click auth messages parses, and `read_recap` gives back exactly the att it encoded; hand-broken
versions of them are refused."""

import json
from typing import Any

import pytest

from app.domain.messages import parse_message
from app.domain.recaps import (
    SCHEME,
    read_recap,
    recap_statement,
    sort_key,
    walletconnect_recap_statement,
)
from app.errors import InvalidMessage
from tests.interop.node import results, start_node


@pytest.fixture(scope="module")
def written() -> dict[str, Any]:
    with start_node("recaps.mjs") as node:
        return results(node)


@pytest.fixture(scope="module")
def messages(written: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {case["name"]: case for case in written["messages"]}


def test_every_message_parses_and_gives_back_the_att_walletconnect_encoded(messages: dict[str, dict[str, Any]]) -> None:
    assert len(messages) == 16  # eight requests, each signed on eip155:1 and eip155:8453
    for name, case in messages.items():
        message = parse_message(case["message"])
        recap = read_recap(message.statement, message.resources)
        assert recap is not None, name
        assert json.dumps(recap.att, separators=(",", ":"), ensure_ascii=False) == case["att"], name
        assert recap.prf == ()
        assert message.resources is not None
        assert message.resources[-1] == case["recap"]


def test_the_statement_is_the_eip_s_sentence_unless_walletconnect_orders_it_otherwise(
    messages: dict[str, dict[str, Any]],
) -> None:
    own_order = {"interleaved eip155:1", "interleaved eip155:8453", "three_namespaces eip155:1"}
    own_order.add("three_namespaces eip155:8453")
    for name, case in messages.items():
        message = parse_message(case["message"])
        recap = read_recap(message.statement, message.resources)
        assert recap is not None
        assert message.statement is not None
        assert message.statement.endswith(walletconnect_recap_statement(recap)), name
        assert message.statement.endswith(recap_statement(recap)) is (name not in own_order), name
    assert "'., (4) 'c': 'z'" in messages["three_namespaces eip155:1"]["message"]


def test_walletconnect_writes_standard_base64_which_is_taken(messages: dict[str, dict[str, Any]]) -> None:
    payload = messages["standard_base64 eip155:1"]["recap"].removeprefix(SCHEME)
    assert set(payload) & set("+/")
    assert not set(payload) & set("-_=")


def test_the_wallet_narrowing_the_methods_narrows_the_statement(messages: dict[str, dict[str, Any]]) -> None:
    message = parse_message(messages["methods eip155:1"]["message"])
    recap = read_recap(message.statement, message.resources)
    assert recap is not None
    assert list(recap.att["eip155"]) == ["request/eth_sendTransaction", "request/eth_signTypedData_v4"]
    assert message.statement is not None
    assert "personal_sign" not in message.statement


def test_ability_names_sort_as_localecompare_sorts_them(written: dict[str, Any]) -> None:
    collation = written["collation"]
    assert len(collation["sorted"]) > 400
    assert sorted(collation["names"], key=sort_key) == collation["sorted"]


def _refusal(text: str) -> str:
    message = parse_message(text)
    with pytest.raises(InvalidMessage) as refused:
        read_recap(message.statement, message.resources)
    return refused.value.detail


def test_hand_broken_messages_are_refused(messages: dict[str, dict[str, Any]]) -> None:
    merged = messages["merged eip155:8453"]
    text, recap = merged["message"], merged["recap"]
    terms = "- https://example.com/terms\n"
    recap_first = text.replace(terms, "") + "\n- https://example.com/terms"
    assert "last resource" in _refusal(recap_first)
    assert "one urn:recap: resource" in _refusal(text.replace(terms, f"- {recap}\n"))
    assert "must end with the ReCap statement" in _refusal(text.replace("'eth_signTypedData_v4', ", ""))
    assert "must end with the ReCap statement" in _refusal(text.replace("'read', 'update'", "'update', 'read'"))
    assert "must end with the ReCap statement" in _refusal(text.replace("Sign in to the example app. ", "Sign in."))
    assert "unpadded" in _refusal(text.replace(recap, recap + "=" * (-len(recap) % 4 or 4)))
    standard = messages["standard_base64 eip155:1"]
    mixed = standard["recap"].replace("eyJ", "ey-", 1)
    assert "not a mix" in _refusal(standard["message"].replace(standard["recap"], mixed))
    # the payload's first character, 'e' (011110), made 'f' (011111): still base64url, no longer JSON
    assert "not JSON" in _refusal(text.replace(f"{SCHEME}e", f"{SCHEME}f"))

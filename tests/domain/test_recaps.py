"""EIP-5573 ReCaps: the EIP's own examples, the shapes a ReCap may take, and each refusal with its detail."""

import base64
import json
import time
from typing import Any

import pytest

from app.domain.messages import parse_message
from app.domain.recaps import (
    PREAMBLE,
    Recap,
    decode_recap,
    read_recap,
    recap_statement,
    sort_key,
    walletconnect_recap_statement,
)
from app.errors import InvalidMessage

# The EIP's examples: its message (address made a real EIP-55 one), and its capability object with caveats and prf
EIP_MESSAGE = """example.com wants you to sign in with your Ethereum account:
0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

I further authorize the stated URI to perform the following actions on my behalf: (1) 'example': 'append', 'read' \
for 'https://example.com'. (2) 'other': 'action' for 'https://example.com'. (3) 'example': 'append', 'delete' for \
'my:resource:uri.1'. (4) 'example': 'append' for 'my:resource:uri.2'. (5) 'example': 'append' for 'my:resource:uri.3'.

URI: did:key:example
Version: 1
Chain ID: 1
Nonce: mynonce1
Issued At: 2022-06-21T12:00:00.000Z
Resources:
- urn:recap:eyJhdHQiOnsiaHR0cHM6Ly9leGFtcGxlLmNvbSI6eyJleGFtcGxlL2FwcGVuZCI6W10sImV4YW1wbGUvcmVhZCI6W10sIm90aGVyL2F\
jdGlvbiI6W119LCJteTpyZXNvdXJjZTp1cmkuMSI6eyJleGFtcGxlL2FwcGVuZCI6W10sImV4YW1wbGUvZGVsZXRlIjpbXX0sIm15OnJlc291cmNlOnVy\
aS4yIjp7ImV4YW1wbGUvYXBwZW5kIjpbXX0sIm15OnJlc291cmNlOnVyaS4zIjp7ImV4YW1wbGUvYXBwZW5kIjpbXX19LCJwcmYiOltdfQ"""
EIP_OBJECT: dict[str, Any] = {
    "att": {
        "https://example.com/pictures/": {"crud/delete": [{}], "crud/update": [{}], "other/action": [{}]},
        "mailto:username@example.com": {
            "msg/receive": [{"max_count": 5, "templates": ["newsletter", "marketing"]}],
            "msg/send": [{"to": "someone@email.com"}, {"to": "joe@email.com"}],
        },
    },
    "prf": ["zdj7Wj6FNS4rUUbsiJvjjxcsNqZdDCSiYR8sKQXfoPfpSZuAw"],
}
EIP_URI = (
    "urn:recap:eyJhdHQiOnsiaHR0cHM6Ly9leGFtcGxlLmNvbS9waWN0dXJlcy8iOnsiY3J1ZC9kZWxldGUiOlt7fV0sImNydWQvdXBkYXRlIjpbe31d"
    "LCJvdGhlci9hY3Rpb24iOlt7fV19LCJtYWlsdG86dXNlcm5hbWVAZXhhbXBsZS5jb20iOnsibXNnL3JlY2VpdmUiOlt7Im1heF9jb3VudCI6NSwidGV"
    "tcGxhdGVzIjpbIm5ld3NsZXR0ZXIiLCJtYXJrZXRpbmciXX1dLCJtc2cvc2VuZCI6W3sidG8iOiJzb21lb25lQGVtYWlsLmNvbSJ9LHsidG8iOiJqb2"
    "VAZW1haWwuY29tIn1dfX0sInByZiI6WyJ6ZGo3V2o2Rk5TNHJVVWJzaUp2amp4Y3NOcVpkRENTaVlSOHNLUVhmb1BmcFNadUF3Il19"
)
EIP_STATEMENT = (
    "I further authorize the stated URI to perform the following actions on my behalf: (1) 'crud': 'delete', 'update' "
    "for 'https://example.com/pictures/'. (2) 'other': 'action' for 'https://example.com/pictures/'. (3) 'msg': "
    "'receive', 'send' for 'mailto:username@example.com'."
)
SIMPLE = {"att": {"https://api.example.com/": {"crud/read": [{}]}}}
SIMPLE_STATEMENT = f"{PREAMBLE} (1) 'crud': 'read' for 'https://api.example.com/'."


def encoded(document: object, *, raw: str | None = None) -> str:
    """A ReCap URI: the JSON of `document` (or the text `raw`) in unpadded base64url."""
    text = raw if raw is not None else json.dumps(document, separators=(",", ":"))
    return "urn:recap:" + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def refusal(statement: str | None, resources: tuple[str, ...] | None) -> str:
    with pytest.raises(InvalidMessage) as refused:
        read_recap(statement, resources)
    return refused.value.detail


def test_the_eip_example_message_is_read() -> None:
    message = parse_message(EIP_MESSAGE)
    recap = read_recap(message.statement, message.resources)
    assert recap == Recap(
        {
            "https://example.com": {"example/append": [], "example/read": [], "other/action": []},
            "my:resource:uri.1": {"example/append": [], "example/delete": []},
            "my:resource:uri.2": {"example/append": []},
            "my:resource:uri.3": {"example/append": []},
        },
        (),
    )
    assert recap.as_claim() == {"att": recap.att}  # "prf": [] is left out


def test_the_eip_example_object_decodes_and_translates_as_the_eip_says() -> None:
    recap = decode_recap(EIP_URI)
    assert recap.as_claim() == EIP_OBJECT
    assert recap.prf == ("zdj7Wj6FNS4rUUbsiJvjjxcsNqZdDCSiYR8sKQXfoPfpSZuAw",)
    assert recap_statement(recap) == EIP_STATEMENT
    assert encoded(EIP_OBJECT) == EIP_URI


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(EIP_STATEMENT, id="the ReCap statement alone"),
        pytest.param(f"Sign in to the example app. {EIP_STATEMENT}", id="after a user statement"),
        pytest.param(
            EIP_STATEMENT.replace(
                "(1) 'crud': 'delete', 'update' for 'https://example.com/pictures/'. (2) 'other': 'action'",
                "(1) 'other': 'action' for 'https://example.com/pictures/'. (2) 'crud': 'delete', 'update'",
            ),
            id="in WalletConnect's order (abilities sorted by name)",
        ),
    ],
)
def test_the_statement_ends_with_the_recap_statement(statement: str) -> None:
    recap = read_recap(statement, ("https://example.com/terms", EIP_URI))
    assert recap is not None
    assert recap.as_claim() == EIP_OBJECT


@pytest.mark.parametrize(
    ("document", "sentence"),
    [
        pytest.param(SIMPLE, "(1) 'crud': 'read' for 'https://api.example.com/'.", id="one resource, one ability"),
        pytest.param(
            {"att": {"eip155": {"request/eth_sendTransaction": [{}], "request/personal_sign": [{}]}}},
            "(1) 'request': 'eth_sendTransaction', 'personal_sign' for 'eip155'.",
            id="WalletConnect's eip155 resource",
        ),
        pytest.param(
            {"att": {"https://a.example/": {"kv/get": [{"max": 5}, {"path": "/x"}]}, "urn:x:y": {"kv/put": []}}},
            "(1) 'kv': 'get' for 'https://a.example/'. (2) 'kv': 'put' for 'urn:x:y'.",
            id="several resources, with and without caveats",
        ),
        pytest.param(
            {"att": {"https://a.example/": {"a/x": [{}], "b/y": [{}], "a/z": [{}]}}},
            "(1) 'a': 'x', 'z' for 'https://a.example/'. (2) 'b': 'y' for 'https://a.example/'.",
            id="namespaces grouped in the order they first appear",
        ),
        pytest.param(
            {"att": {"https://a.example/": {"crud/read": [{}]}}, "prf": ["bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuyl"]},
            "(1) 'crud': 'read' for 'https://a.example/'.",
            id="with prf",
        ),
        pytest.param(
            {
                "att": {
                    "https://a.example/": {"x/y": [{"note": "caf\u00e9 \u2713", "n": 1.5, "deep": {"a": [None, True]}}]}
                }
            },
            "(1) 'x': 'y' for 'https://a.example/'.",
            id="caveats of any JSON",
        ),
    ],
)
def test_valid_recaps_are_read(document: dict[str, Any], sentence: str) -> None:
    resource = encoded(document)
    for statement in (f"{PREAMBLE} {sentence}", f"I accept the Terms. {PREAMBLE} {sentence}"):
        recap = read_recap(statement, (resource,))
        assert recap is not None
        assert recap.as_claim() == document
        assert list(recap.att) == list(document["att"])  # in the payload's order


def test_standard_base64_as_walletconnect_writes_it_is_read() -> None:
    document = {"att": {"https://api.example.com/items?page=0": {"crud/read": [{}]}}}
    standard = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode().rstrip("=")
    assert "/" in standard
    statement = f"{PREAMBLE} (1) 'crud': 'read' for 'https://api.example.com/items?page=0'."
    recap = read_recap(statement, ("urn:recap:" + standard,))
    assert recap is not None
    assert recap.as_claim() == document


@pytest.mark.parametrize("resources", [None, (), ("https://example.com/terms", "ipfs://bafy")])
def test_no_recap_resource_is_no_recap(resources: tuple[str, ...] | None) -> None:
    assert read_recap("Any statement.", resources) is None


def test_walletconnect_s_statement_differs_from_the_eip_s_where_it_sorts_and_joins_otherwise() -> None:
    interleaved = Recap({"https://a.example/": {"a/z": [{}], "b/a": [{}]}})
    assert recap_statement(interleaved).endswith(
        "(1) 'a': 'z' for 'https://a.example/'. (2) 'b': 'a' for 'https://a.example/'."
    )
    assert walletconnect_recap_statement(interleaved).endswith(
        "(1) 'b': 'a' for 'https://a.example/'. (2) 'a': 'z' for 'https://a.example/'."
    )
    three = Recap({"r:1": {"a/x": [{}], "b/y": [{}], "c/z": [{}]}})
    assert walletconnect_recap_statement(three) == (
        f"{PREAMBLE} (1) 'a': 'x' for 'r:1'. (2) 'b': 'y' for 'r:1'., (3) 'c': 'z' for 'r:1'."
    )
    assert (
        recap_statement(three) == f"{PREAMBLE} (1) 'a': 'x' for 'r:1'. (2) 'b': 'y' for 'r:1'. (3) 'c': 'z' for 'r:1'."
    )
    for recap in (interleaved, three):
        for statement in (recap_statement(recap), walletconnect_recap_statement(recap)):
            assert read_recap(statement, (encoded({"att": recap.att}),)) == recap


def test_sort_key_orders_as_localecompare() -> None:
    # as Node 20 sorts them (the interop test compares several hundred more)
    names = ["B", "a", "A", "b", "_", "-", ".", "*", "+", "1", "a_b", "ab", "a-b", "a.b", "aB", "Ab", "AB", "a1", "aa"]
    assert sorted(names, key=sort_key) == [
        "_", "-", ".", "*", "+", "1", "a", "A", "a_b", "a-b", "a.b", "a1", "aa", "ab", "aB", "Ab", "AB", "b", "B",
    ]  # fmt: skip


R = "https://api.example.com/"


@pytest.mark.parametrize(
    ("statement", "resources", "detail"),
    [
        pytest.param(
            SIMPLE_STATEMENT, (encoded(SIMPLE), encoded(SIMPLE)), "may carry one urn:recap: resource", id="two recaps"
        ),
        pytest.param(SIMPLE_STATEMENT, (encoded(SIMPLE), R), "must be the last resource", id="not last"),
        pytest.param(SIMPLE_STATEMENT, (encoded(SIMPLE).replace("urn:recap:", "URN:ReCap:"),), "lower case", id="case"),
        pytest.param(SIMPLE_STATEMENT, (encoded(SIMPLE) + "==",), "unpadded base64url: no '='", id="padding"),
        pytest.param(SIMPLE_STATEMENT, ("urn:recap:e30Ae",), "length is 1 modulo 4", id="cut short"),
        pytest.param(SIMPLE_STATEMENT, ("urn:recap:ab+c-d",), "not a mix", id="both alphabets"),
        pytest.param(
            SIMPLE_STATEMENT, ("urn:recap:eyJh dHQ",), "must be unpadded base64url", id="a space in the payload"
        ),
        pytest.param(SIMPLE_STATEMENT, ("urn:recap:e31",), "extra bits", id="non-canonical trailing bits"),
        pytest.param(SIMPLE_STATEMENT, ("urn:recap:" + "A" * 8200,), "longer than 8192", id="too long"),
        pytest.param(SIMPLE_STATEMENT, ("urn:recap:",), "not JSON", id="empty payload"),
        pytest.param(SIMPLE_STATEMENT, ("urn:recap:_w",), "not UTF-8", id="not UTF-8"),
        pytest.param(SIMPLE_STATEMENT, (encoded(None, raw="{'att': 1}"),), "not JSON", id="not JSON"),
        pytest.param(SIMPLE_STATEMENT, (encoded(["att"]),), "must be a JSON object", id="an array"),
        pytest.param(SIMPLE_STATEMENT, (encoded({}),), "has no att", id="no att"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"prf": ["bafy"]}),), "has no att", id="prf without att"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": {}}),), "at least one resource", id="empty att"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": []}),), "at least one resource", id="att an array"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": None}),), "at least one resource", id="att null"),
        pytest.param(
            SIMPLE_STATEMENT, (encoded({"att": {"api": {"a/b": []}}}),), "'api' is not an RFC 3986 URI", id="not a URI"
        ),
        pytest.param(
            SIMPLE_STATEMENT,
            (encoded({"att": {"https://a b/": {"a/b": []}}}),),
            "not an RFC 3986 URI",
            id="a space in the URI",
        ),
        pytest.param(
            SIMPLE_STATEMENT, (encoded({"att": {"EIP155": {"a/b": []}}}),), "not an RFC 3986 URI", id="EIP155"
        ),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": {R: {}}}),), "must be a non-empty object", id="no abilities"),
        pytest.param(
            SIMPLE_STATEMENT, (encoded({"att": {R: [1]}}),), "must be a non-empty object", id="abilities list"
        ),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": {R: {"read": []}}}),), "is not 'namespace/name'", id="no ns"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": {R: {"a/b/c": []}}}),), "is not 'namespace/name'", id="a/b/c"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": {R: {"a/": []}}}),), "is not 'namespace/name'", id="no name"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": {R: {"a/b^": []}}}),), "is not 'namespace/name'", id="a/b^"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": {R: {"a b/c": []}}}),), "is not 'namespace/name'", id="space"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": {R: {"a/b": {}}}}),), "must be a list of objects", id="object"),
        pytest.param(SIMPLE_STATEMENT, (encoded({"att": {R: {"a/b": [1]}}}),), "must be a list of objects", id="[1]"),
        pytest.param(
            SIMPLE_STATEMENT, (encoded({"att": {R: {"a/b": [None]}}}),), "must be a list of objects", id="[null]"
        ),
        pytest.param(SIMPLE_STATEMENT, (encoded({**SIMPLE, "prf": "bafy"}),), "prf must be a list", id="prf a string"),
        pytest.param(SIMPLE_STATEMENT, (encoded({**SIMPLE, "prf": [1]}),), "prf must be a list", id="prf of numbers"),
        pytest.param(SIMPLE_STATEMENT, (encoded({**SIMPLE, "prf": [""]}),), "is not a CID", id="an empty proof"),
        pytest.param(SIMPLE_STATEMENT, (encoded({**SIMPLE, "prf": ["a b"]}),), "is not a CID", id="a proof with space"),
        pytest.param(
            SIMPLE_STATEMENT, (encoded({**SIMPLE, "exp": 1}),), "member 'exp': only att and prf", id="unknown"
        ),
        pytest.param(
            SIMPLE_STATEMENT,
            (encoded(None, raw='{"att":{"https://api.example.com/":{"crud/read":[{}],"crud/read":[{}]}}}'),),
            "repeats a key",
            id="a repeated key",
        ),
        pytest.param(
            SIMPLE_STATEMENT,
            (encoded(None, raw='{"att":{"https://api.example.com/":{"crud/read":[{"n":NaN}]}}}'),),
            "holds NaN",
            id="NaN",
        ),
        pytest.param(
            SIMPLE_STATEMENT,
            (encoded(None, raw='{"att":{"https://api.example.com/":{"crud/read":[{"n":1e999}]}}}'),),
            "too large for JSON",
            id="1e999",
        ),
        pytest.param(
            SIMPLE_STATEMENT,
            (encoded(None, raw='{"att":{"https://api.example.com/":{"crud/read":[{"n":"\\ud800"}]}}}'),),
            "lone UTF-16 surrogate",
            id="a lone surrogate",
        ),
        pytest.param(
            SIMPLE_STATEMENT,
            (encoded({"att": {R: {"crud/read": [{"a": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}]}}}),),
            "deeper than 16",
            id="too deep",
        ),
        pytest.param(SIMPLE_STATEMENT, (encoded(None, raw="[" * 3000 + "]" * 3000),), "not JSON", id="very deep"),
        pytest.param(None, (encoded(SIMPLE),), "must end with the ReCap statement", id="no statement"),
        pytest.param("I accept.", (encoded(SIMPLE),), "must end with the ReCap statement", id="without the sentence"),
        pytest.param(
            SIMPLE_STATEMENT.replace("'read'", "'write'"),
            (encoded(SIMPLE),),
            "must end with the ReCap statement",
            id="another ability",
        ),
        pytest.param(
            SIMPLE_STATEMENT.replace(R, "https://evil.example/"),
            (encoded(SIMPLE),),
            "must end with the ReCap statement",
            id="another resource",
        ),
        pytest.param(
            "I accept." + SIMPLE_STATEMENT, (encoded(SIMPLE),), "must end with the ReCap statement", id="no space"
        ),
        pytest.param(
            SIMPLE_STATEMENT + " And more.", (encoded(SIMPLE),), "must end with the ReCap statement", id="text after"
        ),
        pytest.param(
            SIMPLE_STATEMENT.replace("(1)", "(2)"),
            (encoded(SIMPLE),),
            "must end with the ReCap statement",
            id="numbers",
        ),
        pytest.param(
            SIMPLE_STATEMENT.replace("'.", "'"), (encoded(SIMPLE),), "must end with the ReCap statement", id="no period"
        ),
        pytest.param(
            SIMPLE_STATEMENT.replace("'crud'", '"crud"'), (encoded(SIMPLE),), "must end with the ReCap", id="quotes"
        ),
    ],
)
def test_refusals(statement: str | None, resources: tuple[str, ...], detail: str) -> None:
    assert detail in refusal(statement, resources)


def test_the_refusal_names_the_expected_statement() -> None:
    assert SIMPLE_STATEMENT in refusal("I accept.", (encoded(SIMPLE),))


def test_an_empty_caveat_list_and_empty_prf_are_taken_as_the_eip_s_examples_write_them() -> None:
    document = {"att": {R: {"crud/read": []}}, "prf": []}
    recap = read_recap(SIMPLE_STATEMENT, (encoded(document),))
    assert recap == Recap({R: {"crud/read": []}}, ())


def test_reading_is_fast() -> None:
    resources = ("https://example.com/terms", EIP_URI)
    started = time.perf_counter()
    for _ in range(1000):
        read_recap(EIP_STATEMENT, resources)
    assert time.perf_counter() - started < 1.0  # well under a millisecond each
    started = time.perf_counter()
    for _ in range(10000):
        read_recap(EIP_STATEMENT, ("https://example.com/terms",))
    assert time.perf_counter() - started < 0.1

"""The EIP-4361 parser on inputs chosen by hand: what THREATS.md §1.A lists, one case each."""

import time

import pytest

from app.domain.messages import MAX_MESSAGE_BYTES, SiweMessage, format_message, parse_message, timestamp_seconds
from app.errors import InvalidMessage

MESSAGE = """example.com wants you to sign in with your Ethereum account:
0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

I accept the ExampleOrg Terms of Service: https://example.com/tos

URI: https://example.com/login
Version: 1
Chain ID: 1
Nonce: 32891756
Issued At: 2021-09-30T16:25:24Z
Resources:
- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
- https://example.com/my-web2-claim.json"""


def test_the_eip_example_parses() -> None:
    message = parse_message(MESSAGE)
    assert (message.domain, message.chain_id, message.nonce) == ("example.com", 1, "32891756")
    assert message.resources == (
        "ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/",
        "https://example.com/my-web2-claim.json",
    )
    assert format_message(message) == MESSAGE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(MESSAGE.replace("\n", "\r\n"), id="CRLF line ends"),
        pytest.param(MESSAGE + "\n", id="a trailing newline"),
        pytest.param(MESSAGE + " ", id="trailing whitespace"),
        pytest.param(MESSAGE.replace("Chain ID: 1", "Chain ID: 01"), id="a leading zero in the chain id"),
        pytest.param(MESSAGE.replace("Chain ID: 1", "Chain ID: 1e3"), id="chain id 1e3"),
        pytest.param(MESSAGE.replace("Chain ID: 1", "Chain ID: -1"), id="a negative chain id"),
        pytest.param(MESSAGE.replace("Version: 1", "Version: 2"), id="version 2"),
        pytest.param(MESSAGE.replace("Version: 1", "Version: 1.0"), id="version 1.0"),
        pytest.param(MESSAGE.replace("URI: ", "uri: "), id="a lower-case tag"),
        pytest.param(MESSAGE.replace("Nonce: ", "NONCE: "), id="an upper-case tag"),
        pytest.param(MESSAGE.replace("Chain ID: ", "Chain Id: "), id="Chain Id"),
        pytest.param(MESSAGE.replace("Nonce: 32891756\n", "Nonce: 32891756\nNonce: 99999999\n"), id="two Nonce lines"),
        pytest.param(MESSAGE.replace("I accept", "I\u2028accept"), id="a U+2028 line separator"),
        pytest.param(MESSAGE.replace("I accept", "I\u2029accept"), id="a U+2029 paragraph separator"),
        pytest.param(MESSAGE.replace("I accept", "I\x85accept"), id="a NEL"),
        pytest.param(MESSAGE.replace("I accept", "I\x0baccept"), id="a vertical tab"),
        pytest.param(MESSAGE.replace("I accept", "I\x0caccept"), id="a form feed"),
        pytest.param(MESSAGE.replace("example.com/login", "example.com/\u202elogin"), id="a bidi override"),
        pytest.param(MESSAGE.replace("I accept", "I\x00accept"), id="a NUL"),
        pytest.param(MESSAGE.replace("example.com wants", "ex\u0430mple.com wants"), id="a Cyrillic a in the domain"),
        pytest.param("\ufeff" + MESSAGE, id="a BOM"),
        pytest.param(MESSAGE.replace("I accept", "100% I accept"), id="a percent sign in the statement"),
        pytest.param(
            MESSAGE.replace("\nI accept the ExampleOrg Terms of Service: https://example.com/tos\n", "\n\n\n"),
            id="four empty lines for no statement",
        ),
        pytest.param(MESSAGE.replace("Nonce: 32891756", "Nonce: 3289175"), id="a 7-character nonce"),
        pytest.param(
            MESSAGE.replace("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"),
            id="an all-lower-case address",
        ),
        pytest.param(
            MESSAGE.replace("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xC02AAA39B223FE8D0A0E5C4F27EAD9083C756CC2"),
            id="an all-upper-case address",
        ),
        pytest.param(MESSAGE.replace("0xC02a", "0XC02a"), id="a 0X prefix"),
        pytest.param(MESSAGE.replace("URI: https://example.com/login", "URI: /login"), id="a relative URI"),
        pytest.param(
            MESSAGE.replace("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30T16:25:24Z\nRequest ID: a/b"),
            id="a request id with a slash",
        ),
        pytest.param(
            MESSAGE.replace("- https://example.com/my-web2-claim.json", "https://example.com/x"),
            id="a resource without '- '",
        ),
        pytest.param(
            MESSAGE.replace(
                "Issued At: 2021-09-30T16:25:24Z",
                "Issued At: 2021-09-30T16:25:24Z\nNot Before: 2021-09-30T16:25:24Z"
                "\nExpiration Time: 2021-09-30T17:25:24Z",
            ),
            id="Not Before and Expiration Time out of order",
        ),
        pytest.param(MESSAGE.replace("2021-09-30T16", "2021-02-30T16"), id="February 30"),
        pytest.param(MESSAGE.replace("2021-09-30T16", "2021-13-30T16"), id="month 13"),
        pytest.param(MESSAGE.replace("T16:25:24Z", "T24:00:00Z"), id="hour 24"),
        pytest.param(MESSAGE.replace("T16:25:24Z", "T23:59:60Z"), id="a leap second"),
        pytest.param(MESSAGE.replace("2021-09-30T16", "0000-09-30T16"), id="year 0"),
        pytest.param(MESSAGE.replace("T16:25:24Z", "T16:25:24+24:00"), id="an offset of 24 hours"),
        pytest.param(MESSAGE.replace("T16:25:24Z", "T16:25:24z"), id="a lower-case z"),
        pytest.param(MESSAGE.replace("T16:25:24Z", "T16:25:24"), id="a time without offset"),
        pytest.param("", id="an empty message"),
        pytest.param(MESSAGE.split("\n")[0], id="only the header"),
        pytest.param(MESSAGE.replace("I accept", "I" * MAX_MESSAGE_BYTES + " accept"), id="a message over 8 KiB"),
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(InvalidMessage):
        parse_message(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            MESSAGE.replace("\nI accept the ExampleOrg Terms of Service: https://example.com/tos\n", "\n"),
            id="no statement",
        ),
        pytest.param(
            MESSAGE.replace("I accept the ExampleOrg Terms of Service: https://example.com/tos", ""),
            id="an empty statement",
        ),
        pytest.param(
            MESSAGE.replace(
                "I accept the ExampleOrg Terms of Service: https://example.com/tos", "URI: https://evil.example"
            ),
            id="a statement that looks like a URI line",
        ),
        pytest.param(MESSAGE.split("\n- ")[0], id="an empty Resources list"),
        pytest.param(MESSAGE.replace("\nResources:", "\nRequest ID: \nResources:"), id="an empty Request ID"),
        pytest.param("https://" + MESSAGE, id="an explicit scheme"),
        pytest.param(MESSAGE.replace("T16:25:24Z", "T16:25:24.123456789Z"), id="fractional seconds with 9 digits"),
        pytest.param(MESSAGE.replace("T16:25:24Z", "T16:25:24-00:00"), id="a -00:00 offset"),
        pytest.param(MESSAGE.replace("Chain ID: 1", "Chain ID: 0"), id="chain id 0"),
        pytest.param(MESSAGE.replace("Chain ID: 1", "Chain ID: " + "9" * 4000), id="a 4000-digit chain id"),
    ],
)
def test_accepted(text: str) -> None:
    assert format_message(parse_message(text)) == text


def test_the_statement_line_that_looks_like_a_uri_is_the_statement() -> None:
    text = MESSAGE.replace(
        "I accept the ExampleOrg Terms of Service: https://example.com/tos", "URI: https://evil.example"
    )
    message = parse_message(text)
    assert (message.statement, message.uri) == ("URI: https://evil.example", "https://example.com/login")


def test_a_chain_id_too_long_for_python_is_a_400_not_a_crash() -> None:
    with pytest.raises(InvalidMessage, match="too long"):
        parse_message(MESSAGE.replace("Chain ID: 1", "Chain ID: " + "9" * 5000))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-09-30T16:25:24Z", 1633019124.0),
        ("2021-09-30T16:25:24.5Z", 1633019124.5),
        ("2021-09-30T18:25:24+02:00", 1633019124.0),
        ("2021-09-30T11:55:24-04:30", 1633019124.0),
        ("2021-09-30T16:25:24.123456789Z", 1633019124.123456),
    ],
)
def test_timestamps_are_the_right_instant(text: str, expected: float) -> None:
    assert timestamp_seconds(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("size", [1000, 4000, 8000])
def test_worst_case_inputs_parse_in_bounded_time(size: int) -> None:
    """No super-linear regex: long runs of the characters each pattern repeats, near the size cap."""
    probes = [
        MESSAGE.replace("URI: https://example.com/login", "URI: a:" + "a:" * (size // 2) + '"'),
        MESSAGE.replace("URI: https://example.com/login", "URI: https://" + "a:" * (size // 2) + "@@"),
        MESSAGE.replace("URI: https://example.com/login", "URI: https://[" + "1:" * (size // 2) + "]"),
        MESSAGE.replace("URI: https://example.com/login", "URI: https://x/" + "?#" * (size // 2) + "#"),
        MESSAGE.replace("URI: https://example.com/login", "URI: https://" + "%41" * (size // 3) + "%4"),
        MESSAGE.replace("example.com wants", "a" * size + ":" + "1" * 10 + "x wants"),
        MESSAGE.replace("T16:25:24Z", "T16:25:24." + "1" * size + "x"),
        MESSAGE.replace("Chain ID: 1", "Chain ID: " + "1" * size + "x"),
    ]
    for text in probes:
        started = time.perf_counter()
        with pytest.raises(InvalidMessage):
            parse_message(text)
        # Generous: a backtracking pattern would take seconds here; linear matching takes microseconds.
        assert time.perf_counter() - started < 0.05


def test_a_message_refuses_bad_fields_on_construction() -> None:
    fields = {
        "domain": "example.com",
        "address": "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
        "uri": "https://example.com",
        "chain_id": 1,
        "nonce": "abcdefgh",
        "issued_at": "2021-09-30T16:25:24Z",
        "version": "1",
    }
    SiweMessage(**fields)
    for name, bad in [("chain_id", True), ("chain_id", -1), ("chain_id", "1"), ("statement", "a\nb"), ("scheme", "1x")]:
        with pytest.raises(InvalidMessage):
            SiweMessage(**{**fields, name: bad})

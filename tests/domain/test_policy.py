"""The relying party's checks: origin binding, URI binding, chain allow-list, the lifetime cap, the validity
window and its boundaries."""

import dataclasses

import pytest

from app.domain.grammar import host_of
from app.domain.messages import SiweMessage, timestamp_seconds
from app.domain.policy import check_lifetime, check_origin, check_uri, check_validity_window, is_loopback, uri_problem
from app.errors import ChainNotAllowed, DomainNotAllowed, ExpiredMessage, NotYetValid, UriNotAllowed

BASE = SiweMessage(
    domain="example.com",
    address="0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    uri="https://example.com/login",
    version="1",
    chain_id=1,
    nonce="abcdefgh12",
    issued_at="2030-01-01T00:00:00Z",
)
ISSUED = BASE.issued_at_seconds


def message(**changes: object) -> SiweMessage:
    return dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "domain",
    [
        "EXAMPLE.com",
        "example.com.",
        "example.com:443",
        "example.com.evil.com",
        "evil.com@example.com",
        "example.com@evil.com",
        "xn--exmple-cua.com",
        "evil.example",
    ],
)
def test_only_the_exact_configured_domain_is_allowed(domain: str) -> None:
    check_origin(BASE, ["example.com"], [1])
    with pytest.raises(DomainNotAllowed):
        check_origin(message(domain=domain), ["example.com"], [1])


@pytest.mark.parametrize(
    ("scheme", "domain", "allowed"),
    [
        (None, "example.com", True),
        ("https", "example.com", True),
        ("http", "example.com", False),
        ("HTTPS", "example.com", False),
        ("wss", "example.com", False),
        ("http", "localhost:8000", True),
        ("http", "127.0.0.1:3000", True),
        ("http", "[::1]:3000", True),
        ("https", "localhost:8000", True),
        (None, "localhost:8000", True),
    ],
)
def test_scheme_is_https_or_http_on_loopback(scheme: str | None, domain: str, allowed: bool) -> None:
    candidate = message(scheme=scheme, domain=domain)
    if allowed:
        check_origin(candidate, [domain], [1])
    else:
        with pytest.raises(DomainNotAllowed, match="scheme"):
            check_origin(candidate, [domain], [1])


def test_the_chain_must_be_listed() -> None:
    check_origin(message(chain_id=137), ["example.com"], [1, 137])
    for chain_id in (0, 5, 2**256):
        with pytest.raises(ChainNotAllowed):
            check_origin(message(chain_id=chain_id), ["example.com"], [1, 137])


@pytest.mark.parametrize(
    ("authority", "host"),
    [("a.com", "a.com"), ("a.com:80", "a.com"), ("u:p@a.com:80", "a.com"), ("[::1]:80", "[::1]"), ("[::1]", "[::1]")],
)
def test_host_of(authority: str, host: str) -> None:
    assert host_of(authority) == host


def test_loopback_hosts() -> None:
    for loopback in ("localhost:8000", "LOCALHOST", "[::1]:1", "127.0.0.1"):
        assert is_loopback(loopback)
    for other in ("localhost.evil.com", "127.0.0.2", "evil.com@localhost.x"):
        assert not is_loopback(other)


def test_expired_when_now_reaches_expiration_time() -> None:
    candidate = message(expiration_time="2030-01-01T00:05:00Z")
    expires = timestamp_seconds("2030-01-01T00:05:00Z")
    check_validity_window(candidate, expires - 0.001, clock_skew=0)
    with pytest.raises(ExpiredMessage):
        check_validity_window(candidate, expires, clock_skew=0)
    check_validity_window(candidate, expires + 59.999, clock_skew=60)
    with pytest.raises(ExpiredMessage):
        check_validity_window(candidate, expires + 60, clock_skew=60)


def test_valid_from_not_before_inclusive() -> None:
    candidate = message(not_before="2030-01-01T00:10:00Z")
    not_before = timestamp_seconds("2030-01-01T00:10:00Z")
    check_validity_window(candidate, not_before, clock_skew=0)
    with pytest.raises(NotYetValid):
        check_validity_window(candidate, not_before - 0.001, clock_skew=0)
    check_validity_window(candidate, not_before - 60, clock_skew=60)
    with pytest.raises(NotYetValid):
        check_validity_window(candidate, not_before - 60.001, clock_skew=60)


def test_issued_in_the_future_is_not_yet_valid() -> None:
    check_validity_window(BASE, ISSUED - 60, clock_skew=60)
    with pytest.raises(NotYetValid, match="Issued At"):
        check_validity_window(BASE, ISSUED - 60.001, clock_skew=60)


def test_an_empty_window_is_expired() -> None:
    with pytest.raises(ExpiredMessage, match="not after Issued At"):
        check_validity_window(message(expiration_time=BASE.issued_at), ISSUED, clock_skew=60)
    with pytest.raises(ExpiredMessage):
        check_validity_window(message(expiration_time="2029-12-31T00:00:00Z"), ISSUED, clock_skew=60)


def test_offsets_count() -> None:
    candidate = message(issued_at="2030-01-01T02:00:00+02:00", expiration_time="2030-01-01T00:05:00-00:00")
    check_validity_window(candidate, ISSUED + 1, clock_skew=0)
    with pytest.raises(ExpiredMessage):
        check_validity_window(candidate, ISSUED + 300, clock_skew=0)


@pytest.mark.parametrize(
    ("uri", "domain", "allowed"),
    [
        ("https://example.com", "example.com", True),
        ("https://example.com/login?x#y", "example.com", True),
        ("http://example.com/login", "example.com", False),
        ("http://localhost:8000/", "localhost:8000", True),
        ("http://127.0.0.1:3000/", "127.0.0.1:3000", True),
        ("http://[::1]:3000/", "[::1]:3000", True),
        ("https://localhost:8000/", "localhost:8000", True),
        ("https://example.com:443/", "example.com", False),
        ("https://EXAMPLE.com/", "example.com", False),
        ("https://example.com.evil.com/", "example.com", False),
        ("https://example.com@evil.com/", "example.com", False),
        ("https://user@example.com/", "example.com", False),
        ("javascript:alert(1)", "example.com", False),
        ("data:,example.com", "example.com", False),
        ("https:example.com", "example.com", False),
        ("not a uri", "example.com", False),
    ],
)
def test_the_uri_is_on_the_messages_domain(uri: str, domain: str, allowed: bool) -> None:
    assert (uri_problem(uri, domain, []) is None) is allowed


def test_a_uri_admitted_by_an_entry_and_the_refusals_details() -> None:
    entries = ["https://app.example", "https://docs.example/v1/"]
    assert uri_problem("https://app.example/x", "example.com", entries) is None
    assert uri_problem("https://docs.example/v1/x", "example.com", entries) is None
    with pytest.raises(UriNotAllowed, match="scheme 'javascript'"):
        check_uri(message(uri="javascript:alert(1)"), entries)
    with pytest.raises(UriNotAllowed, match="userinfo"):
        check_uri(message(uri="https://app.example@evil.com/"), entries)
    with pytest.raises(UriNotAllowed, match="only allowed for a loopback domain"):
        check_uri(message(uri="http://example.com/"), entries)
    with pytest.raises(UriNotAllowed, match="nor admitted by AUTH_URIS"):
        check_uri(message(uri="https://docs.example/v2/"), entries)
    with pytest.raises(UriNotAllowed, match="names no host"):
        check_uri(message(uri="https:example.com"), entries)


def test_the_lifetime_is_capped_to_the_microsecond() -> None:
    day = 86400
    check_lifetime(BASE, max_lifetime=10)  # no Expiration Time: the nonce bounds it
    check_lifetime(message(expiration_time="2030-01-02T00:00:00Z"), max_lifetime=day)
    with pytest.raises(ExpiredMessage, match="AUTH_MAX_MESSAGE_LIFETIME"):
        check_lifetime(message(expiration_time="2030-01-02T00:00:00.000001Z"), max_lifetime=day)
    # fractions on both ends, where float instants are inexact
    precise = message(issued_at="2030-01-01T00:00:00.123456Z", expiration_time="2030-01-02T00:00:00.123456Z")
    check_lifetime(precise, max_lifetime=day)
    with pytest.raises(ExpiredMessage):
        check_lifetime(dataclasses.replace(precise, expiration_time="2030-01-02T00:00:00.123457Z"), max_lifetime=day)
    check_lifetime(message(expiration_time="2030-01-01T02:00:00+02:00"), max_lifetime=10)  # offsets count: 0 s
    with pytest.raises(ExpiredMessage):
        check_lifetime(message(expiration_time="2040-01-01T00:00:00Z"), max_lifetime=day)  # ten years

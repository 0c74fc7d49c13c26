"""Whom a per-IP limit counts against (THREATS.md §1.J): the peer, or the rightmost untrusted forwarded hop."""

import pytest

from app.api.client_ip import UNIX, UNREADABLE, TrustedProxies, client_key

PROXIES = TrustedProxies(["10.0.0.0/8", "fd00::/8"])
NONE = TrustedProxies([])


def test_an_untrusted_peer_is_the_client_whatever_it_forwards() -> None:
    assert client_key("203.0.113.7", [], NONE) == "203.0.113.7"
    for forwarded in [["1.2.3.4"], ["1.2.3.4, 5.6.7.8"], ["garbage"], ["10.0.0.1"]]:
        assert client_key("203.0.113.7", forwarded, NONE) == "203.0.113.7"
        assert client_key("203.0.113.7", forwarded, PROXIES) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() -> None:
    assert client_key("10.0.0.1", ["198.51.100.9"], PROXIES) == "198.51.100.9"
    # the client injected a leftmost entry; the proxy appended what it saw
    assert client_key("10.0.0.1", ["1.2.3.4, 198.51.100.9"], PROXIES) == "198.51.100.9"
    # two trusted proxies in a row
    assert client_key("10.0.0.1", ["1.2.3.4, 198.51.100.9, 10.0.0.2"], PROXIES) == "198.51.100.9"


def test_a_rotating_injected_entry_changes_nothing() -> None:
    keys = {client_key("10.0.0.1", [f"{n}.{n}.{n}.{n}, 198.51.100.9"], PROXIES) for n in range(1, 50)}
    assert keys == {"198.51.100.9"}


@pytest.mark.parametrize(
    "forwarded",
    [
        ["198.51.100.9"],
        ["198.51.100.9:4321"],
        [" 198.51.100.9 "],
        ["198.51.100.9,"],
        [",198.51.100.9"],
        ["1.2.3.4", "198.51.100.9"],  # two headers, read as one list in order
        ["1.2.3.4, , 198.51.100.9"],
        ["::ffff:198.51.100.9"],
        ["[::ffff:198.51.100.9]:80"],
    ],
)
def test_the_same_client_gets_the_same_key_however_it_is_written(forwarded: list[str]) -> None:
    assert client_key("10.0.0.1", forwarded, PROXIES) == "198.51.100.9"


def test_ipv6_clients_count_by_64() -> None:
    first = client_key("2001:db8:1:2:aaaa::1", [], NONE)
    assert first == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:2:bbbb::2", [], NONE) == first
    assert client_key("2001:db8:1:3::1", [], NONE) != first
    assert client_key("fd00::1", ["[2001:db8:1:2::5]:443"], PROXIES) == first
    assert client_key("fd00::1", ["2001:DB8:1:2:0:0:0:9"], PROXIES) == first


def test_an_unreadable_hop_gets_one_shared_key_not_one_it_chose() -> None:
    for junk in ["unknown", "_hidden", "1.2.3", "1.2.3.4.5", "evil.example", "[::1"]:
        assert client_key("10.0.0.1", [f"{junk}"], PROXIES) == UNREADABLE


def test_when_every_hop_is_trusted_the_rightmost_one_which_our_peer_wrote_is_the_key() -> None:
    """Never the leftmost: with a range that also holds clients (10.0.0.0/8), a client inside it may send any
    10.x address, which the proxy keeps in front of the one it saw."""
    assert client_key("10.0.0.1", ["10.1.1.1, 10.2.2.2"], PROXIES) == "10.2.2.2"
    assert client_key("10.0.0.1", ["10.1.1.1", "10.2.2.2:80"], PROXIES) == "10.2.2.2"
    assert client_key("fd00::1", ["fd00:1::1, [fd00:2::2]:443"], PROXIES) == "fd00:2::/64"
    assert client_key("10.0.0.1", [], PROXIES) == "10.0.0.1"  # no hop: the peer itself
    assert client_key(None, [], TrustedProxies(["unix"])) == UNIX


def test_under_an_all_trusted_chain_a_rotating_leftmost_entry_changes_nothing() -> None:
    keys = {client_key("10.0.0.1", [f"10.{n}.{n}.{n}, 10.9.9.9"], PROXIES) for n in range(1, 50)}
    keys |= {client_key("10.0.0.1", [f"10.{n}.0.1", "10.9.9.9"], PROXIES) for n in range(1, 50)}
    keys |= {client_key("fd00::1", [f"fd00:{n}::1, fd00:9::9"], PROXIES) for n in range(1, 50)}
    assert keys == {"10.9.9.9", "fd00:9::/64"}
    # junk on the left of an all-trusted chain moves the client into one shared bucket, not one of its own
    assert client_key("10.0.0.1", ["unknown, 10.9.9.9"], PROXIES) == UNREADABLE


def test_a_unix_socket_peer() -> None:
    assert client_key(None, ["198.51.100.9"], NONE) == UNIX
    assert client_key(None, ["198.51.100.9"], TrustedProxies(["unix"])) == "198.51.100.9"
    assert client_key(None, [], TrustedProxies(["unix"])) == UNIX

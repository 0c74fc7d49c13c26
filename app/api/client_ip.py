"""Whom a per-IP limit counts against: the TCP peer, unless that peer is a trusted proxy (AUTH_TRUSTED_PROXIES).

Behind trusted proxies the client is the rightmost X-Forwarded-For entry that is not itself a trusted proxy:
each proxy appends the address it saw, so everything left of the last trusted hop is whatever the client
chose to send, and is never used (nor is `*`, or any range that holds every address, accepted as "trust
everyone"). When every entry is in a trusted range (traffic from inside, or a client inside a trusted range
such as 10.0.0.0/8), the key is the rightmost entry, the one our own peer wrote, never the leftmost: that one
may be whatever a client sent, and rotating it would reset the limit. At worst the rightmost is an inner
proxy, and its clients share one bucket, rather than each choosing its own.

The key is stable for one client whatever the headers look like: several X-Forwarded-For headers are read
as one list in order, empty entries are skipped, ports and brackets are dropped, IPv4-mapped IPv6 counts as
IPv4, and an IPv6 client counts as its /64 (anyone can use a whole /64). A request without a peer address
(a unix socket) is keyed "unix", one shared bucket, unless "unix" is listed as a trusted proxy: then the
forwarded address counts, as for any trusted proxy.
"""

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
UNIX = "unix"
UNREADABLE = "unreadable-forwarded-for"  # one bucket for forwarded entries that are not addresses


class TrustedProxies:
    def __init__(self, entries: Iterable[str]) -> None:
        entries = list(entries)
        self.unix = UNIX in entries
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in entries if entry != UNIX]

    def trust(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def parse_address(text: str) -> IPAddress | None:
    """An IP address from `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]` or `[::1]:80`; None if it is none."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text, closed, _ = text[1:].partition("]")
        if not closed:
            return None
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def bucket(address: IPAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_key(peer: str | None, forwarded_for: Iterable[str], trusted: TrustedProxies) -> str:
    """The rate-limit key of a request from `peer` (None for a unix socket) with these X-Forwarded-For values."""
    if peer is None:
        if not trusted.unix:
            return UNIX
        peer_address = None
    else:
        peer_address = parse_address(peer)
        if peer_address is None or not trusted.trust(peer_address):
            return bucket(peer_address) if peer_address is not None else f"peer:{peer}"
    hops = [entry for header in forwarded_for for entry in header.split(",") if entry.strip()]
    nearest: IPAddress | None = None  # the rightmost hop: the one our trusted peer wrote
    for entry in reversed(hops):
        address = parse_address(entry)
        if address is None:
            return UNREADABLE
        if not trusted.trust(address):
            return bucket(address)
        if nearest is None:
            nearest = address
    # Every hop is in a trusted range. Entries left of the rightmost may come from a client inside a trusted
    # range, so they are never the key (rotating them would reset the limit): the rightmost is, or the peer.
    origin = nearest if nearest is not None else peer_address
    return bucket(origin) if origin is not None else UNIX

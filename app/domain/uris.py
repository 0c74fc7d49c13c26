"""The URI a signed message names (its `URI:` line), split into parts, and the AUTH_URIS entries it may match.

A wallet shows the URI as what the user signs in to, so a message naming a phishing page
(`URI: https://evil.example/phish`) or a script (`URI: javascript:...`) must not sign anyone in. Nothing here
normalises: schemes, authorities and paths are compared as the parts of the text that was signed, byte for
byte (no case folding, no default port dropped, no percent-decoding, no dot-segment removal). The policy
itself (the message's own domain, or an entry) is app.domain.policy.uri_problem.

This module is a leaf of the domain: it imports only the grammar.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from app.domain import grammar

# RFC 3986 Appendix B: splits any URI reference; for one that matches grammar.uri_re, exactly into its parts.
_PARTS = re.compile(r"(?P<scheme>[^:/?#]+):(?://(?P<authority>[^/?#]*))?(?P<path>[^?#]*)(?:\?[^#]*)?(?:#.*)?")
WEB_SCHEMES = ("https", "http")


@dataclass(frozen=True, slots=True)
class UriParts:
    scheme: str
    authority: str | None  # None when there is no `//` (javascript:, data:, urn:, mailto:)
    path: str


def split_uri(uri: str) -> UriParts | None:
    """The parts of an RFC 3986 URI, as written; None for anything that is not one."""
    if grammar.uri_re.fullmatch(uri) is None:
        return None
    match = _PARTS.fullmatch(uri)
    assert match is not None  # every URI fits Appendix B's pattern
    return UriParts(match["scheme"], match["authority"], match["path"])


def has_dot_segment(path: str) -> bool:
    """Whether the path holds a `.` or `..` segment, also percent-encoded (`%2e`): one a browser would
    resolve away, climbing out of a prefix (`/app/../phish`)."""
    return any(segment.lower().replace("%2e", ".") in (".", "..") for segment in path.split("/"))


@dataclass(frozen=True, slots=True)
class AllowedUri:
    """An AUTH_URIS entry: an origin (`https://app.example`: any URI of exactly that scheme and authority) or a
    prefix (`https://app.example/login/`: such a URI whose path starts with `/login/`; the entry's path ends in
    `/`, so it only ever matches on a segment boundary, and a path with a dot segment never matches)."""

    scheme: str
    authority: str
    path_prefix: str | None  # None: the whole origin

    def admits(self, uri: UriParts) -> bool:
        if (uri.scheme, uri.authority) != (self.scheme, self.authority):
            return False
        if self.path_prefix is None:
            return True
        return uri.path.startswith(self.path_prefix) and not has_dot_segment(uri.path)


def _port_problem(authority: str, scheme: str) -> str | None:
    host = grammar.host_of(authority)
    port = authority[len(host) :].removeprefix(":") if authority != host else None
    if port is None:
        return None
    if not port.isdigit() or port != str(int(port)) or not 1 <= int(port) <= 65535:
        return "its port must be a number from 1 to 65535 without leading zeros"
    if int(port) == (443 if scheme == "https" else 80):
        return f"leave out the default port {port}, as a browser's origin does"
    return None


@lru_cache(maxsize=256)
def allowed_uri(entry: str) -> AllowedUri:
    """Parse an AUTH_URIS entry; ValueError (one line, naming the entry) if it is not an origin or a prefix as
    documented. Written the way a browser serialises an origin: lower case, no default port."""
    uri = split_uri(entry)
    if uri is None or uri.scheme not in WEB_SCHEMES or not uri.authority:
        raise ValueError(
            f"{entry!r} is not an http(s) origin or prefix such as https://app.example or https://app.example/login/"
        )
    if "@" in uri.authority:
        raise ValueError(f"{entry!r} carries userinfo (user@host): an origin has none")
    if not grammar.host_of(uri.authority):
        raise ValueError(f"{entry!r} has an empty host")
    if uri.authority != uri.authority.lower():
        raise ValueError(f"{entry!r}: write the host in lower case, as a browser's origin does")
    if (problem := _port_problem(uri.authority, uri.scheme)) is not None:
        raise ValueError(f"{entry!r}: {problem}")
    if "?" in entry or "#" in entry:
        raise ValueError(f"{entry!r} has a query or fragment: an entry is an origin or a path prefix")
    if uri.path == "":
        return AllowedUri(uri.scheme, uri.authority, None)
    if uri.path == "/":
        raise ValueError(f"{entry!r}: for the whole origin write it without the trailing slash")
    if not uri.path.endswith("/"):
        raise ValueError(f"{entry!r}: a prefix ends in '/' (it matches on a path-segment boundary)")
    if has_dot_segment(uri.path):
        raise ValueError(f"{entry!r} has a '.' or '..' path segment")
    return AllowedUri(uri.scheme, uri.authority, uri.path)

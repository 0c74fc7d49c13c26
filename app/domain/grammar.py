"""The EIP-4361 ABNF, and the RFC 3986 / RFC 3339 rules it borrows, as compiled regular expressions.

Each pattern accepts exactly the language of its ABNF rule (RFC 5234 string literals are case-insensitive,
so ``"v"`` in IPvFuture and the hex digits match both cases). Repetitions whose characters cannot also start
what follows them are possessive (``*+``): that keeps the language and rules out backtracking, so matching
is linear in the input. Patterns are matched one field at a time with ``fullmatch``; nothing here is
anchored with ``$`` (which would also match before a final newline).

This module is a leaf: it imports nothing from the application.
"""

import re

_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT_ENCODED = r"%[0-9A-Fa-f]{2}"
_HEXDIG = r"[0-9A-Fa-f]"

_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT_ENCODED})"

_DEC_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_IPV4_ADDRESS = rf"{_DEC_OCTET}\.{_DEC_OCTET}\.{_DEC_OCTET}\.{_DEC_OCTET}"


def _ipv6_address() -> str:
    """RFC 3986 IPv6address: nine alternatives, by how many 16-bit pieces stand before and after `::`."""
    h16 = f"{_HEXDIG}{{1,4}}"
    ls32 = f"(?:{h16}:{h16}|{_IPV4_ADDRESS})"
    alternatives = [f"(?:{h16}:){{6}}{ls32}", f"::(?:{h16}:){{5}}{ls32}"]
    tails = [
        f"(?:{h16}:){{4}}{ls32}",
        f"(?:{h16}:){{3}}{ls32}",
        f"(?:{h16}:){{2}}{ls32}",
        f"{h16}:{ls32}",
        ls32,
        h16,
        "",
    ]
    for before, tail in enumerate(tails):
        alternatives.append(f"(?:(?:{h16}:){{0,{before}}}{h16})?::{tail}")
    return "(?:" + "|".join(alternatives) + ")"


_IPV_FUTURE = rf"[vV]{_HEXDIG}+\.[{_UNRESERVED}{_SUB_DELIMS}:]+"
_IP_LITERAL = rf"\[(?:{_ipv6_address()}|{_IPV_FUTURE})\]"
# host = IP-literal / IPv4address / reg-name; every IPv4address is also a reg-name, so the language of
# host is IP-literal / reg-name.
_REG_NAME = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT_ENCODED})*+"
_HOST = rf"(?:{_IP_LITERAL}|{_REG_NAME})"
_USERINFO = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT_ENCODED})*+"
AUTHORITY = rf"(?:{_USERINFO}@)?{_HOST}(?::[0-9]*+)?"

SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*+"
_SEGMENT = rf"{_PCHAR}*+"
_SEGMENT_NZ = rf"{_PCHAR}++"
_PATH_ABEMPTY = rf"(?:/{_SEGMENT})*+"
_PATH_ABSOLUTE = rf"/(?:{_SEGMENT_NZ}(?:/{_SEGMENT})*+)?"
_PATH_ROOTLESS = rf"{_SEGMENT_NZ}(?:/{_SEGMENT})*+"
_HIER_PART = rf"(?://{AUTHORITY}{_PATH_ABEMPTY}|{_PATH_ABSOLUTE}|{_PATH_ROOTLESS}|)"
_QUERY = rf"(?:{_PCHAR}|[/?])*+"
URI = rf"{SCHEME}:{_HIER_PART}(?:\?{_QUERY})?(?:#{_QUERY})?"

# statement = *( reserved / unreserved / " " ): printable ASCII without % " < > \ ^ ` { | }
STATEMENT = rf"[{_UNRESERVED}:/?#\[\]@{_SUB_DELIMS} ]*+"
REQUEST_ID = rf"{_PCHAR}*+"
NONCE = r"[A-Za-z0-9]{8,}+"
CHAIN_ID = r"[0-9]++"
ADDRESS = r"0x[0-9A-Fa-f]{40}"

# RFC 3339 date-time. The ABNF admits a lower-case "t" and "z"; we take only the upper-case forms every
# SIWE library prints (app.domain.messages.timestamp_seconds checks the ranges after matching).
DATE_TIME = (
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]++))?"
    r"(?:Z|(?P<sign>[+-])(?P<offset_hour>[0-9]{2}):(?P<offset_minute>[0-9]{2}))"
)

HEADER_SUFFIX = " wants you to sign in with your Ethereum account:"
HEADER = rf"(?:(?P<scheme>{SCHEME})://)?(?P<domain>{AUTHORITY}){HEADER_SUFFIX}"

authority_re = re.compile(AUTHORITY)
uri_re = re.compile(URI)
statement_re = re.compile(STATEMENT)
request_id_re = re.compile(REQUEST_ID)
nonce_re = re.compile(NONCE)
chain_id_re = re.compile(CHAIN_ID)
address_re = re.compile(ADDRESS)
date_time_re = re.compile(DATE_TIME)
header_re = re.compile(HEADER)
scheme_re = re.compile(SCHEME)


def host_of(authority: str) -> str:
    """The host of an RFC 3986 authority: without userinfo and port (empty for "@", ":" or ":8000", which
    the grammar allows)."""
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]

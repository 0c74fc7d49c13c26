"""CACAO (CAIP-74) sign-ins, as WalletConnect's one-click auth and Reown AppKit hand them over, back to the exact
EIP-4361 text the wallet signed.

A CACAO does not carry that text: `{"h": {"t": "caip122"}, "p": {iss, domain, aud, ...}, "s": {"t", "s"}}`. The
wallet made it with @walletconnect/utils' formatMessage(p, iss), and so does `cacao_message`, byte for byte
(@walletconnect/utils 2.23), quirks included:
- the address and the chain id are copied verbatim from `iss` (`did:pkh:eip155:<chain>:<address>`): a lower-case
  address or a chain id with a leading zero make a text that EIP-4361's parser then refuses;
- `URI:` is `aud`; optional fields are written only when truthy (an empty `exp`, `nbf`, `requestId` or
  `statement` is left out), in the order Expiration Time, Not Before, Request ID, Resources;
- `resources` present but empty still writes a `Resources:` line (with no item under it);
- when the last resource is a ReCap, the statement gets WalletConnect's ReCap sentence appended (after a space,
  or as the whole statement), unless it already holds the sentence's preamble, then it is kept as it is.

Only the shape is checked here (InvalidMessage otherwise); what the text says is for EIP-4361's parser and the
sign-in policy (app.domain.messages.parse_message, app.domain.recaps.read_recap).

This module is a leaf of the domain: it imports only the ReCaps and the errors.
"""

import re
from collections.abc import Mapping
from typing import Any

from app.domain.recaps import PREAMBLE, SCHEME, decode_recap, walletconnect_recap_statement
from app.errors import InvalidMessage, shown

HEADER_TYPE = "caip122"
SIGNATURE_TYPES = ("eip191", "eip1271")
REQUIRED = ("domain", "aud", "version", "nonce", "iat")
OPTIONAL = ("exp", "nbf", "requestId", "statement")
# CAIP-10 on did:pkh, for eip155 only: a CAIP-2 reference is at most 32 characters
_ISS = re.compile(r"did:pkh:eip155:(?P<chain>[0-9]{1,32}):(?P<address>0x[0-9A-Fa-f]{40})")


def cacao_message(cacao: Mapping[str, Any]) -> tuple[str, str]:
    """The EIP-4361 text WalletConnect's formatMessage(cacao.p, cacao.p.iss) writes, and the signature (`s.s`);
    InvalidMessage for a CACAO that is not shaped as WalletConnect hands them over."""
    header = _member(cacao, "h", "the CACAO")
    if header.get("t") != HEADER_TYPE:
        raise InvalidMessage(f"a CACAO's h.t must be {HEADER_TYPE!r}")
    payload = _member(cacao, "p", "the CACAO")
    signature = _member(cacao, "s", "the CACAO")
    if signature.get("t") not in SIGNATURE_TYPES:
        raise InvalidMessage("a CACAO's s.t must be 'eip191' or 'eip1271'")
    if not isinstance(signature.get("s"), str):
        raise InvalidMessage("a CACAO's s.s must be a string")
    iss = payload.get("iss")
    match = _ISS.fullmatch(iss) if isinstance(iss, str) else None
    if match is None:
        raise InvalidMessage("a CACAO's p.iss must be did:pkh:eip155:<chain id>:<0x and 40 hex digits>")
    fields = {name: _text(payload, name, required=True) for name in REQUIRED}
    fields |= {name: _text(payload, name, required=False) for name in OPTIONAL}
    resources = _resources(payload.get("resources"))
    statement = fields["statement"] or None
    if resources:
        statement = _with_recap_statement(statement, resources[-1])
    lines = [f"{fields['domain']} wants you to sign in with your Ethereum account:", match["address"], ""]
    if statement is not None:
        lines.append(statement)
    lines += [
        "",
        f"URI: {fields['aud']}",
        f"Version: {fields['version']}",
        f"Chain ID: {match['chain']}",
        f"Nonce: {fields['nonce']}",
        f"Issued At: {fields['iat']}",
    ]
    for name, tag in (("exp", "Expiration Time"), ("nbf", "Not Before"), ("requestId", "Request ID")):
        if fields[name]:
            lines.append(f"{tag}: {fields[name]}")
    if resources is not None:
        lines.append("Resources:" + "".join(f"\n- {resource}" for resource in resources))
    return "\n".join(lines), signature["s"]


def _member(container: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    value = container.get(name) if isinstance(container, Mapping) else None
    if not isinstance(value, Mapping):
        raise InvalidMessage(f"{where} must have an object {name!r}")
    return value


def _text(payload: Mapping[str, Any], name: str, *, required: bool) -> str:
    """A string member; absent or null is "" for an optional one (formatMessage leaves out what is falsy)."""
    value = payload.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        kind = "a non-empty string" if required else "a string"
        raise InvalidMessage(f"a CACAO's p.{name} must be {kind}")
    _one_line(value, f"p.{name}")
    return value


def _resources(resources: object) -> list[str] | None:
    if resources is None:
        return None
    if not isinstance(resources, list) or not all(isinstance(resource, str) for resource in resources):
        raise InvalidMessage("a CACAO's p.resources must be a list of strings")
    for resource in resources:
        _one_line(resource, "p.resources")
    return resources


def _one_line(value: str, where: str) -> None:
    # a line break in a field would write lines of another field: no wallet's CACAO holds one
    if "\n" in value or "\r" in value:
        raise InvalidMessage(f"a CACAO's {where} may not hold a line break")


def _with_recap_statement(statement: str | None, last: str) -> str | None:
    """formatMessage's statement when the last resource is a ReCap (which it decides with `includes`)."""
    if SCHEME not in last:
        return statement
    if not last.startswith(SCHEME):
        raise InvalidMessage(f"a CACAO's last resource {shown(last)} holds {SCHEME!r} other than as its scheme")
    recap = decode_recap(last)
    if any(not caveats for abilities in recap.att.values() for caveats in abilities.values()):
        raise InvalidMessage("WalletConnect writes no message for a ReCap ability with an empty caveat list")
    if statement is not None and f"{PREAMBLE} " in statement:
        return statement
    sentence = walletconnect_recap_statement(recap)
    return sentence if statement is None else f"{statement} {sentence}"

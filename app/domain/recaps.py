"""EIP-5573 ReCaps: the `urn:recap:` resource of a sign-in message, read and checked against its statement.

A ReCap is a capability the wallet delegates with the message it signs: a JSON object `{"att": {resource:
{"namespace/name": [caveat, ...]}}, "prf": [cid, ...]}` in the last resource, and, at the end of the statement, the
human-readable sentence the EIP derives from it. `read_recap` accepts one only if both say the same.

Decisions, where the EIP and WalletConnect's @walletconnect/utils (2.23) do not say the same thing:
- Encoding. The EIP asks for unpadded base64url. WalletConnect's encodeRecap writes Node's `"base64"` (the
  standard alphabet, `+` and `/`) with every `=` removed: unpadded standard base64. Both are taken; nothing
  else: no padding, no whitespace, not both alphabets in one payload, no length that is 1 modulo 4, no set
  trailing bits (the payload must be the one canonical encoding of its bytes). `+` and `/` appear in WalletConnect's
  output whenever a `?`, `>` or `~` of the JSON falls on every third byte, and with non-ASCII text.
- Resources in `att`. The EIP's schema wants URIs (RFC 3986 `scheme:...`). WalletConnect's one-click auth keys its
  own capability by the bare chain namespace `eip155` (createEncodedRecap(namespace, "request", methods)): that one
  key is taken besides URIs, no other.
- Statement. The EIP's translation algorithm lists, for each resource in `att` order, its abilities grouped by
  namespace (in the order the namespaces first appear, names in key order): `(1) 'ns': 'a', 'b' for 'uri'.`
  WalletConnect's formatStatementFromRecap instead sorts a resource's abilities by name (String.localeCompare,
  emulated here for the characters an ability name may hold) before grouping, joins a resource's entries with
  ", " and then turns only the first ".," back into "." (so a third namespace in one resource reads
  `'., (3)`). The statement may end with either sentence; it must be the whole statement or follow a space, as
  both the EIP's algorithm and WalletConnect write it. The two differ only for a resource whose namespaces
  interleave once sorted by name, whose keys are not in localeCompare order, or with three or more namespaces.
  WalletConnect's localeCompare runs in the wallet's locale; a locale that reorders Latin letters (Danish "aa",
  Lithuanian "y") could write an order neither derivation gives, and is refused.
- Key order. The EIP asks producers to sort keys by code unit; WalletConnect sorts them with localeCompare. The
  order is not checked: both statement derivations follow the object's own order, so what the wallet showed is
  what the claim carries.
- Empty lists. The EIP's own examples carry `"prf": []` and abilities with no caveat (`[]`), against its schema's
  minItems: both are taken (`prf` then is `()`); WalletConnect refuses an empty caveat list.
- Anything else in the object (an unknown top-level member, a repeated key, NaN, a lone surrogate, nesting
  deeper than MAX_DEPTH) is refused: the claim must hold exactly what the statement showed, as JSON.

This module is a leaf of the domain: it imports only the grammar and the errors.
"""

import binascii
import json
import math
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain import grammar
from app.errors import InvalidMessage, shown

SCHEME = "urn:recap:"
PREAMBLE = "I further authorize the stated URI to perform the following actions on my behalf:"
WALLETCONNECT_RESOURCE = "eip155"
MAX_PAYLOAD = 8 * 1024  # characters of base64: the whole message is at most 8 KiB anyway
MAX_DEPTH = 16  # of JSON nesting, the top-level object being 1

# The EIP's regex writes the name part `[a-zA-z0-9.*_+-]` (A-z also spans [\]^_`); its prose, followed here, does not
_ABILITY = re.compile(r"[A-Za-z0-9.*_+\-]++/[A-Za-z0-9.*_+\-]++")
_BASE64URL = re.compile(r"[A-Za-z0-9_\-]*+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*+")
_URL_TO_STANDARD = str.maketrans("-_", "+/")
_CID = re.compile(r"[A-Za-z0-9]++")  # multibase CIDs as CIDs are written: base58btc, base32, base36

Att = dict[str, dict[str, list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class Recap:
    """A ReCap Details Object: `att` as decoded (resource -> "namespace/name" -> caveats, in the payload's order)
    and its proofs. Treat both as read-only."""

    att: Att
    prf: tuple[str, ...] = field(default=())

    def as_claim(self) -> dict[str, Any]:
        """The object as a token claim: `{"att": ..., "prf": [...]}`, `prf` only when there are proofs."""
        claim: dict[str, Any] = {"att": self.att}
        if self.prf:
            claim["prf"] = list(self.prf)
        return claim


def is_recap_resource(resource: str) -> bool:
    """Whether a resource is a ReCap URI (whatever the case of its scheme, so that none is passed over)."""
    return resource[: len(SCHEME)].lower() == SCHEME


def read_recap(statement: str | None, resources: tuple[str, ...] | None) -> Recap | None:
    """The ReCap of a message (None without a `urn:recap:` resource); InvalidMessage unless it is the one and
    last such resource, holds a valid ReCap and the statement ends with the sentence derived from it."""
    if not resources:
        return None
    at = [index for index, resource in enumerate(resources) if is_recap_resource(resource)]
    if not at:
        return None
    if len(at) > 1:
        raise InvalidMessage(f"a message may carry one urn:recap: resource (EIP-5573), this one has {len(at)}")
    if at[0] != len(resources) - 1:
        raise InvalidMessage("the urn:recap: resource must be the last resource (EIP-5573)")
    recap = decode_recap(resources[-1])
    check_statement(statement, recap)
    return recap


def check_statement(statement: str | None, recap: Recap) -> None:
    """InvalidMessage unless the statement ends with the ReCap statement, as the EIP or WalletConnect derive it."""
    expected = recap_statement(recap)
    if _ends_with(statement, expected):
        return
    written = walletconnect_recap_statement(recap)
    if written != expected and _ends_with(statement, written):
        return
    raise InvalidMessage(
        "the statement must end with the ReCap statement derived from its urn:recap: resource (EIP-5573): "
        + shown(expected, 200)
    )


def _ends_with(statement: str | None, sentence: str) -> bool:
    return statement is not None and (statement == sentence or statement.endswith(" " + sentence))


def recap_statement(recap: Recap) -> str:
    """The ReCap statement, by the EIP's translation algorithm."""
    parts = [PREAMBLE]
    number = 0
    for resource, abilities in recap.att.items():
        for namespace, names in _grouped(ability.partition("/")[::2] for ability in abilities).items():
            number += 1
            parts.append(f" ({number}) '{namespace}': {_quoted(names)} for '{resource}'.")
    return "".join(parts)


def walletconnect_recap_statement(recap: Recap) -> str:
    """The ReCap statement as WalletConnect's formatStatementFromRecap writes it (see the module docstring), for a
    ReCap `decode_recap` gave."""
    sentences = []
    number = 0
    for resource, abilities in recap.att.items():
        actions = sorted((ability.partition("/")[::2] for ability in abilities), key=lambda pair: sort_key(pair[1]))
        entries = []
        for namespace, names in _grouped(actions).items():
            number += 1
            entries.append(f"({number}) '{namespace}': {_quoted(names)} for '{resource}'.")
        sentences.append(", ".join(entries).replace(".,", ".", 1))
    return f"{PREAMBLE} {' '.join(sentences)}"


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for namespace, name in pairs:
        groups.setdefault(namespace, []).append(name)
    return groups


# String.localeCompare (ICU's root collation, which en and most locales keep for ASCII) on the characters of an
# ability name: punctuation before digits before letters, letters case-blind first; on a tie, lower case first.
_PRIMARY = {char: weight for weight, char in enumerate("_-.*+" + string.digits)} | {
    char: 15 + weight for weight, letter in enumerate(string.ascii_lowercase) for char in (letter, letter.upper())
}


def sort_key(name: str) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    """Orders ability names as JavaScript's `a.localeCompare(b)` does (for [A-Za-z0-9.*_+-] only)."""
    return tuple(_PRIMARY[char] for char in name), tuple(char.isupper() for char in name)


def decode_recap(resource: str) -> Recap:
    """The ReCap of a `urn:recap:` URI; InvalidMessage unless the payload is canonical unpadded base64url (or
    base64) of a UTF-8 JSON ReCap Details Object."""
    if not resource.startswith(SCHEME):
        raise InvalidMessage(f"a ReCap URI starts with {SCHEME!r} in lower case")
    document = _json_object(_payload_bytes(resource[len(SCHEME) :]))
    unknown = sorted(document.keys() - {"att", "prf"})
    if unknown:
        raise InvalidMessage(f"the ReCap has a member {shown(unknown[0])}: only att and prf are defined (EIP-5573)")
    if "att" not in document:
        raise InvalidMessage("the ReCap has no att: it must name at least one resource")
    return Recap(_att(document["att"]), _prf(document.get("prf", [])))


def _payload_bytes(payload: str) -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise InvalidMessage(f"the urn:recap: payload is longer than {MAX_PAYLOAD} characters")
    if "=" in payload:
        raise InvalidMessage("the urn:recap: payload must be unpadded base64url: no '='")
    if _BASE64URL.fullmatch(payload):
        standard = payload.translate(_URL_TO_STANDARD)
    elif _BASE64.fullmatch(payload):
        standard = payload  # WalletConnect's unpadded standard base64
    else:
        raise InvalidMessage("the urn:recap: payload must be unpadded base64url (or base64, not a mix of both)")
    if len(payload) % 4 == 1:
        raise InvalidMessage("the urn:recap: payload is not base64url: its length is 1 modulo 4")
    data = binascii.a2b_base64(standard + "=" * (-len(standard) % 4), strict_mode=True)
    if binascii.b2a_base64(data, newline=False).decode("ascii").rstrip("=") != standard:
        raise InvalidMessage("the urn:recap: payload is not canonical base64url: its last character has extra bits")
    return data


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidMessage("the urn:recap: payload is not UTF-8") from None
    try:
        document = json.loads(text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_float)
    except (ValueError, RecursionError):
        raise InvalidMessage("the urn:recap: payload is not JSON") from None
    if not isinstance(document, dict):
        raise InvalidMessage("the urn:recap: payload must be a JSON object")
    _check_json(document, 1)
    return document


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise InvalidMessage("the ReCap repeats a key in one object (EIP-5573 forbids it)")
    return result


def _constant(name: str) -> None:
    raise InvalidMessage(f"the ReCap holds {name}, which JSON does not have")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidMessage(f"the ReCap holds the number {shown(text)}, too large for JSON")
    return value


def _check_json(value: object, depth: int) -> None:
    """Deep enough for any real caveat, and only text that UTF-8 can carry (JSON's \\ud800 escapes cannot)."""
    if depth > MAX_DEPTH:
        raise InvalidMessage(f"the ReCap nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidMessage("the ReCap holds a lone UTF-16 surrogate (\\ud800-\\udfff)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, depth)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


def _att(att: object) -> Att:
    if not isinstance(att, dict) or not att:
        raise InvalidMessage("the ReCap's att must be an object naming at least one resource")
    for resource, abilities in att.items():
        if resource != WALLETCONNECT_RESOURCE and grammar.uri_re.fullmatch(resource) is None:
            raise InvalidMessage(f"the ReCap resource {shown(resource)} is not an RFC 3986 URI")
        if not isinstance(abilities, dict) or not abilities:
            raise InvalidMessage(f"the abilities of ReCap resource {shown(resource)} must be a non-empty object")
        _check_abilities(abilities)
    return att


def _check_abilities(abilities: Mapping[str, object]) -> None:
    for ability, caveats in abilities.items():
        if _ABILITY.fullmatch(ability) is None:
            raise InvalidMessage(
                f"the ReCap ability {shown(ability)} is not 'namespace/name' in letters, digits and . * _ + -"
            )
        if not isinstance(caveats, list) or not all(isinstance(caveat, dict) for caveat in caveats):
            raise InvalidMessage(f"the caveats of ReCap ability {shown(ability)} must be a list of objects")


def _prf(prf: object) -> tuple[str, ...]:
    if not isinstance(prf, list) or not all(isinstance(proof, str) for proof in prf):
        raise InvalidMessage("the ReCap's prf must be a list of strings (CIDs)")
    for proof in prf:
        if _CID.fullmatch(proof) is None:
            raise InvalidMessage(f"the ReCap proof {shown(proof)} is not a CID")
    return tuple(prf)

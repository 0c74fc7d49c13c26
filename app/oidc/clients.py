"""The relying parties this provider serves, registered in a JSON file (AUTH_OIDC_CLIENTS_FILE).

    {"clients": [{
        "client_id": "grafana",                                  required; 1-255 visible ASCII characters
        "name": "Grafana",                                       shown on the sign-in page; default: client_id
        "redirect_uris": ["https://grafana.example/login/generic_oauth"],   required, matched exactly
        "post_logout_redirect_uris": ["https://grafana.example/"],          default: none
        "token_endpoint_auth_method": "client_secret_basic",     or client_secret_post, or none (public, PKCE)
        "client_secret_hash": "scrypt$16384$8$1$...",            `python -m app oidc-secret`; not with none
        "scopes": ["openid", "profile", "offline_access"],       default ["openid"]; openid always
        "id_token_signed_response_alg": "RS256"                  or ES256 or EdDSA; default RS256
    }]}

Members are the client metadata names of RFC 7591 §2 and RP-Initiated Logout 1.0 where one exists. An
unknown member, a duplicate client_id and any other mistake stop the start with one line naming the client
and the member (`ClientsFileError`).

Redirect URIs (OAuth 2.0 Security BCP, RFC 9700 §4.1): absolute, no fragment (RFC 6749 §3.1.2), no
userinfo, and https:// — plain http:// only to the loopback host (localhost, 127.0.0.1, [::1]), where a
native app or a developer's machine listens.

Secrets are stored as scrypt hashes (`scrypt$n$r$p$salt$hash`, salt and hash base64url): n=2**14, r=8, p=1,
a 16-byte salt and 32 bytes out cost about 16 MiB and 33 ms of one core (measured on the development
machine), once per token request of a confidential client — the token endpoint's rate limit keeps a secret
guesser at a few guesses a second. Hashes are compared in constant time (hmac.compare_digest).
"""

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

TokenEndpointAuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]
IdTokenAlg = Literal["RS256", "ES256", "EdDSA"]
AUTH_METHODS: tuple[TokenEndpointAuthMethod, ...] = ("client_secret_basic", "client_secret_post", "none")
ID_TOKEN_ALGORITHMS: tuple[IdTokenAlg, ...] = ("RS256", "ES256", "EdDSA")
SCOPES = ("openid", "profile", "offline_access", "siwe")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
MAX_SECRET_LENGTH = 1024  # a longer "secret" is not one of ours: refused before any hashing
_MAX_SCRYPT_N = 2**20  # what a hash in the file may ask for (1 GiB with r=8): a bound on a typo's cost

_MEMBERS = frozenset(
    {
        "client_id",
        "name",
        "redirect_uris",
        "post_logout_redirect_uris",
        "token_endpoint_auth_method",
        "client_secret_hash",
        "scopes",
        "id_token_signed_response_alg",
    }
)


class ClientsFileError(ValueError):
    """A clients file that cannot be used; the message (one line) says where and why."""


@dataclass(frozen=True, slots=True)
class OidcClient:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    token_endpoint_auth_method: TokenEndpointAuthMethod = "client_secret_basic"
    secret_hash: str | None = None  # None exactly when token_endpoint_auth_method is "none"
    scopes: frozenset[str] = frozenset({"openid"})
    id_token_signed_response_alg: IdTokenAlg = "RS256"

    @property
    def is_public(self) -> bool:
        """A public client (RFC 6749 §2.1) has no secret and must use PKCE."""
        return self.token_endpoint_auth_method == "none"


@dataclass(frozen=True, slots=True)
class ClientRegistry:
    by_id: Mapping[str, OidcClient] = field(default_factory=dict)

    @classmethod
    def of(cls, clients: Iterable[OidcClient]) -> "ClientRegistry":
        registry: dict[str, OidcClient] = {}
        for client in clients:
            if client.client_id in registry:
                raise ValueError(f"client_id {client.client_id!r} is registered twice")
            registry[client.client_id] = client
        return cls(registry)

    def get(self, client_id: str) -> OidcClient | None:
        return self.by_id.get(client_id)

    def __len__(self) -> int:
        return len(self.by_id)


# --- secrets -----------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii() or any(c not in _B64_ALPHABET for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * r * (n + p + 2) + 2**20, dklen=HASH_BYTES
    )


def new_secret() -> str:
    """A new client secret: 32 random bytes, base64url (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The `scrypt$n$r$p$salt$hash` a clients file keeps of `secret` (a fresh salt each time)."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _parse_hash(secret_hash: str) -> tuple[int, int, int, bytes, bytes]:
    """n, r, p, salt and digest of a hash; ValueError saying why it is not one of ours."""
    parts = secret_hash.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("is not `scrypt$n$r$p$salt$hash` (make one with `python -m app oidc-secret`)")
    if not all(part.isascii() and part.isdigit() for part in parts[1:4]):
        raise ValueError("has a non-numeric scrypt parameter")
    n, r, p = (int(part) for part in parts[1:4])
    if not (SCRYPT_N <= n <= _MAX_SCRYPT_N and n & (n - 1) == 0) or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise ValueError(f"has scrypt parameters out of bounds (n a power of 2 in {SCRYPT_N}..{_MAX_SCRYPT_N})")
    try:
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        raise ValueError("has a salt or hash that is not base64url") from None
    if len(salt) < SALT_BYTES or len(digest) != HASH_BYTES:
        raise ValueError(f"needs a salt of at least {SALT_BYTES} bytes and a hash of {HASH_BYTES}")
    return n, r, p, salt, digest


def secret_matches(secret: str, secret_hash: str) -> bool:
    """Whether `secret` is the one `secret_hash` was made of; False for a malformed hash or secret."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return False
    try:
        n, r, p, salt, digest = _parse_hash(secret_hash)
    except ValueError:
        return False
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p), digest)


# --- the file ----------------------------------------------------------------------------------------------


def _uri_problem(uri: object) -> str | None:
    """Why `uri` cannot be a redirect URI, or None if it can."""
    if not isinstance(uri, str) or not uri:
        return "is not a non-empty string"
    if not uri.isascii() or any(c.isspace() or not c.isprintable() for c in uri):
        return "has spaces, control or non-ASCII characters"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "is not a URI"
    if not parts.scheme or not parts.netloc or not parts.hostname:
        return "is not an absolute URI with a host"
    if "#" in uri:
        return "has a fragment (RFC 6749 §3.1.2)"
    if "@" in parts.netloc:
        return "has userinfo"
    scheme = parts.scheme.lower()
    if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return "is plain http:// to a host other than localhost, 127.0.0.1 or [::1]: use https://"
    if scheme not in ("http", "https"):
        return "is neither https:// nor http:// to the loopback host"
    return None


def _uris(entry: Mapping[str, Any], member: str, *, required: bool) -> tuple[str, ...]:
    value = entry.get(member, [])
    if not isinstance(value, list):
        raise ValueError(f"{member} is not a list of URIs")
    if required and not value:
        raise ValueError(f"{member} is empty: register at least one")
    for index, uri in enumerate(value):
        if (problem := _uri_problem(uri)) is not None:
            shown = f" {uri!r}" if isinstance(uri, str) else ""
            raise ValueError(f"{member}[{index}]{shown} {problem}")
    if len(set(value)) != len(value):
        raise ValueError(f"{member} names one URI twice")
    return tuple(value)


def _string(entry: Mapping[str, Any], member: str, default: str | None = None) -> str:
    value = entry.get(member, default)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{member} is {'missing' if member not in entry else 'not a non-empty string'}")
    return value


def _client(entry: object) -> OidcClient:
    if not isinstance(entry, Mapping):
        raise ValueError("is not a JSON object")
    if unknown := sorted(set(entry) - _MEMBERS):
        raise ValueError(f"unknown member(s) {', '.join(map(repr, unknown))} (known: {', '.join(sorted(_MEMBERS))})")
    client_id = _string(entry, "client_id")
    if len(client_id) > 255 or not all("!" <= c <= "~" for c in client_id):
        raise ValueError("client_id must be 1-255 visible ASCII characters, without spaces")
    name = _string(entry, "name", client_id)
    redirect_uris = _uris(entry, "redirect_uris", required=True)
    post_logout_redirect_uris = _uris(entry, "post_logout_redirect_uris", required=False)
    method = entry.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in AUTH_METHODS:
        raise ValueError(f"token_endpoint_auth_method {method!r} is not one of {', '.join(AUTH_METHODS)}")
    secret_hash = entry.get("client_secret_hash")
    if method == "none" and secret_hash is not None:
        raise ValueError("client_secret_hash is set for a public client (token_endpoint_auth_method none)")
    if method != "none":
        if not isinstance(secret_hash, str):
            raise ValueError(f"client_secret_hash is missing: {method} needs one (`python -m app oidc-secret`)")
        try:
            _parse_hash(secret_hash)
        except ValueError as exc:
            raise ValueError(f"client_secret_hash {exc}") from None
    scopes = entry.get("scopes", ["openid"])
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise ValueError("scopes is not a list of strings")
    if unknown_scopes := sorted(set(scopes) - set(SCOPES)):
        raise ValueError(f"scopes {', '.join(map(repr, unknown_scopes))} not offered (offered: {', '.join(SCOPES)})")
    if "openid" not in scopes:
        raise ValueError("scopes must include 'openid'")
    algorithm = entry.get("id_token_signed_response_alg", "RS256")
    if algorithm not in ID_TOKEN_ALGORITHMS:
        raise ValueError(f"id_token_signed_response_alg {algorithm!r} is not one of {', '.join(ID_TOKEN_ALGORITHMS)}")
    return OidcClient(
        client_id=client_id,
        name=name,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        token_endpoint_auth_method=cast(TokenEndpointAuthMethod, method),
        secret_hash=secret_hash,
        scopes=frozenset(scopes),
        id_token_signed_response_alg=cast(IdTokenAlg, algorithm),
    )


def _no_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        raise ValueError(f"member {duplicates[0]!r} appears twice in one object")
    return dict(pairs)


def clients_from_document(document: object) -> ClientRegistry:
    """The registry a parsed `{"clients": [...]}` document describes; ClientsFileError saying what is wrong."""
    if not isinstance(document, Mapping) or set(document) != {"clients"} or not isinstance(document["clients"], list):
        raise ClientsFileError('expected a JSON object {"clients": [...]} and nothing else')
    clients: dict[str, OidcClient] = {}
    for index, entry in enumerate(document["clients"]):
        named = entry.get("client_id") if isinstance(entry, Mapping) else None
        where = f"client {index}" + (f" ({named!r})" if isinstance(named, str) else "")
        try:
            client = _client(entry)
        except ValueError as exc:
            raise ClientsFileError(f"{where}: {exc}") from None
        if client.client_id in clients:
            raise ClientsFileError(f"{where}: client_id {client.client_id!r} is registered twice")
        clients[client.client_id] = client
    if not clients:
        raise ClientsFileError("no client is registered")
    return ClientRegistry(clients)


def load_clients(path: Path) -> ClientRegistry:
    """The clients of the file at `path`; ClientsFileError (one line: the file, the client, the reason)."""
    try:
        document = json.loads(path.read_text(), object_pairs_hook=_no_duplicate_members)
    except (OSError, ValueError) as exc:
        raise ClientsFileError(f"cannot read {path}: {exc}") from None
    try:
        return clients_from_document(document)
    except ClientsFileError as exc:
        raise ClientsFileError(f"{path}: {exc}") from None

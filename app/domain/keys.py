"""JWT signing keys: a JWK Set whose first key signs and whose keys are all published (RFC 7517).

Asymmetric keys come from AUTH_JWT_KEYS_FILE, or are generated at start-up (ephemeral). An HS256 secret
is never published: its JWKS is empty and other services validate through this service instead.
Key ids are RFC 7638 thumbprints unless the file names them.

Rotating without a logout storm (`python -m app keygen --stage/--rotate/--prune FILE`):
    stage   a new key goes second: published, not signing yet, so validators' caches learn it first;
    rotate  the staged key (or a new one) goes first and signs; the old signer stays, published, to
            validate the tokens it signed, and is marked retired;
    prune   keys retired longer ago than the longest access token lives are dropped.
The keys file records this in members of our own (web3auth_*); they are never published.
"""

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

_PUBLIC_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}
_ALGORITHM_CLASSES: dict[str, type[ECAlgorithm] | type[OKPAlgorithm] | type[RSAAlgorithm]] = {
    "ES256": ECAlgorithm,
    "EdDSA": OKPAlgorithm,
    "RS256": RSAAlgorithm,
}
MIN_RSA_BITS = 2048
STAGED = "web3auth_staged"
SIGNING_SINCE = "web3auth_signing_since"
RETIRED_AT = "web3auth_retired_at"


class KeyFileError(ValueError):
    """A keys file that cannot be used; the message says why."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private: Any  # a cryptography private key, or the HMAC secret bytes
    public: Any  # what verifies: a cryptography public key, or the HMAC secret bytes
    public_jwk: Mapping[str, str] | None  # None for a symmetric key: never published


@dataclass(frozen=True)
class KeySet:
    keys: tuple[SigningKey, ...]
    by_kid: Mapping[str, SigningKey] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_kid", {key.kid: key for key in self.keys})

    @property
    def signing(self) -> SigningKey:
        return self.keys[0]

    def signing_for(self, algorithm: str) -> SigningKey | None:
        """The key that signs with `algorithm` (a minimal stand-in for contract-15's: the first of that alg)."""
        return next((key for key in self.keys if key.algorithm == algorithm), None)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWK Set: public members plus kid, alg and use; never a private member."""
        return {"keys": [dict(key.public_jwk) for key in self.keys if key.public_jwk is not None]}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of a public key's required members."""
    members = _PUBLIC_MEMBERS[jwk["kty"]]
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _public_jwk(public_key: Any, algorithm: str, kid: str) -> dict[str, str]:
    jwk: dict[str, str] = _ALGORITHM_CLASSES[algorithm].to_jwk(public_key, as_dict=True)
    return {**{name: jwk[name] for name in _PUBLIC_MEMBERS[jwk["kty"]]}, "kid": kid, "alg": algorithm, "use": "sig"}


def _check_key_type(private_key: Any, algorithm: str) -> None:
    if algorithm == "ES256":
        ok = isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(private_key.curve, ec.SECP256R1)
        expected = "an EC key on P-256"
    elif algorithm == "EdDSA":
        ok, expected = isinstance(private_key, ed25519.Ed25519PrivateKey), "an Ed25519 (OKP) key"
    else:
        ok = isinstance(private_key, rsa.RSAPrivateKey) and private_key.key_size >= MIN_RSA_BITS
        expected = f"an RSA key of at least {MIN_RSA_BITS} bits"
    if not ok:
        raise KeyFileError(f"{algorithm} needs {expected}")


def signing_key_from_private(private_key: Any, algorithm: str, kid: str | None = None) -> SigningKey:
    _check_key_type(private_key, algorithm)
    public_key = private_key.public_key()
    kid = kid or thumbprint(_public_jwk(public_key, algorithm, ""))
    return SigningKey(kid, algorithm, private_key, public_key, _public_jwk(public_key, algorithm, kid))


def generate_private_key(algorithm: str) -> Any:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    raise KeyFileError(f"cannot generate a key for {algorithm}")


def generate_key_set(algorithm: str) -> KeySet:
    """A one-key set that lives as long as the process (ephemeral)."""
    return KeySet((signing_key_from_private(generate_private_key(algorithm), algorithm),))


def hmac_key_set(secret: bytes) -> KeySet:
    kid = "hs256-" + _b64url(hashlib.sha256(b"web3-auth kid\x00" + secret).digest()[:12])
    return KeySet((SigningKey(kid, "HS256", secret, secret, None),))


def private_jwk(private_key: Any, algorithm: str) -> dict[str, str]:
    """A private JWK (with kid and alg) for a keys file."""
    jwk: dict[str, str] = _ALGORITHM_CLASSES[algorithm].to_jwk(private_key, as_dict=True)
    return {**jwk, "kid": signing_key_from_private(private_key, algorithm).kid, "alg": algorithm}


def key_set_from_jwks(document: Mapping[str, Any], algorithm: str) -> KeySet:
    """Load a JWK Set of private keys; each must suit `algorithm` and have a distinct kid."""
    keys = []
    for index, entry in enumerate(_key_entries(document)):
        if entry.get("alg", algorithm) != algorithm:
            raise KeyFileError(f"key {index}: not a JWK for {algorithm}")
        if "d" not in entry:
            raise KeyFileError(f"key {index}: not a private key (no 'd' member)")
        try:
            private_key = jwt.PyJWK(entry, algorithm=algorithm).key
            keys.append(signing_key_from_private(private_key, algorithm, entry.get("kid")))
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
            raise KeyFileError(f"key {index}: {exc}") from None
    kids = [key.kid for key in keys]
    if len(set(kids)) != len(kids):
        raise KeyFileError("two keys share a kid")
    return KeySet(tuple(keys))


def load_key_set(path: Path, algorithm: str) -> KeySet:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"cannot read {path}: {exc}") from None
    try:
        return key_set_from_jwks(document, algorithm)
    except KeyFileError as exc:
        raise KeyFileError(f"{path}: {exc}") from None


def _key_entries(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list) or not entries or not all(isinstance(entry, Mapping) for entry in entries):
        raise KeyFileError('expected a JSON object {"keys": [...]} with at least one key')
    return [dict(entry) for entry in entries]


def signing_algorithm(document: Mapping[str, Any]) -> str:
    """The algorithm a keys file is for: its signing key's `alg`, ES256 if it names none."""
    algorithm = _key_entries(document)[0].get("alg", "ES256")
    if algorithm not in _ALGORITHM_CLASSES:
        raise KeyFileError(f"unsupported alg {algorithm!r}")
    return str(algorithm)


def stage_key(document: Mapping[str, Any], algorithm: str) -> dict[str, Any]:
    """A new key in second place: published from the next start, signing only after `rotate_keys`."""
    keys = _key_entries(document)
    if any(key.get(STAGED) for key in keys):
        raise KeyFileError("a key is already staged: rotate it in first")
    staged = {**private_jwk(generate_private_key(algorithm), algorithm), STAGED: True}
    return {"keys": [keys[0], staged, *keys[1:]]}


def rotate_keys(document: Mapping[str, Any], algorithm: str, now: int) -> dict[str, Any]:
    """The staged key, or a new one, in first place (it signs from the next start); the old signer is
    kept, published and marked retired."""
    keys = _key_entries(document)
    staged = next((key for key in keys if key.get(STAGED)), None)
    if staged is None:
        signer = private_jwk(generate_private_key(algorithm), algorithm)
    else:
        keys.remove(staged)
        signer = {name: value for name, value in staged.items() if name != STAGED}
    keys[0] = {**keys[0], RETIRED_AT: now}
    return {"keys": [{**signer, SIGNING_SINCE: now}, *keys]}


def prune_keys(document: Mapping[str, Any], now: int, needed_for: int) -> dict[str, Any]:
    """Drop keys retired more than `needed_for` seconds ago (no token they signed can still be valid).
    The signer, staged keys and keys without a retirement time are kept."""
    signer, *others = _key_entries(document)
    kept = [key for key in others if not isinstance(key.get(RETIRED_AT), int) or now < key[RETIRED_AT] + needed_for]
    return {"keys": [signer, *kept]}

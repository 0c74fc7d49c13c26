"""ID tokens (OpenID Connect Core 1.0 §2, §3.1.3.6): a JWT signed with the key of the client's registered
id_token_signed_response_alg, header `kid` and `typ: JWT`.

Claims: iss, sub (the CAIP-10 account, `eip155:<chain id>:<EIP-55 address>`, as siwe-oidc), aud (the
client_id), exp, iat, auth_time, nonce (only when the authorization request carried one), at_hash and sid
(the session's id, which RP-Initiated Logout's id_token_hint names the session by), plus
what the caller adds (the `siwe` claim, the profile claims), which never overrides those.

at_hash (§3.1.3.6) is the base64url of the left half of the hash of the access token's ASCII, the hash being
the one the alg uses: SHA-256 for RS256 and ES256. EdDSA names no hash of its own; the OpenID Connect working
group settled on SHA-512 for Ed25519 (connect issue #1125, 25 November 2019; the Token Hash Algorithms
implementer's guide records it), which is what certified relying parties check, so EdDSA ID tokens (our
EdDSA keys are all Ed25519) carry the left 256 bits of SHA-512.
"""

import base64
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519

from app.domain.keys import KeySet
from app.oidc.clients import OidcClient

_TOKEN_HASHES: dict[str, Callable[[bytes], Any]] = {
    "RS256": hashlib.sha256,
    "ES256": hashlib.sha256,
    "EdDSA": hashlib.sha512,  # Ed25519 (see above)
}


def caip10_subject(chain_id: int, address: str) -> str:
    """The `sub` of an account: CAIP-10, with the address as given (EIP-55)."""
    return f"eip155:{chain_id}:{address}"


def token_hash(value: str, algorithm: str) -> str:
    """An ID token's *_hash of `value` (at_hash of an access token, c_hash of a code) for `algorithm`."""
    digest = _TOKEN_HASHES[algorithm](value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def siwe_claim(message: str, signature: str) -> dict[str, dict[str, str]]:
    """The `siwe` claim (siwe-oidc's `siwe` scope): the signed EIP-4361 text and its signature, so that a
    relying party can check the wallet's proof itself."""
    return {"siwe": {"message": message, "signature": signature}}


def mint_id_token(
    keys: KeySet,
    *,
    issuer: str,
    client: OidcClient,
    sub: str,
    nonce: str | None,
    auth_time: int,
    now: int,
    access_token: str,
    ttl: int,
    extra_claims: Mapping[str, Any] | None = None,
    sid: str | None = None,
) -> str:
    """An ID token for `client`, issued at `now` and valid `ttl` seconds, alongside `access_token`.
    LookupError when the key set holds no key of the client's alg (the start refuses such a configuration)."""
    algorithm = client.id_token_signed_response_alg
    key = keys.signing_for(algorithm)
    if key is None:
        raise LookupError(f"no {algorithm} key to sign ID tokens with")
    if algorithm == "EdDSA" and not isinstance(key.private, ed25519.Ed25519PrivateKey):
        raise LookupError("EdDSA ID tokens are signed with Ed25519 keys only")  # at_hash is defined for it
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": client.client_id,
        "exp": now + ttl,
        "iat": now,
        "auth_time": auth_time,
        **({"nonce": nonce} if nonce is not None else {}),
        "at_hash": token_hash(access_token, algorithm),
        **({"sid": sid} if sid is not None else {}),
    }
    payload = {**(extra_claims or {}), **claims}
    return jwt.encode(payload, key.private, algorithm=algorithm, headers={"kid": key.kid, "typ": "JWT"})

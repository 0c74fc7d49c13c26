"""Access-token validation against the JWT attacks of RFC 8725 and THREATS.md §1.G."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.domain.keys import KeySet, generate_key_set, hmac_key_set
from app.domain.tokens import (
    AccessClaims,
    TokenPolicy,
    TokenService,
    VerifiedTokens,
    new_refresh_token,
    refresh_token_hash,
)
from app.errors import InvalidToken

ISSUER, AUDIENCE = "https://auth.example.com", "web3-auth"
ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
POLICY = TokenPolicy(ISSUER, AUDIENCE, access_ttl=900, clock_skew=60)
KEYS = generate_key_set("ES256")
SERVICE = TokenService(KEYS, POLICY)


def now() -> int:
    return int(time.time())


def claims(**changes: Any) -> dict[str, Any]:
    issued = now()
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": ADDRESS,
        "chain_id": 1,
        "iat": issued,
        "nbf": issued,
        "exp": issued + 900,
        "jti": "token-id",
        "sid": "session-id",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def signed(payload: dict[str, Any], keys: KeySet = KEYS, **headers: Any) -> str:
    """A correctly signed token with any payload (PyJWS signs bytes; PyJWT would check the claims first)."""
    header = {"kid": keys.signing.kid, "typ": "at+jwt", **headers}
    algorithm = keys.signing.algorithm
    return jwt.api_jws.encode(json.dumps(payload).encode(), keys.signing.private, algorithm=algorithm, headers=header)


def b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def refused(token: str, at: float | None = None) -> None:
    with pytest.raises(InvalidToken):
        SERVICE.validate_access(token, time.time() if at is None else at)


def test_a_minted_token_validates_to_its_claims() -> None:
    issued = now()
    token, lifetime = SERVICE.mint_access(
        subject=ADDRESS, chain_id=137, session_id="sid-1", now=issued, not_after=issued + 10_000
    )
    assert lifetime == 900
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": KEYS.signing.kid, "typ": "at+jwt"}
    validated = SERVICE.validate_access(token, issued)
    account = f"eip155:137:{ADDRESS}"  # a token minted without accounts: its one account
    assert validated == AccessClaims(
        ADDRESS, 137, "sid-1", validated.token_id, issued, issued + 900, "", AUDIENCE, (account,)
    )
    payload = jwt.decode(token, options={"verify_signature": False})
    assert set(payload) == {"iss", "aud", "sub", "chain_id", "accounts", "iat", "nbf", "exp", "jti", "sid"}


def test_a_token_never_outlives_its_session() -> None:
    issued = now()
    token, lifetime = SERVICE.mint_access(
        subject=ADDRESS, chain_id=1, session_id="s", now=issued, not_after=issued + 30
    )
    assert lifetime == 30
    assert SERVICE.validate_access(token, issued).expires_at == issued + 30


def test_every_token_gets_a_new_jti() -> None:
    issued = now()
    tokens = {
        SERVICE.validate_access(
            SERVICE.mint_access(subject=ADDRESS, chain_id=1, session_id="s", now=issued, not_after=issued + 99)[0],
            issued,
        ).token_id
        for _ in range(20)
    }
    assert len(tokens) == 20


@pytest.mark.parametrize("algorithm", ["EdDSA", "RS256"])
def test_other_configured_algorithms_round_trip(algorithm: str) -> None:
    service = TokenService(generate_key_set(algorithm), POLICY)
    token, _ = service.mint_access(subject=ADDRESS, chain_id=1, session_id="s", now=now(), not_after=now() + 99)
    assert service.validate_access(token, time.time()).subject == ADDRESS


def test_hs256_round_trips_and_refuses_another_secret() -> None:
    service = TokenService(hmac_key_set(b"k" * 32), POLICY)
    token, _ = service.mint_access(subject=ADDRESS, chain_id=1, session_id="s", now=now(), not_after=now() + 99)
    assert service.validate_access(token, time.time()).subject == ADDRESS
    kid = jwt.get_unverified_header(token)["kid"]
    forged = jwt.encode(claims(), b"x" * 32, algorithm="HS256", headers={"kid": kid, "typ": "at+jwt"})
    with pytest.raises(InvalidToken):
        service.validate_access(forged, time.time())


@pytest.mark.parametrize("name", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(name: str) -> None:
    header = {"alg": name, "kid": KEYS.signing.kid, "typ": "at+jwt"}
    unsigned = f"{b64(header)}.{b64(claims())}"
    refused(unsigned + ".")
    refused(unsigned)
    refused(unsigned + "." + b64(b"sig"))


def test_hs256_keyed_with_our_public_key_is_refused() -> None:
    """Algorithm confusion (RFC 8725 §2.1): the public key's bytes used as an HMAC secret."""
    public = KEYS.signing.public
    for encoding, form in [
        (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        (serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint),
    ]:
        secret = public.public_bytes(encoding, form)
        header = {"alg": "HS256", "kid": KEYS.signing.kid, "typ": "at+jwt"}
        signing_input = f"{b64(header)}.{b64(claims())}".encode()
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        refused(f"{signing_input.decode()}.{b64(mac)}")


def test_another_curve_or_algorithm_with_our_kid_is_refused() -> None:
    for curve, algorithm in [(ec.SECP384R1(), "ES384"), (ec.SECP521R1(), "ES512"), (ec.SECP256K1(), "ES256K")]:
        key = ec.generate_private_key(curve)
        token = jwt.encode(claims(), key, algorithm=algorithm, headers={"kid": KEYS.signing.kid, "typ": "at+jwt"})
        refused(token)


def test_a_token_signed_by_another_es256_key_is_refused() -> None:
    refused(signed(claims(), keys=generate_key_set("ES256")))
    other = generate_key_set("ES256")
    refused(
        jwt.encode(
            claims(), other.signing.private, algorithm="ES256", headers={"kid": KEYS.signing.kid, "typ": "at+jwt"}
        )
    )


@pytest.mark.parametrize("signature", [b"\x00" * 64, (0).to_bytes(32, "big") * 2, b"\xff" * 64, b"\x00" * 72, b""])
def test_psychic_and_malformed_ecdsa_signatures_are_refused(signature: bytes) -> None:
    head, payload, _ = signed(claims()).split(".")
    refused(f"{head}.{payload}.{b64(signature)}")


def test_a_der_encoded_signature_is_refused() -> None:
    from cryptography.hazmat.primitives import hashes

    header = {"alg": "ES256", "kid": KEYS.signing.kid, "typ": "at+jwt"}
    signing_input = f"{b64(header)}.{b64(claims())}".encode()
    der = KEYS.signing.private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
    refused(f"{signing_input.decode()}.{b64(der)}")


def test_a_tampered_payload_is_refused() -> None:
    head, _, signature = signed(claims()).split(".")
    refused(f"{head}.{b64(claims(sub='0x' + '1' * 40))}.{signature}")


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "at+JWT+x", "refresh"])
def test_the_type_must_be_at_jwt(typ: str | None) -> None:
    header: dict[str, Any] = {"typ": typ} if typ is not None else {}
    token = jwt.encode(claims(), KEYS.signing.private, algorithm="ES256", headers={"kid": KEYS.signing.kid, **header})
    if typ is None:  # PyJWT adds "typ": "JWT" when the header has none
        assert jwt.get_unverified_header(token).get("typ") in (None, "JWT")
    refused(token)


def test_application_at_jwt_is_the_same_type() -> None:
    SERVICE.validate_access(signed(claims(), typ="application/at+jwt"), time.time())


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://auth.example.com.evil"},
        {"iss": "auth.example.com"},
        {"iss": ["https://auth.example.com"]},
        {"iss": "https://auth.example"},
        {"aud": "other"},
        {"aud": [AUDIENCE, "other"]},
        {"aud": [AUDIENCE]},
        {"aud": None},
        {"iss": None},
        {"exp": None},
        {"iat": None},
        {"nbf": None},
        {"sub": None},
        {"jti": None},
        {"sid": None},
        {"chain_id": None},
        {"chain_id": "1"},
        {"sub": 5},
        {"sid": ["s"]},
        {"exp": "9999999999"},
        {"exp": 1e20},
        {"exp": True},
        {"iat": "now"},
    ],
)
def test_claims_that_do_not_fit_are_refused(changes: dict[str, Any]) -> None:
    refused(signed(claims(**changes)))  # a None value removes the claim


def test_exp_is_strict_and_iat_nbf_have_skew() -> None:
    issued = now()
    token = signed(claims(iat=issued, nbf=issued, exp=issued + 100))
    SERVICE.validate_access(token, issued + 99.9)
    refused(token, at=issued + 100)
    refused(token, at=issued + 130)  # inside the clock skew: still expired
    SERVICE.validate_access(token, issued - 59)  # minted by a replica whose clock runs 59 s ahead
    refused(token, at=issued - 61)


@pytest.mark.parametrize(
    "extra",
    [
        {"crit": ["exp"]},
        {"crit": ["foo"], "foo": 1},
        {"crit": []},
        {"crit": "b64"},
        {"b64": False, "crit": ["b64"]},
    ],
)
def test_crit_headers_are_refused(extra: dict[str, Any]) -> None:
    refused(signed(claims(), **extra))


def test_embedded_keys_are_ignored() -> None:
    attacker = generate_key_set("ES256")
    jwk = dict(attacker.jwks()["keys"][0])
    token = jwt.encode(
        claims(),
        attacker.signing.private,
        algorithm="ES256",
        headers={"kid": KEYS.signing.kid, "typ": "at+jwt", "jwk": jwk, "jku": "http://127.0.0.1:9/keys", "x5u": "x"},
    )
    refused(token)


@pytest.mark.parametrize("kid", ["unknown", "../../dev/null", "' OR 1=1 --", "k" * 10_000, 5, None, ["a"]])
def test_unknown_or_odd_kids_are_refused(kid: Any) -> None:
    header = {"alg": "ES256", "typ": "at+jwt", **({"kid": kid} if kid is not None else {})}
    token = f"{b64(header)}.{b64(claims())}.{b64(b'x' * 64)}"
    refused(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a",
        "a.b",
        "a.b.c.d",
        "a.b.c.d.e",
        "..",
        f"{b64([])}.{b64(claims())}.{b64(b'x')}",
        f"{b64({'alg': 'ES256'})}.{b64([1])}.{b64(b'x')}",
        f"{b64({'alg': 'ES256'})}.{b64(b'not json')}.{b64(b'x')}",
        "eyJ" + "A" * 5000,
        "ünïcödé.ä.ö",
    ],
)
def test_structural_junk_is_refused(token: str) -> None:
    refused(token)


def test_refresh_tokens_carry_the_session_and_256_random_bits() -> None:
    token, digest = new_refresh_token("session-id")
    session_id, _, secret = token.partition(".")
    assert session_id == "session-id"
    assert len(base64.urlsafe_b64decode(secret + "=")) == 32
    assert digest == refresh_token_hash(token) != token
    assert new_refresh_token("session-id")[0] != token
    refused(token)  # a refresh token is not an access token


def test_verified_tokens_are_remembered_up_to_a_bound_oldest_forgotten_first() -> None:
    remembered = VerifiedTokens()
    first = signed(claims())
    SERVICE.validate_access(first, now())
    verified = SERVICE._verified.get(first)  # the service's own memory: the next call skips the signature
    assert verified is not None
    for index in range(VerifiedTokens.CAPACITY + 1):
        remembered.put(f"token-{index}", verified)
    assert remembered.get("token-0") is None
    assert remembered.get(f"token-{VerifiedTokens.CAPACITY}") == verified


def test_a_remembered_token_is_still_refused_once_expired() -> None:
    issued = now()
    token = signed(claims(iat=issued, nbf=issued, exp=issued + 10))
    assert SERVICE.validate_access(token, issued + 1).token_id
    refused(token, at=issued + 10)


def test_a_token_minted_before_tokens_carried_the_domain_is_the_first_domains() -> None:
    issued = now()
    old, _ = SERVICE.mint_access(subject=ADDRESS, chain_id=1, session_id="s", now=issued, not_after=issued + 99)
    assert "domain" not in jwt.decode(old, options={"verify_signature": False})
    later = TokenService(KEYS, TokenPolicy(ISSUER, AUDIENCE, 900, 60, default_domain="app.example"))
    assert later.validate_access(old, issued).domain == "app.example"


def test_a_domain_claim_that_is_no_string_is_refused() -> None:
    with pytest.raises(InvalidToken, match="domain must be a string"):
        SERVICE.validate_access(signed(claims(domain=["app.example"])), now())


def test_an_audience_list_is_refused_even_if_it_holds_ours() -> None:
    with pytest.raises(InvalidToken, match="Audience"):
        SERVICE.validate_access(signed(claims(aud=[AUDIENCE, "other"])), now())

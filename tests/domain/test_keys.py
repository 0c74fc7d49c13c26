import json
from pathlib import Path

import jwt
import pytest

from app.domain.keys import (
    RETIRED_AT,
    SIGNING_SINCE,
    STAGED,
    KeyFileError,
    generate_key_set,
    generate_private_key,
    hmac_key_set,
    key_set_from_jwks,
    load_key_set,
    private_jwk,
    prune_keys,
    rotate_keys,
    stage_key,
    thumbprint,
)

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


def test_rfc7638_thumbprint_example() -> None:
    # RFC 7638 §3.1
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiF"
        "V4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91"
        "CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
def test_a_generated_private_jwk_set_loads_and_publishes_only_public_members(algorithm: str, tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first, second = (private_jwk(generate_private_key(algorithm), algorithm) for _ in range(2))
    path.write_text(json.dumps({"keys": [first, second]}))
    keys = load_key_set(path, algorithm)
    assert keys.signing.kid == first["kid"]
    published = keys.jwks()["keys"]
    assert [key["kid"] for key in published] == [first["kid"], second["kid"]]
    for key in published:
        assert not PRIVATE_MEMBERS & set(key)
        assert (key["alg"], key["use"]) == (algorithm, "sig")
        assert key["kid"] == thumbprint(key)
        jwt.PyJWK(key)  # a valid public JWK


def test_an_hmac_secret_is_never_published() -> None:
    keys = hmac_key_set(b"s" * 32)
    assert keys.jwks() == {"keys": []}
    assert b"s" * 32 not in keys.signing.kid.encode()


def test_ephemeral_keys_differ() -> None:
    assert generate_key_set("ES256").signing.kid != generate_key_set("ES256").signing.kid


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({}, "at least one key"),
        ({"keys": []}, "at least one key"),
        ({"keys": "x"}, "at least one key"),
        ({"keys": [{"kty": "EC"}]}, "not a private key"),
        ({"keys": [{**private_jwk(generate_private_key("EdDSA"), "EdDSA")}]}, "not a JWK for ES256"),
        (
            {"keys": [{k: v for k, v in private_jwk(generate_private_key("RS256"), "RS256").items() if k != "alg"}]},
            "key 0",
        ),
        ({"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}]}, "key 0"),
    ],
)
def test_unusable_key_sets_are_refused_with_a_reason(document: dict, problem: str) -> None:
    with pytest.raises(KeyFileError, match=problem):
        key_set_from_jwks(document, "ES256")


def test_two_keys_with_one_kid_are_refused() -> None:
    key = private_jwk(generate_private_key("ES256"), "ES256")
    other = {**private_jwk(generate_private_key("ES256"), "ES256"), "kid": key["kid"]}
    with pytest.raises(KeyFileError, match="share a kid"):
        key_set_from_jwks({"keys": [key, other]}, "ES256")


def test_a_p384_key_is_not_an_es256_key() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    jwk = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP384R1()), as_dict=True)
    with pytest.raises(KeyFileError):
        key_set_from_jwks({"keys": [jwk]}, "ES256")


def test_a_small_rsa_key_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    jwk = RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=1024), as_dict=True)
    with pytest.raises(KeyFileError, match="2048"):
        key_set_from_jwks({"keys": [jwk]}, "RS256")


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key_set(tmp_path / "missing.json", "ES256")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key_set(tmp_path / "bad.json", "ES256")


def kids(document: dict) -> list[str]:
    return [key["kid"] for key in document["keys"]]


def test_stage_publishes_a_key_that_does_not_sign() -> None:
    start = {"keys": [private_jwk(generate_private_key("ES256"), "ES256")]}
    staged = stage_key(start, "ES256")
    assert kids(staged)[0] == kids(start)[0]
    assert len(staged["keys"]) == 2
    assert key_set_from_jwks(staged, "ES256").signing.kid == kids(start)[0]
    assert [key["kid"] for key in key_set_from_jwks(staged, "ES256").jwks()["keys"]] == kids(staged)
    with pytest.raises(KeyFileError, match="already staged"):
        stage_key(staged, "ES256")


def test_rotate_promotes_the_staged_key_and_keeps_the_old_signer() -> None:
    start = {"keys": [private_jwk(generate_private_key("ES256"), "ES256")]}
    staged = stage_key(start, "ES256")
    rotated = rotate_keys(staged, "ES256", now=1000)
    assert kids(rotated) == [kids(staged)[1], kids(staged)[0]]
    assert rotated["keys"][0][SIGNING_SINCE] == 1000
    assert STAGED not in rotated["keys"][0]
    assert rotated["keys"][1][RETIRED_AT] == 1000
    keys = key_set_from_jwks(rotated, "ES256")
    assert keys.signing.kid == kids(staged)[1]
    assert not {"web3auth_staged", "web3auth_retired_at", "web3auth_signing_since"} & set(keys.jwks()["keys"][1])


def test_rotate_without_a_staged_key_makes_a_new_one() -> None:
    start = {"keys": [private_jwk(generate_private_key("EdDSA"), "EdDSA")]}
    rotated = rotate_keys(start, "EdDSA", now=1000)
    assert len(rotated["keys"]) == 2
    assert kids(rotated)[1] == kids(start)[0]
    assert kids(rotated)[0] != kids(start)[0]


def test_prune_drops_only_keys_retired_longer_ago_than_tokens_live() -> None:
    document = {"keys": [private_jwk(generate_private_key("ES256"), "ES256")]}
    document = rotate_keys(document, "ES256", now=1000)  # key 2 retired at 1000
    document = rotate_keys(document, "ES256", now=2000)  # key 1 retired at 2000
    document = stage_key(document, "ES256")
    assert len(document["keys"]) == 4
    assert len(prune_keys(document, now=1000 + 960 - 1, needed_for=960)["keys"]) == 4
    pruned = prune_keys(document, now=1000 + 960, needed_for=960)
    assert kids(pruned) == [kid for kid in kids(document) if kid != kids(document)[-1]]
    assert len(prune_keys(document, now=10**9, needed_for=960)["keys"]) == 2  # the signer and the staged key

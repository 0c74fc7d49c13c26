"""Keys of several algorithms in one JWK Set: the access tokens' (AUTH_JWT_ALG, the first key) and the ID
tokens' (RS256, and ES256 or EdDSA on request), rotated apart; an access token is never validated with a key
of another algorithm; with OpenID Connect on, the start needs an RS256 key or makes an ephemeral one."""

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from app.config import Settings
from app.domain.keys import (
    RETIRED_AT,
    SIGNING_SINCE,
    STAGED,
    KeyFileError,
    KeySet,
    add_key,
    generate_key_set,
    generate_private_key,
    key_set_from_jwks,
    load_key_set,
    private_jwk,
    prune_keys,
    rotate_keys,
    stage_key,
)
from app.domain.tokens import TokenPolicy, TokenService
from app.errors import InvalidToken
from app.lifespan import lifespan_for, load_keys
from app.oidc.clients import hash_secret
from tests.support.app import app_client
from tests.support.wallets import new_wallet, sign

ISSUER = "https://auth.example.com"


def key(algorithm: str, **members: Any) -> dict[str, Any]:
    return {**private_jwk(generate_private_key(algorithm), algorithm), **members}


def algorithms(document: dict[str, Any]) -> list[str]:
    return [entry["alg"] for entry in document["keys"]]


def clients_file(tmp_path: Path) -> Path:
    path = tmp_path / "clients.json"
    entry = {"client_id": "rp", "redirect_uris": ["https://rp.example/cb"], "client_secret_hash": hash_secret("s")}
    path.write_text(json.dumps({"clients": [entry]}))
    return path


def keys_file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(document))
    path.chmod(0o600)
    return path


# --- the key set ---------------------------------------------------------------------------------------------


def test_a_set_of_several_algorithms_loads_and_publishes_them_all(tmp_path: Path) -> None:
    es256, rs256, eddsa = key("ES256"), key("RS256"), key("EdDSA")
    keys = load_key_set(keys_file(tmp_path, {"keys": [es256, rs256, eddsa]}), "ES256")
    assert keys.signing.kid == es256["kid"]  # the access tokens' key is still the first
    assert keys.signing_for("ES256") is keys.signing
    assert keys.signing_for("RS256") is keys.by_kid[rs256["kid"]]
    assert keys.signing_for("EdDSA") is keys.by_kid[eddsa["kid"]]
    assert keys.signing_for("HS256") is None
    assert keys.signing_algorithms == ("ES256", "RS256", "EdDSA")
    published = {entry["kid"]: entry["alg"] for entry in keys.jwks()["keys"]}
    assert published == {es256["kid"]: "ES256", rs256["kid"]: "RS256", eddsa["kid"]: "EdDSA"}


def test_the_first_key_must_be_of_the_access_tokens_algorithm() -> None:
    with pytest.raises(KeyFileError, match="key 0: not a JWK for ES256: the first key signs access tokens"):
        key_set_from_jwks({"keys": [key("RS256"), key("ES256")]}, "ES256")


def test_a_later_key_of_an_unsupported_algorithm_is_refused() -> None:
    with pytest.raises(KeyFileError, match="key 1: unsupported alg 'HS256'"):
        key_set_from_jwks({"keys": [key("ES256"), {**key("ES256"), "alg": "HS256"}]}, "ES256")
    with pytest.raises(KeyFileError, match="key 1"):  # a key that does not suit the alg it names
        key_set_from_jwks({"keys": [key("ES256"), {**key("EdDSA"), "alg": "RS256"}]}, "ES256")


def test_signing_for_skips_staged_and_retired_keys() -> None:
    old, staged, current = key("RS256", **{RETIRED_AT: 100}), key("RS256", **{STAGED: True}), key("RS256")
    keys = key_set_from_jwks({"keys": [key("ES256"), old, staged, current]}, "ES256")
    signer = keys.signing_for("RS256")
    assert signer is not None
    assert signer.kid == current["kid"]
    assert (keys.by_kid[old["kid"]].retired, keys.by_kid[staged["kid"]].staged) == (True, True)
    assert not signer.staged
    assert not signer.retired
    only_retired = key_set_from_jwks({"keys": [key("ES256"), old, staged]}, "ES256")
    assert only_retired.signing_for("RS256") is None
    assert only_retired.signing_algorithms == ("ES256",)


def test_an_ephemeral_set_holds_one_key_per_algorithm() -> None:
    keys = generate_key_set("ES256", "RS256")
    assert [entry.algorithm for entry in keys.keys] == ["ES256", "RS256"]
    assert keys.signing.algorithm == "ES256"
    one = generate_key_set("RS256", "RS256")  # RS256 access tokens: their key signs ID tokens too
    assert one.keys == (one.signing,)


# --- keys of each algorithm change on their own --------------------------------------------------------------


def test_add_appends_a_signing_key_of_another_algorithm_once() -> None:
    start = {"keys": [key("ES256")]}
    added = add_key(start, "RS256", now=1000)
    assert algorithms(added) == ["ES256", "RS256"]
    assert added["keys"][0] == start["keys"][0]
    assert added["keys"][1][SIGNING_SINCE] == 1000
    keys = key_set_from_jwks(added, "ES256")
    assert keys.signing.kid == start["keys"][0]["kid"]
    assert keys.signing_for("RS256") is keys.keys[1]
    with pytest.raises(KeyFileError, match="an RS256 key signs here already"):
        add_key(added, "RS256", now=1000)
    with pytest.raises(KeyFileError, match="an ES256 key signs here already"):
        add_key(added, "ES256", now=1000)


def test_staging_and_rotating_the_rs256_key_leaves_the_access_tokens_key_alone() -> None:
    es256 = key("ES256")
    document = add_key({"keys": [es256]}, "RS256", now=1000)
    first_rs256 = document["keys"][1]["kid"]
    staged = stage_key(document, "RS256")
    assert [entry.get(STAGED, False) for entry in staged["keys"]] == [False, False, True]
    assert algorithms(staged) == ["ES256", "RS256", "RS256"]
    assert stage_key(staged, "ES256")["keys"][1][STAGED]  # one staged key per algorithm
    with pytest.raises(KeyFileError, match="already staged for RS256"):
        stage_key(staged, "RS256")
    rotated = rotate_keys(staged, "RS256", now=2000)
    assert rotated["keys"][0] == es256  # neither moved nor retired
    keys = key_set_from_jwks(rotated, "ES256")
    signer = keys.signing_for("RS256")
    assert signer is not None
    assert signer.kid == staged["keys"][2]["kid"]
    assert keys.by_kid[first_rs256].retired
    assert rotated["keys"][2][RETIRED_AT] == 2000
    assert keys.signing.kid == es256["kid"]
    pruned = prune_keys(rotated, now=10_000, needed_for=1000)
    assert [entry["kid"] for entry in pruned["keys"]] == [es256["kid"], signer.kid]


def test_rotating_the_access_tokens_key_leaves_the_rs256_key_signing() -> None:
    document = add_key({"keys": [key("ES256")]}, "RS256", now=1000)
    rs256 = document["keys"][1]
    rotated = rotate_keys(document, "ES256", now=2000)
    assert algorithms(rotated) == ["ES256", "ES256", "RS256"]
    assert rotated["keys"][1][RETIRED_AT] == 2000
    assert rotated["keys"][2] == rs256
    keys = key_set_from_jwks(rotated, "ES256")
    assert keys.signing.kid == rotated["keys"][0]["kid"]
    assert keys.signing_for("RS256") is keys.by_kid[rs256["kid"]]


def test_staging_or_rotating_an_algorithm_the_file_has_no_key_of_is_refused() -> None:
    with pytest.raises(KeyFileError, match="no RS256 key signs here: add one first"):
        stage_key({"keys": [key("ES256")]}, "RS256")
    with pytest.raises(KeyFileError, match="no RS256 key signs here: add one first"):
        rotate_keys({"keys": [key("ES256")]}, "RS256", now=1)


# --- access tokens keep their algorithm ----------------------------------------------------------------------


def access_claims() -> dict[str, Any]:
    issued = int(time.time())
    return {
        "iss": ISSUER,
        "aud": "web3-auth",
        "sub": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "chain_id": 1,
        "iat": issued,
        "nbf": issued,
        "exp": issued + 900,
        "jti": "token-id",
        "sid": "session-id",
    }


def test_a_token_signed_by_the_rs256_key_is_not_an_access_token() -> None:
    keys = key_set_from_jwks(add_key({"keys": [key("ES256")]}, "RS256", now=1), "ES256")
    service = TokenService(keys, TokenPolicy(ISSUER, "web3-auth", access_ttl=900, clock_skew=60))
    rs256 = keys.signing_for("RS256")
    assert rs256 is not None
    valid = jwt.encode(
        access_claims(), keys.signing.private, "ES256", headers={"kid": keys.signing.kid, "typ": "at+jwt"}
    )
    assert service.validate_access(valid, time.time()).session_id == "session-id"
    forged = [
        # a well-formed access token signed with the ID tokens' key
        jwt.encode(access_claims(), rs256.private, "RS256", headers={"kid": rs256.kid, "typ": "at+jwt"}),
        # an ES256 token that names the RS256 key
        jwt.encode(access_claims(), keys.signing.private, "ES256", headers={"kid": rs256.kid, "typ": "at+jwt"}),
    ]
    for token in forged:
        with pytest.raises(InvalidToken, match="unknown key id"):
            service.validate_access(token, time.time())


# --- the start -----------------------------------------------------------------------------------------------


def test_with_oidc_on_a_keys_file_without_rs256_stops_the_start_saying_how_to_add_one(tmp_path: Path) -> None:
    path = keys_file(tmp_path, {"keys": [key("ES256")]})
    settings = Settings(jwt_keys_file=path, oidc_clients_file=clients_file(tmp_path))
    with pytest.raises(KeyFileError) as refused:
        load_keys(settings)
    message = str(refused.value)
    assert "no RS256 key, which OpenID Connect needs for ID tokens" in message
    assert f"-m app keygen --alg RS256 --add {path}" in message
    assert "\n" not in message
    assert load_keys(Settings(jwt_keys_file=path)).signing_for("RS256") is None  # OIDC off: no need


def test_with_oidc_on_a_keys_file_with_rs256_serves_it(tmp_path: Path) -> None:
    path = keys_file(tmp_path, add_key({"keys": [key("EdDSA")]}, "RS256", now=1))
    keys = load_keys(Settings(jwt_alg="EdDSA", jwt_keys_file=path, oidc_clients_file=clients_file(tmp_path)))
    assert keys.signing_algorithms == ("EdDSA", "RS256")
    rs256_only = keys_file(tmp_path, {"keys": [key("RS256")]})
    keys = load_keys(Settings(jwt_alg="RS256", jwt_keys_file=rs256_only, oidc_clients_file=clients_file(tmp_path)))
    assert keys.signing_for("RS256") is keys.signing  # one key serves both


def test_ephemeral_keys_with_oidc_on_include_an_rs256_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    keys = load_keys(Settings(oidc_clients_file=clients_file(tmp_path)))
    assert keys.signing_algorithms == ("ES256", "RS256")
    rs256 = keys.signing_for("RS256")
    assert rs256 is not None
    assert f"ID tokens with an ephemeral RS256 key (kid {rs256.kid})" in caplog.text
    assert load_keys(Settings()).signing_algorithms == ("ES256",)  # off: as before
    caplog.clear()
    one = load_keys(Settings(jwt_alg="RS256", oidc_clients_file=clients_file(tmp_path)))
    assert one.keys == (one.signing,)  # RS256 access tokens: their key signs ID tokens too
    assert "ID tokens with" not in caplog.text


def test_hs256_with_oidc_on_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="AUTH_OIDC_CLIENTS_FILE needs published keys"):
        Settings(jwt_alg="HS256", jwt_secret="s" * 40, oidc_clients_file=clients_file(tmp_path))


async def test_the_lifespan_loads_the_clients_only_when_the_file_is_set(tmp_path: Path) -> None:
    async with lifespan_for(Settings(oidc_clients_file=clients_file(tmp_path)))(FastAPI()) as state:
        registry = state["services"].oidc_clients
        assert registry is not None
        assert [client.client_id for client in registry.by_id.values()] == ["rp"]
        assert isinstance(state["services"].keys, KeySet)
    async with lifespan_for(Settings())(FastAPI()) as state:
        assert state["services"].oidc_clients is None


async def test_with_oidc_on_the_jwks_publishes_both_keys_and_sign_in_still_works(tmp_path: Path) -> None:
    wallet = new_wallet()
    async with app_client(Settings(oidc_clients_file=clients_file(tmp_path))) as client:
        published = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert [entry["alg"] for entry in published] == ["ES256", "RS256"]
        challenge = (await client.post("/auth/challenge", json={"address": wallet.address})).json()
        verified = await client.post(
            "/auth/verify", json={"message": challenge["message"], "signature": sign(wallet, challenge["message"])}
        )
        assert verified.status_code == 200, verified.text
        token = verified.json()["access_token"]
        assert jwt.get_unverified_header(token)["alg"] == "ES256"
        me = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200

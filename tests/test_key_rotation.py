"""Rotating the signing key without a logout storm: keygen --stage/--rotate on a real keys file, two
deployments of the service (before and after) sharing one Redis."""

import json
import time
from pathlib import Path

import jwt
import pytest
from eth_account.signers.local import LocalAccount

from app.config import Settings
from tests.support.app import app_client, signed_in
from tests.support.process import run_app


def keygen(*args: str) -> str:
    result = run_app("keygen", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def validate_with_jwks(token: str, jwks: dict) -> dict:
    """As another service would: only the published keys, the pinned algorithm, audience and issuer."""
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims: dict = jwt.decode(token, key, algorithms=["ES256"], audience="web3-auth", issuer="http://localhost:8000")
    return claims


async def test_tokens_of_the_old_key_stay_valid_and_new_tokens_carry_the_new_kid(
    tmp_path: Path, redis_url: str, redis_prefix: str, wallet: LocalAccount
) -> None:
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(keygen())
    old_kid = json.loads(keys_file.read_text())["keys"][0]["kid"]
    settings = Settings(jwt_keys_file=keys_file, redis_url=redis_url, redis_prefix=redis_prefix)

    async with app_client(settings) as before:
        old_tokens = await signed_in(before, wallet)
    assert jwt.get_unverified_header(old_tokens["access_token"])["kid"] == old_kid

    keygen("--stage", str(keys_file))
    async with app_client(settings) as staged:
        published = [key["kid"] for key in (await staged.get("/.well-known/jwks.json")).json()["keys"]]
        assert published[0] == old_kid
        assert len(published) == 2
        new_kid = published[1]
        assert jwt.get_unverified_header((await signed_in(staged, wallet))["access_token"])["kid"] == old_kid

    keygen("--rotate", str(keys_file))
    async with app_client(settings) as after:
        jwks = (await after.get("/.well-known/jwks.json")).json()
        assert [key["kid"] for key in jwks["keys"]] == [new_kid, old_kid]
        new_tokens = await signed_in(after, wallet)
        assert jwt.get_unverified_header(new_tokens["access_token"])["kid"] == new_kid
        for tokens in (old_tokens, new_tokens):
            assert validate_with_jwks(tokens["access_token"], jwks)["sub"] == wallet.address
            me = await after.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
            assert me.status_code == 200, me.text
        refreshed = await after.post("/auth/refresh", json={"refresh_token": old_tokens["refresh_token"]})
        assert jwt.get_unverified_header(refreshed.json()["access_token"])["kid"] == new_kid


def test_prune_drops_only_keys_retired_long_enough_ago(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(keygen())
    keygen("--rotate", str(keys_file))
    keygen("--prune", str(keys_file))  # the old key was retired a moment ago: its tokens still live
    assert len(json.loads(keys_file.read_text())["keys"]) == 2
    assert (keys_file.stat().st_mode & 0o777) == 0o600
    keygen("--rotate", str(keys_file))
    document = json.loads(keys_file.read_text())
    now = int(time.time())
    # pretend the oldest key was retired two hours ago, the middle one 30 minutes ago
    document["keys"][2]["web3auth_retired_at"] = now - 7200
    document["keys"][1]["web3auth_retired_at"] = now - 1800
    keys_file.write_text(json.dumps(document))
    keygen("--prune", str(keys_file))  # 900 s tokens + 60 s skew + 3600 s rollout
    assert [key["kid"] for key in json.loads(keys_file.read_text())["keys"]] == [
        key["kid"] for key in document["keys"][:2]
    ]
    keygen("--prune", str(keys_file), "--rollout", "0")
    assert len(json.loads(keys_file.read_text())["keys"]) == 1


@pytest.mark.parametrize("content", ["{}", '{"keys": ["x"]}', '{"keys": [{"alg": "HS512"}]}', "not json", "[]"])
def test_keygen_refuses_a_broken_file_in_one_line(tmp_path: Path, content: str) -> None:
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(content)
    for action in ["--stage", "--rotate", "--prune"]:
        result = run_app("keygen", action, str(keys_file))
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert keys_file.read_text() == content

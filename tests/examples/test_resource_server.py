"""examples/resource_server against a running web3-auth: real HTTP, a real JWKS fetch."""

import importlib.util
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from app.config import Settings
from app.domain.keys import generate_private_key, private_jwk
from app.main import create_app
from tests.support.app import served
from tests.support.wallets import new_wallet, sign

EXAMPLE = Path(__file__).parents[2] / "examples" / "resource_server" / "app.py"
ISSUER, AUDIENCE = "https://auth.example.test", "orders-api"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_resource_server", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def keys_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One signing key for every web3-auth here, so tokens differ only in their claims."""
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    path.write_text(json.dumps({"keys": [private_jwk(generate_private_key("ES256"), "ES256")]}))
    return path


@pytest.fixture(scope="module")
def web3_auth(keys_file: Path) -> Iterator[str]:
    with served(create_app(Settings(issuer=ISSUER, audience=AUDIENCE, jwt_keys_file=keys_file))) as base_url:
        yield base_url


def sign_in(base_url: str) -> dict[str, str]:
    wallet = new_wallet()
    with httpx.Client(base_url=base_url) as http:
        message = http.post("/auth/challenge", json={"address": wallet.address}).json()["message"]
        tokens: dict[str, str] = http.post(
            "/auth/verify", json={"message": message, "signature": sign(wallet, message)}
        ).json()
        return {**tokens, "wallet": wallet.address}


@pytest.fixture
async def resource_server(web3_auth: str) -> AsyncIterator[httpx.AsyncClient]:
    app = load_example().create_app(issuer=ISSUER, audience=AUDIENCE, jwks_url=f"{web3_auth}/.well-known/jwks.json")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        yield client


async def test_a_web3_auth_token_is_accepted(resource_server: httpx.AsyncClient, web3_auth: str) -> None:
    tokens = sign_in(web3_auth)
    response = await resource_server.get("/whoami", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200, response.text
    assert response.json()["address"] == tokens["wallet"]
    assert response.json()["chain_id"] == 1


async def test_anything_else_is_refused(resource_server: httpx.AsyncClient, web3_auth: str) -> None:
    tokens = sign_in(web3_auth)
    head, payload, signature = tokens["access_token"].split(".")
    for header in [
        None,
        f"Bearer {tokens['refresh_token']}",
        f"Bearer {head}.{payload}.{signature[:-6]}AAAAAA",
        f"Bearer {head}.{payload[:-2]}.{signature}",
        f"Basic {tokens['access_token']}",
    ]:
        response = await resource_server.get("/whoami", headers={"Authorization": header} if header else {})
        assert response.status_code == 401, header


@pytest.mark.parametrize("claims", [{"audience": "another-api"}, {"issuer": "https://other.example.test"}])
async def test_a_token_for_another_audience_or_issuer_is_refused(
    resource_server: httpx.AsyncClient, keys_file: Path, claims: dict[str, str]
) -> None:
    settings = Settings(**{"issuer": ISSUER, "audience": AUDIENCE, **claims}, jwt_keys_file=keys_file)
    with served(create_app(settings)) as elsewhere:
        tokens = sign_in(elsewhere)
    response = await resource_server.get("/whoami", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 401
    assert ("audience" if "audience" in claims else "issuer") in response.json()["detail"].lower()


async def test_a_logged_out_token_still_validates_here_until_it_expires(
    resource_server: httpx.AsyncClient, web3_auth: str
) -> None:
    """What the example's docstring warns about: self-contained validation cannot see revocation."""
    tokens = sign_in(web3_auth)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.post(f"{web3_auth}/auth/logout", headers=bearer).status_code == 204
    assert (await resource_server.get("/whoami", headers=bearer)).status_code == 200
    assert httpx.get(f"{web3_auth}/auth/forward", headers=bearer).status_code == 401

"""examples/resource_server against a running web3-auth: real HTTP, a real JWKS fetch."""

import asyncio
import importlib.util
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import jwt
import pytest

from app.config import Settings
from app.domain.keys import generate_private_key, key_set_from_jwks, private_jwk
from app.main import create_app
from tests.support.app import served
from tests.support.http_server import serving
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


def resigned(token: str, keys_file: Path, header: dict[str, Any]) -> str:
    """`token`'s claims signed again with web3-auth's own (published) key, under another header."""
    key = key_set_from_jwks(json.loads(keys_file.read_text()), "ES256").signing
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, key.private, algorithm="ES256", headers={"kid": key.kid, **header})


@pytest.mark.parametrize("header", [{"typ": "JWT"}, {"typ": "JOSE"}, {"typ": "application/jwt"}, {"typ": None}])
async def test_a_token_of_another_type_is_refused_though_signed_with_a_published_key(
    resource_server: httpx.AsyncClient, web3_auth: str, keys_file: Path, header: dict[str, Any]
) -> None:
    """RFC 9068 §4 / RFC 8725 §3.11: an ID token or any other JWT the same key signs is not an access token."""
    tokens = sign_in(web3_auth)
    # the same claims under the access-token types are accepted: only the header's typ differs below
    for typ in ("at+jwt", "application/at+jwt"):
        accepted = resigned(tokens["access_token"], keys_file, {"typ": typ})
        response = await resource_server.get("/whoami", headers={"Authorization": f"Bearer {accepted}"})
        assert response.status_code == 200, response.text
    token = resigned(tokens["access_token"], keys_file, header)
    assert jwt.get_unverified_header(token).get("typ") == header.get("typ")
    response = await resource_server.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["detail"] == "not an access token"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


class JwksServer(ThreadingHTTPServer):
    """A JWKS endpoint whose key set a test changes, counting the fetches."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
                server.fetches += 1
                body = json.dumps(server.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/.well-known/jwks.json"


def jwks_server(jwks: dict[str, Any]) -> AbstractContextManager[JwksServer]:
    return serving(JwksServer(jwks))


async def test_a_key_pruned_from_the_jwks_is_refused_once_the_cached_set_expires(web3_auth: str) -> None:
    """No per-key cache that outlives the JWK Set: once the operator pruned a key (keygen --prune) and the
    cached set expired, tokens it signed are refused."""
    published = httpx.get(f"{web3_auth}/.well-known/jwks.json").json()
    with jwks_server(published) as jwks:
        app = load_example().create_app(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks.url, jwks_cache_seconds=2)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as resource_server:
            bearer = {"Authorization": f"Bearer {sign_in(web3_auth)['access_token']}"}
            assert (await resource_server.get("/whoami", headers=bearer)).status_code == 200
            assert (await resource_server.get("/whoami", headers=bearer)).status_code == 200
            assert jwks.fetches == 1  # the set is cached, not fetched per request

            other = private_jwk(generate_private_key("ES256"), "ES256")
            jwks.jwks = {"keys": [{k: v for k, v in other.items() if k != "d"}]}  # the old key pruned
            await asyncio.sleep(2.1)
            response = await resource_server.get("/whoami", headers=bearer)
            assert response.status_code == 401, response.text
            assert jwks.fetches == 2
            assert "unable to find a signing key" in response.json()["detail"].lower()

"""CORS (AUTH_CORS_ORIGINS): preflights answered for the listed origins only, never with credentials; the
headers on answers of every kind, refusals included; nothing at all when no origin is listed."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from app.config import Settings
from tests.support.app import GENEROUS_LIMITS, app_client, signed_in

FRONTEND = "https://app.example.com"
PREFLIGHT = {
    "origin": FRONTEND,
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type",
}


@pytest.fixture
async def http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    overrides: dict[str, Any] = {"cors_origins": [FRONTEND, "http://localhost:3000"], **GENEROUS_LIMITS}
    overrides.update(getattr(request, "param", {}))
    async with app_client(Settings(redis_url=None, **overrides)) as client:
        yield client


@pytest.mark.parametrize("path", ["/auth/challenge", "/auth/verify", "/auth/refresh", "/auth/logout"])
async def test_preflight_for_a_listed_origin(http: httpx.AsyncClient, path: str) -> None:
    response = await http.options(path, headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    allowed = set(response.headers["access-control-allow-headers"].lower().split(", "))
    assert {"authorization", "content-type"} <= allowed
    assert response.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]


async def test_preflight_with_the_bearer_header_for_me(http: httpx.AsyncClient) -> None:
    headers = {**PREFLIGHT, "access-control-request-method": "GET", "access-control-request-headers": "authorization"}
    response = await http.options("/auth/me", headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({"origin": "https://evil.example.com"}, "origin"),
        ({"origin": "https://app.example.com.evil.example"}, "origin"),  # exact origins, no prefix match
        ({"origin": "http://app.example.com"}, "origin"),  # another scheme is another origin
        ({"access-control-request-method": "DELETE"}, "method"),
        ({"access-control-request-headers": "x-custom"}, "headers"),
    ],
)
async def test_preflight_refused_in_the_error_envelope(
    http: httpx.AsyncClient, headers: dict[str, str], refused: str
) -> None:
    response = await http.options("/auth/challenge", headers={**PREFLIGHT, **headers})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["detail"].startswith(f"CORS preflight refused ({refused})")
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["cache-control"] == "no-store"


async def test_answers_carry_the_headers_a_page_may_read(http: httpx.AsyncClient, wallet: LocalAccount) -> None:
    response = await http.post("/auth/challenge", json={"address": wallet.address}, headers={"origin": FRONTEND})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND
    exposed = set(response.headers["access-control-expose-headers"].split(", "))
    assert {"Retry-After", "X-Request-ID", "RateLimit-Reset", "WWW-Authenticate"} <= exposed
    assert "access-control-allow-credentials" not in response.headers


async def test_no_allow_origin_for_other_origins(http: httpx.AsyncClient, wallet: LocalAccount) -> None:
    response = await http.post(
        "/auth/challenge", json={"address": wallet.address}, headers={"origin": "https://evil.example.com"}
    )
    assert response.status_code == 200  # the browser, not the server, withholds the answer from the page
    assert "access-control-allow-origin" not in response.headers
    assert "Origin" in response.headers["vary"]


async def test_errors_carry_cors_headers(http: httpx.AsyncClient) -> None:
    response = await http.post("/auth/verify", json={"signature": "0x"}, headers={"origin": FRONTEND})
    assert response.status_code == 422
    assert response.headers["access-control-allow-origin"] == FRONTEND


@pytest.mark.parametrize("http", [{"rate_limit_ip": "1/minute"}], indirect=True)
async def test_rate_limited_answers_carry_cors_headers(http: httpx.AsyncClient, wallet: LocalAccount) -> None:
    # the limit answers before routing: CORS sits outside it, so the page can read the 429 and Retry-After
    body, headers = {"address": wallet.address}, {"origin": FRONTEND}
    assert (await http.post("/auth/challenge", json=body, headers=headers)).status_code == 200
    limited = await http.post("/auth/challenge", json=body, headers=headers)
    assert limited.status_code == 429
    assert limited.headers["access-control-allow-origin"] == FRONTEND
    assert "Retry-After" in limited.headers["access-control-expose-headers"]


async def test_preflights_do_not_count_against_the_rate_limit() -> None:
    settings = Settings(redis_url=None, cors_origins=[FRONTEND], rate_limit_ip="2/minute")
    async with app_client(settings) as http:
        for _ in range(5):
            assert (await http.options("/auth/challenge", headers=PREFLIGHT)).status_code == 200


@pytest.mark.parametrize("http", [{"cors_origins": []}], indirect=True)
async def test_without_origins_there_is_no_cors(http: httpx.AsyncClient, wallet: LocalAccount) -> None:
    preflight = await http.options("/auth/challenge", headers=PREFLIGHT)
    assert preflight.status_code == 405
    assert preflight.json()["error"] == "method_not_allowed"
    response = await http.post("/auth/challenge", json={"address": wallet.address}, headers={"origin": FRONTEND})
    assert not {name for name in response.headers if name.startswith("access-control-")}


FORWARD_PREFLIGHT = {"origin": FRONTEND, "access-control-request-method": "GET"}


def _cors_headers(response: httpx.Response) -> set[str]:
    return {name for name in response.headers if name.lower().startswith("access-control-")}


async def test_a_preflight_shaped_forward_auth_request_needs_a_token(http: httpx.AsyncClient) -> None:
    # A proxy that forwards the original method (Envoy ext_authz over HTTP) asks forward-auth with the
    # client's OPTIONS: a 200 from CORS would let an unauthenticated request through.
    response = await http.options("/auth/forward", headers=FORWARD_PREFLIGHT)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.headers["cache-control"] == "no-store"
    assert not _cors_headers(response)
    assert "x-auth-address" not in response.headers


async def test_a_preflight_shaped_forward_auth_request_with_a_token(
    http: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    tokens = await signed_in(http, wallet)
    headers = {**FORWARD_PREFLIGHT, "authorization": f"Bearer {tokens['access_token']}"}
    response = await http.options("/auth/forward", headers=headers)
    assert response.status_code == 200
    assert response.headers["x-auth-address"] == wallet.address
    assert response.headers["x-auth-session"]
    assert response.headers["x-auth-chain-id"]
    assert not _cors_headers(response)


async def test_forward_auth_answers_carry_no_cors_headers(http: httpx.AsyncClient) -> None:
    response = await http.get("/auth/forward", headers={"origin": FRONTEND})
    assert response.status_code == 401
    assert not _cors_headers(response)


async def test_no_preflight_is_answered_below_forward_auth(http: httpx.AsyncClient) -> None:
    # Envoy appends the original path to its prefix: /auth/forward/api/x is forward-auth, not a CORS 200
    response = await http.options("/auth/forward/api/orders", headers=FORWARD_PREFLIGHT)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert not _cors_headers(response)


def test_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_CORS_ORIGINS", " https://app.example.com , http://localhost:3000,http://[::1]:8080")
    assert Settings().cors_origins == ["https://app.example.com", "http://localhost:3000", "http://[::1]:8080"]


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("*", "'*' would let any web page call the API"),
        ("https://app.example.com/", "is not an origin as browsers send it"),
        ("https://app.example.com/login", "is not an origin as browsers send it"),
        ("https://App.example.com", "is not an origin as browsers send it"),
        ("https://app.example.com:443", "is not an origin as browsers send it"),
        ("app.example.com", "is not an origin as browsers send it"),
        ("null", "is not an origin as browsers send it"),
        ("ftp://app.example.com", "is not an origin as browsers send it"),
        ("https://user@app.example.com", "is not an origin as browsers send it"),
        ("https://app.example.com:99999", "is not an origin as browsers send it"),
    ],
)
def test_bad_origins_are_refused_at_start(value: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match="cors_origins") as error:
        Settings(cors_origins=[value])
    assert complaint in str(error.value)


@pytest.mark.parametrize(("value", "demo"), [("true", True), ("1", True), ("false", False), ("0", False)])
def test_demo_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, demo: bool) -> None:
    monkeypatch.setenv("AUTH_DEMO", value)
    assert Settings().demo is demo


def test_demo_is_off_by_default() -> None:
    assert Settings.model_fields["demo"].default is False

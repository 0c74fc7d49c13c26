import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from app.api.handlers import render
from app.config import Settings
from app.errors import AuthError, InvalidClient, InvalidToken, MissingToken, RateLimited, StoreUnavailable
from app.main import create_app
from tests.support.app import GENEROUS_LIMITS, app_client, signed_in

ROOT = Path(__file__).parents[1]


def test_openapi_json_is_the_apps_schema() -> None:
    committed = json.loads((ROOT / "openapi.json").read_text())
    assert committed == create_app(Settings()).openapi(), "regenerate it: python -m app openapi"


# OAuth clients read OAuth's own error shape (RFC 6749 §5.2) from these, but for the provider being off
OAUTH_ENDPOINTS = ("/oidc/token", "/oidc/userinfo", "/oidc/revoke")


def test_every_error_response_is_the_error_envelope() -> None:
    schema = create_app(Settings()).openapi()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    content = response["content"]["application/json"]["schema"]
                    expected = "OAuthErrorBody" if path in OAUTH_ENDPOINTS and status in ("400", "401") else "ErrorBody"
                    assert content == {"$ref": f"#/components/schemas/{expected}"}, (method, path, status)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def _rendered_headers(error: AuthError) -> set[str]:
    """The headers an error is sent with, as the error handler renders it (body headers aside)."""
    return {name.lower() for name in render(error).headers} - {"content-length", "content-type"}


def test_the_documented_headers_of_429_and_503_are_the_ones_sent() -> None:
    sent = {
        "429": _rendered_headers(RateLimited("over", limit=1, window=60, remaining=0, reset_at=61.0, now=1.0)),
        "503": _rendered_headers(StoreUnavailable()),
    }
    assert {"retry-after", "cache-control"} <= sent["503"]
    schema = create_app(Settings()).openapi()
    documented = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, headers in sent.items():
                if status in operation["responses"]:
                    names = {name.lower() for name in operation["responses"][status]["headers"]}
                    assert names == headers, (method, path, status)
                    documented += 1
    assert documented >= 8


def _header_docs(schema: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    headers: dict[str, Any] = schema["paths"][path][method]["responses"][str(status)].get("headers", {})
    return {name.lower(): doc for name, doc in headers.items()}


def test_401s_document_their_www_authenticate_challenge() -> None:
    schema = create_app(Settings()).openapi()
    bearer = InvalidToken.www_authenticate
    routes = [("/auth/me", "get"), *(("/auth/forward", method) for method in schema["paths"]["/auth/forward"])]
    for path, method in routes:
        challenge = _header_docs(schema, path, method, 401)["www-authenticate"]
        assert challenge["required"] is True, (path, method)
        assert f"`{bearer}`" in challenge["description"]
    assert (
        f"`{MissingToken.www_authenticate}` alone"
        in _header_docs(schema, "/auth/me", "get", 401)["www-authenticate"]["description"]
    )
    # logout answers invalid_grant (a refresh token in the body) with no challenge: the header is not required
    logout = _header_docs(schema, "/auth/logout", "post", 401)["www-authenticate"]
    assert "required" not in logout
    assert logout["description"].startswith("With `invalid_token`: ")
    introspect = _header_docs(schema, "/auth/introspect", "post", 401)["www-authenticate"]
    assert introspect["required"] is True
    assert f"`{InvalidClient().headers['WWW-Authenticate']}`" in introspect["description"]


def test_cache_control_is_documented_on_tokens_forward_auth_errors_and_keys() -> None:
    schema = create_app(Settings()).openapi()
    not_cached = [
        ("/auth/challenge", "post", 200),
        ("/auth/nonce", "post", 200),
        ("/auth/verify", "post", 200),
        ("/auth/accounts", "post", 200),
        ("/auth/accounts/{account}", "delete", 200),
        ("/auth/refresh", "post", 200),
        ("/auth/me", "get", 200),
        ("/auth/logout", "post", 204),
        ("/auth/introspect", "post", 200),
        *(("/auth/forward", method, 200) for method in schema["paths"]["/auth/forward"]),
    ]
    for path, method, status in not_cached:
        headers = _header_docs(schema, path, method, status)
        assert headers["cache-control"]["required"] is True, (path, method)
        assert "`no-store`" in headers["cache-control"]["description"]
        assert "`no-cache`" in headers["pragma"]["description"]
    for path in ["/.well-known/jwks.json", "/.well-known/oauth-authorization-server"]:
        cache = _header_docs(schema, path, "get", 200)["cache-control"]
        assert cache["required"] is True
        assert re.search(r"`public, max-age=\d+`", cache["description"]), path
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in operation["responses"]:
                if int(status) >= 400:
                    cache = _header_docs(schema, path, method, int(status))["cache-control"]
                    assert "`no-store`" in cache["description"], (method, path, status)


def _documented_values(description: str) -> list[str]:
    return re.findall(r"`([^`]+)`", description)


def _check_sent_as_documented(schema: dict[str, Any], method: str, response: httpx.Response) -> int:
    """Every header documented as always sent is there, with one of the values its description names in
    backquotes; a header documented as coming "With `code`" is there when the error is that code. Returns
    how many headers were checked."""
    path = response.request.url.path
    error = response.json().get("error") if response.status_code >= 400 else None
    checked = 0
    for name, doc in _header_docs(schema, path, method, response.status_code).items():
        description: str = doc["description"]
        condition = re.match(r"With ((?:`[a-z_]+`(?:, )?)+): ", description)
        if condition:
            if error not in _documented_values(condition[1]):
                continue
            description = description[condition.end() :]
        elif not doc.get("required"):
            continue
        assert name in response.headers, (method, path, response.status_code, name)
        values = _documented_values(description)
        if values:
            assert response.headers[name] in values, (method, path, name, response.headers[name], values)
        checked += 1
    return checked


INTROSPECT_TOKEN = "introspection-caller-secret"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(redis_url=None, introspect_token=INTROSPECT_TOKEN, **GENEROUS_LIMITS)
    async with app_client(settings) as client:
        yield client


async def test_responses_carry_the_headers_the_schema_documents(http: httpx.AsyncClient, wallet: LocalAccount) -> None:
    schema = (await http.get("/openapi.json")).json()
    tokens = await signed_in(http, wallet)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    caller = {"Authorization": f"Bearer {INTROSPECT_TOKEN}"}
    forged = {"Authorization": f"Bearer {tokens['access_token'][:-4]}AAAA"}
    requests: list[tuple[str, str, dict[str, Any], int]] = [
        ("post", "/auth/challenge", {"json": {"address": wallet.address}}, 200),
        ("post", "/auth/refresh", {"json": {"refresh_token": tokens["refresh_token"]}}, 200),
        ("get", "/auth/me", {"headers": bearer}, 200),
        ("get", "/auth/me", {}, 401),
        ("get", "/auth/me", {"headers": forged}, 401),
        ("post", "/auth/introspect", {"data": {"token": tokens["access_token"]}, "headers": caller}, 200),
        ("post", "/auth/introspect", {"data": {"token": tokens["access_token"]}}, 401),
        ("post", "/auth/logout", {"headers": forged}, 401),
        ("post", "/auth/logout", {"json": {"refresh_token": "nope"}}, 401),
        ("post", "/auth/logout", {}, 401),
        ("get", "/.well-known/jwks.json", {}, 200),
        ("get", "/.well-known/oauth-authorization-server", {}, 200),
    ]
    for method in ("get", "post", "options", "delete"):
        requests += [
            (method, "/auth/forward", {"headers": bearer}, 200),
            (method, "/auth/forward", {}, 401),
            (method, "/auth/forward", {"headers": forged}, 401),
        ]
    requests.append(("post", "/auth/logout", {"headers": bearer}, 204))
    checked = 0
    for method, path, options, status in requests:
        response = await http.request(method.upper(), path, **options)
        assert response.status_code == status, (method, path, response.text)
        checked += _check_sent_as_documented(schema, method, response)
    assert checked >= 2 * len(requests)


def test_every_rate_limited_endpoint_documents_its_429() -> None:
    schema = create_app(Settings()).openapi()
    for path in ["/auth/challenge", "/auth/verify", "/auth/refresh", "/auth/logout", "/auth/introspect", "/auth/me"]:
        for operation in schema["paths"][path].values():
            assert "429" in operation["responses"], path

"""Bad requests get a clear 4xx in the one envelope, never a 500."""

import importlib
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from tests.support.app import signed_challenge

JSON = {"content-type": "application/json"}


def assert_envelope(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"error": code, "detail": response.json()["detail"]}
    assert isinstance(response.json()["detail"], str)


async def test_unknown_route(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.get("/nope"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/auth/verify"), ("PUT", "/auth/challenge"), ("POST", "/healthz")]
)
async def test_wrong_method(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path)
    assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["allow"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b"null", "application/json"),
        (b'{"message": NaN, "signature": "0x"}', "application/json"),
        (b'{"message": "x", "signature": Infinity}', "application/json"),
        (b"\xef\xbb\xbf{}", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"message=x&signature=0x", "application/x-www-form-urlencoded"),
        (b'{"message": "x", "signature": "0x"}', "text/plain"),
    ],
)
async def test_bodies_that_are_not_a_json_object(client: httpx.AsyncClient, content: bytes, content_type: str) -> None:
    for path in ["/auth/challenge", "/auth/verify"]:
        response = await client.post(path, content=content, headers={"content-type": content_type})
        assert_envelope(response, 422, "invalid_request")


@pytest.fixture(params=["default recursion limit", "py_ecc imported"])
def recursion_limit(request: pytest.FixtureRequest) -> Iterator[int]:
    """The interpreter's recursion limit as Python sets it, or as py_ecc leaves it once imported (it raises
    it to 100,000; eth-keyfile 0.10 imports it, so a differently resolved eth-account brings it in)."""
    before = sys.getrecursionlimit()
    if request.param == "py_ecc imported":
        importlib.import_module("py_ecc")
        sys.setrecursionlimit(max(before, 100_000))  # what its import did, if an earlier test imported it first
    else:
        sys.setrecursionlimit(1000)
    yield sys.getrecursionlimit()
    sys.setrecursionlimit(before)


@pytest.mark.parametrize("path", ["/auth/challenge", "/auth/verify", "/auth/refresh", "/auth/logout"])
async def test_json_nested_too_deep_to_parse(client: httpx.AsyncClient, recursion_limit: int, path: str) -> None:
    """Deeper than app.api.json_bodies.MAX_NESTING, whatever the interpreter's
    recursion limit: a 400 in our envelope (30,000 levels parse in Python's parser once py_ecc is imported)."""
    assert recursion_limit in (1000, 100_000)
    content = b"[" * 30_000 + b"]" * 30_000
    response = await client.post(path, content=content, headers=JSON)
    assert_envelope(response, 400, "invalid_request")
    shallow = b"[" * 100 + b"]" * 100  # parses: then it is simply not the body the route takes
    assert_envelope(await client.post(path, content=shallow, headers=JSON), 422, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"signature": "0x00"},
        {"message": "x"},
        {"message": "x", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "signature": "0x00"},
        {"message": 5, "signature": "0x00"},
        {"message": ["x"], "signature": "0x00"},
        {"message": "x", "signature": 5},
        {"message": "x", "signature": ""},
        {"message": "x", "signature": "00"},
        {"message": "x", "signature": "0x0"},
        {"message": "x", "signature": "0X00"},
        {"message": "x", "signature": "0xzz"},
        {"message": "x", "signature": "0x 00"},
        {"message": "x", "signature": "0x" + "00" * 20_000},
        {"message": "x", "signature": "0x00", "extra": 1},
        {"address": "0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "signature": "0x00"},
    ],
)
async def test_verify_bodies_that_do_not_fit_the_schema(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert_envelope(await client.post("/auth/verify", json=body), 422, "invalid_request")


async def test_a_body_over_64_kib_is_413(client: httpx.AsyncClient) -> None:
    body = b'{"message": "' + b"x" * 70_000 + b'", "signature": "0x"}'
    response = await client.post("/auth/verify", content=body, headers={"content-type": "application/json"})
    assert_envelope(response, 413, "payload_too_large")


async def test_a_chunked_body_over_64_kib_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"message": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'", "signature": "0x"}'

    response = await client.post("/auth/verify", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_envelope(response, 413, "payload_too_large")


async def test_a_chunked_body_under_the_limit_is_read_whole(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    body = await signed_challenge(client, wallet)
    encoded = httpx.Request("POST", "/", json=body).content

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(encoded), 7):
            yield encoded[start : start + 7]

    response = await client.post("/auth/verify", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


async def test_a_message_with_non_ascii_or_controls_is_400(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    body = await signed_challenge(client, wallet)
    for junk in ["\x00", "\u2028", "\u202e", "é", "\U0001f600"]:
        message = body["message"].replace("Sign in", f"Sign{junk}in")
        response = await client.post("/auth/verify", json={"message": message, "signature": body["signature"]})
        assert_envelope(response, 400, "invalid_message")


async def test_a_lone_surrogate_is_not_ascii(client: httpx.AsyncClient) -> None:
    content = b'{"message": "\\ud800", "signature": "0x00"}'
    response = await client.post("/auth/verify", content=content, headers=JSON)
    assert_envelope(response, 400, "invalid_message")


async def test_a_content_length_that_is_not_a_number_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/verify", content=b"{}", headers={**JSON, "content-length": "abc"})
    assert_envelope(response, 400, "invalid_request")


async def test_a_content_length_too_long_for_a_number_is_413_not_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/verify", content=b"{}", headers={**JSON, "content-length": "9" * 5000})
    assert_envelope(response, 413, "payload_too_large")

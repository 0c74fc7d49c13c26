"""The URI a signed message names, and how long it may live: client-built messages around issued nonces, signed by
real keys, sent through the app over HTTP (ASGI). A refused message burns nothing: its nonce still signs in.

The service's domain is localhost:8000 (loopback: http allowed) unless a test serves app.example (https only).
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from tests.api.test_signin import assert_error, client_message, verify
from tests.support.app import get_challenge
from tests.support.wallets import sign

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


async def sign_in_with(client: httpx.AsyncClient, wallet: LocalAccount, **fields: Any) -> httpx.Response:
    """Verify a message the client built around a fresh nonce, with `fields` (uri, domain, times) changed."""
    nonce = (await get_challenge(client, wallet, domain=fields.get("domain")))["nonce"]
    message = client_message(wallet, nonce, **fields)
    return await verify(client, message, sign(wallet, message))


async def assert_refused_then_nonce_still_works(
    client: httpx.AsyncClient, wallet: LocalAccount, uri: str, good_uri: str, domain: str | None = None
) -> None:
    nonce = (await get_challenge(client, wallet, domain=domain))["nonce"]
    extra = {} if domain is None else {"domain": domain}
    message = client_message(wallet, nonce, uri=uri, **extra)
    response = await verify(client, message, sign(wallet, message))
    assert_error(response, 401, "uri_not_allowed")
    message = client_message(wallet, nonce, uri=good_uri, **extra)
    assert (await verify(client, message, sign(wallet, message))).status_code == 200


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("https://evil.example/phish", id="another authority"),
        pytest.param("http://localhost:8001/", id="another port"),
        pytest.param("http://localhost/", id="no port"),
        pytest.param("http://127.0.0.1:8000/", id="the same host by another name"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", id="data"),
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("ws://localhost:8000/", id="ws"),
        pytest.param("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", id="urn"),
        pytest.param("HTTP://localhost:8000/", id="an upper-case scheme"),
        pytest.param("http://user@localhost:8000/", id="userinfo"),
        pytest.param("http://localhost:8000@evil.example/", id="the domain as userinfo"),
        pytest.param("http://localhost:8000:@evil.example/", id="the domain and a colon as userinfo"),
        pytest.param("http://evil.example/#@localhost:8000", id="the domain in the fragment"),
        pytest.param("http://evil.example/?localhost:8000", id="the domain in the query"),
    ],
)
async def test_a_uri_off_the_domain_is_401_uri_not_allowed(
    client: httpx.AsyncClient, wallet: LocalAccount, uri: str
) -> None:
    await assert_refused_then_nonce_still_works(client, wallet, uri, good_uri="http://localhost:8000/app")


@pytest.mark.parametrize("uri", ["http://localhost:8000", "http://localhost:8000/", "https://localhost:8000/x?y#z"])
async def test_a_uri_on_a_loopback_domain_may_be_http_or_https(
    client: httpx.AsyncClient, wallet: LocalAccount, uri: str
) -> None:
    assert (await sign_in_with(client, wallet, uri=uri)).status_code == 200


@pytest.mark.parametrize(
    ("uri", "accepted"),
    [
        ("https://app.example", True),
        ("https://app.example/login?next=%2F#top", True),
        ("http://app.example/", False),  # http on a domain that is not loopback
        ("https://app.example.evil.com/", False),  # a lookalike host
        ("https://app.example@evil.com/", False),
        ("https://app.example:443/", False),  # not normalised: the default port written out is another authority
        ("https://APP.EXAMPLE/", False),
    ],
)
async def test_a_uri_on_an_https_domain(
    open_client: OpenClient, wallet: LocalAccount, uri: str, accepted: bool
) -> None:
    async with open_client(domains=["app.example"]) as client:
        if accepted:
            assert (await sign_in_with(client, wallet, domain="app.example", uri=uri)).status_code == 200
        else:
            good = "https://app.example/"
            await assert_refused_then_nonce_still_works(client, wallet, uri, good_uri=good, domain="app.example")


AUTH_URIS = ["https://app.example", "https://docs.example/login/", "http://dev.test:3000"]


@pytest.mark.parametrize(
    ("uri", "accepted"),
    [
        # an exact origin: any URI of exactly that scheme and authority
        ("https://app.example", True),
        ("https://app.example/", True),
        ("https://app.example/any/path?q=1#f", True),
        ("https://app.example.evil.com/", False),
        ("https://app.example@evil.com/", False),
        ("https://evil.com/https://app.example", False),
        ("https://app.example:8443/", False),
        ("https://app.example:443/", False),
        ("http://app.example/", False),
        ("https://App.example/", False),
        # a prefix: on a path-segment boundary, nothing normalised, no dot segment
        ("https://docs.example/login/", True),
        ("https://docs.example/login/step/2?x#y", True),
        ("https://docs.example/login", False),
        ("https://docs.example/loginx/", False),
        ("https://docs.example/", False),
        ("https://docs.example/Login/", False),
        ("https://docs.example/login%2F", False),
        ("https://docs.example//login/", False),
        ("https://docs.example/login/../admin/", False),
        ("https://docs.example/login/%2e%2E/admin/", False),
        ("https://docs.example/login/./", False),
        ("https://docs.example:443/login/", False),
        ("https://docs.example.evil.com/login/", False),
        # an http origin listed explicitly (a development name in /etc/hosts, say)
        ("http://dev.test:3000/app", True),
        ("http://dev.test:3001/app", False),
        ("https://dev.test:3000/app", False),
    ],
)
async def test_auth_uris_entries_at_their_boundaries(
    open_client: OpenClient, wallet: LocalAccount, uri: str, accepted: bool
) -> None:
    async with open_client(uris=AUTH_URIS) as client:
        if accepted:
            assert (await sign_in_with(client, wallet, uri=uri)).status_code == 200
        else:
            await assert_refused_then_nonce_still_works(client, wallet, uri, good_uri="https://app.example/")
        # asked for at challenge time, the same URI is issued, or refused with 400 and no message
        response = await client.post("/auth/challenge", json={"address": wallet.address, "uri": uri})
        if accepted:
            assert response.status_code == 200, response.text
            message = response.json()["message"]
            assert f"\nURI: {uri}\n" in message
            assert (await verify(client, message, sign(wallet, message))).status_code == 200
        else:
            assert_error(response, 400, "uri_not_allowed")


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/phish",
        "javascript:alert(1)",
        "data:text/html,hello",
        "http://localhost:8000@evil.example/",
        "ftp://localhost:8000/",
    ],
)
async def test_a_challenge_for_a_uri_off_the_domain_is_400_and_issues_nothing(
    client: httpx.AsyncClient, wallet: LocalAccount, uri: str
) -> None:
    response = await client.post("/auth/challenge", json={"address": wallet.address, "uri": uri})
    assert_error(response, 400, "uri_not_allowed")
    # nothing was issued: signing in by address finds no message
    signature = sign(wallet, "anything")
    verified = await client.post("/auth/verify", json={"address": wallet.address, "signature": signature})
    assert_error(verified, 401, "invalid_nonce")


def written(instant: datetime) -> str:
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def whole_second_now() -> datetime:
    """Now, to the second: offsets added to it are exact in the text (each test takes its own: Issued At must
    not be before its nonce was issued)."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize(
    ("settings", "lifetime", "accepted"),
    [
        ({}, timedelta(seconds=86400), True),
        ({}, timedelta(seconds=86400, milliseconds=1), False),
        ({}, timedelta(days=3650), False),  # ten years
        ({"max_message_lifetime": 600}, timedelta(seconds=600), True),
        ({"max_message_lifetime": 600}, timedelta(seconds=600, milliseconds=1), False),
    ],
)
async def test_expiration_time_at_most_the_maximum_lifetime_after_issued_at(
    open_client: OpenClient, wallet: LocalAccount, settings: dict[str, Any], lifetime: timedelta, accepted: bool
) -> None:
    async with open_client(**settings) as client:
        now = whole_second_now()
        issued_at, expiration_time = written(now), written(now + lifetime)
        response = await sign_in_with(client, wallet, issued_at=issued_at, expiration_time=expiration_time)
        if accepted:
            assert response.status_code == 200, response.text
        else:
            assert_error(response, 401, "expired_message")
            assert "AUTH_MAX_MESSAGE_LIFETIME" in response.json()["detail"]


async def test_a_message_without_expiration_time_still_signs_in(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    """Its nonce bounds it: single-use, and valid AUTH_NONCE_TTL seconds from its challenge."""
    response = await sign_in_with(client, wallet, issued_at=written(whole_second_now()), expiration_time=None)
    assert response.status_code == 200, response.text


async def test_the_services_own_messages_live_exactly_the_nonce_ttl(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    """With AUTH_MAX_MESSAGE_LIFETIME equal to AUTH_NONCE_TTL, every issued message is at the boundary, never a
    millisecond past it."""
    async with open_client(nonce_ttl=300, max_message_lifetime=300) as client:
        for _ in range(20):
            challenge = await get_challenge(client, wallet)
            issued = datetime.fromisoformat(challenge["issued_at"])
            assert datetime.fromisoformat(challenge["expiration_time"]) - issued == timedelta(seconds=300)
            message = challenge["message"]
            assert (await verify(client, message, sign(wallet, message))).status_code == 200

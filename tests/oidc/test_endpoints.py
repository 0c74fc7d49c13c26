"""The provider's endpoints over HTTP (the app through ASGI, memory store): the whole code flow with real
signatures, and each refusal the issue names with its OAuth error."""

import base64
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.oidc.clients import hash_secret
from tests.support.app import GENEROUS_LIMITS, app_client
from tests.support.wallets import new_wallet, sign

ISSUER = "http://testserver"
DOMAIN = "testserver"
REDIRECT = "https://rp.example/callback"
LOGOUT_REDIRECT = "https://rp.example/signed-out"
SECRET = "a-secret-of-the-relying-party"
SPA_REDIRECT = "http://127.0.0.1:5173/callback"


@pytest.fixture(scope="module")
def clients_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oidc") / "clients.json"
    document = {
        "clients": [
            {
                "client_id": "rp",
                "name": "Relying <Party>",
                "redirect_uris": [REDIRECT],
                "post_logout_redirect_uris": [LOGOUT_REDIRECT],
                "client_secret_hash": hash_secret(SECRET),
                "scopes": ["openid", "profile", "offline_access", "siwe"],
            },
            {
                "client_id": "other",
                "redirect_uris": ["https://other.example/callback"],
                "client_secret_hash": hash_secret(SECRET),
            },
            {"client_id": "spa", "redirect_uris": [SPA_REDIRECT], "token_endpoint_auth_method": "none"},
        ]
    }
    path.write_text(json.dumps(document))
    return path


def provider_settings(clients_file: Path | None, **overrides: Any) -> Settings:
    """The provider on (off without a clients file), for ASGI requests to http://testserver, memory store."""
    values: dict[str, Any] = {"redis_url": None, "issuer": ISSUER, "domains": [DOMAIN], **GENEROUS_LIMITS}
    return Settings(**{**values, "oidc_clients_file": clients_file, **overrides})


@pytest.fixture
async def client(clients_file: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = provider_settings(clients_file)
    async with app_client(settings) as http:
        yield http


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization(client_id: str = "rp", redirect_uri: str = REDIRECT, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile offline_access",
        "state": "s-" + secrets.token_hex(4),
        "nonce": "n-" + secrets.token_hex(4),
        **extra,
    }


async def signed(
    http: httpx.AsyncClient, wallet: LocalAccount, *, resources: list[str], domain: str = DOMAIN
) -> dict[str, str]:
    body = {"address": wallet.address, "domain": domain, "resources": resources}
    challenge = await http.post("/auth/challenge", json=body)
    assert challenge.status_code == 200, challenge.text
    message = challenge.json()["message"]
    return {"message": message, "signature": sign(wallet, message)}


async def complete(
    http: httpx.AsyncClient, params: dict[str, str], wallet: LocalAccount, resources: list[str] | None = None
) -> httpx.Response:
    proof = await signed(http, wallet, resources=[params["redirect_uri"]] if resources is None else resources)
    return await http.post("/oidc/authorize", data={**params, **proof})


def query(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


async def code_for(http: httpx.AsyncClient, params: dict[str, str], wallet: LocalAccount) -> str:
    response = await complete(http, params, wallet)
    assert response.status_code == 303, response.text
    answer = query(response.headers["location"])
    assert (answer["state"], answer["iss"]) == (params["state"], ISSUER)
    return answer["code"]


def redeem(code: str, redirect_uri: str = REDIRECT, **extra: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **extra}


BASIC = httpx.BasicAuth("rp", SECRET)


async def test_the_code_flow_end_to_end(client: httpx.AsyncClient) -> None:
    wallet, (verifier, challenge) = new_wallet(), pkce()
    params = authorization(code_challenge=challenge, code_challenge_method="S256")
    page = await client.get("/oidc/authorize", params=params)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Relying &lt;Party&gt;" in page.text
    assert "<Party>" not in page.text
    csp = page.headers["content-security-policy"]
    assert "form-action 'self' https://rp.example;" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    code = await code_for(client, params, wallet)

    tokens = await client.post("/oidc/token", data=redeem(code, code_verifier=verifier), auth=BASIC)
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["cache-control"] == "no-store"
    body = tokens.json()
    jwks = (await client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(body["id_token"])
    [key] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    claims = jwt.decode(body["id_token"], jwt.PyJWK(key).key, algorithms=["RS256"], audience="rp", issuer=ISSUER)
    assert claims["sub"] == f"eip155:1:{wallet.address}"
    assert claims["nonce"] == params["nonce"]
    assert claims["sid"]
    assert {"access_token", "refresh_token", "id_token", "expires_in"} <= body.keys()

    info = await client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.json()["sub"] == claims["sub"]
    assert info.json()["wallet_address"] == wallet.address

    refreshed = await client.post(
        "/oidc/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, auth=BASIC
    )
    assert refreshed.status_code == 200, refreshed.text
    logout = await client.get(
        "/oidc/logout",
        params={"id_token_hint": body["id_token"], "post_logout_redirect_uri": LOGOUT_REDIRECT, "state": "bye"},
    )
    assert logout.status_code == 303
    assert logout.headers["location"] == f"{LOGOUT_REDIRECT}?state=bye"
    after = await client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"})
    assert after.status_code == 401
    assert after.json()["error"] == "invalid_token"


async def test_a_browsers_crlf_line_breaks_in_the_form_are_the_signed_message(client: httpx.AsyncClient) -> None:
    params, wallet = authorization(), new_wallet()
    proof = await signed(client, wallet, resources=[REDIRECT])
    as_browsers_send_it = {**proof, "message": proof["message"].replace("\n", "\r\n")}
    response = await client.post("/oidc/authorize", data={**params, **as_browsers_send_it})
    assert response.status_code == 303, response.text
    assert "code" in query(response.headers["location"])


async def test_a_signature_in_the_query_completes_nothing(client: httpx.AsyncClient) -> None:
    params, wallet = authorization(), new_wallet()
    proof = await signed(client, wallet, resources=[REDIRECT])
    page = await client.get("/oidc/authorize", params={**params, **proof})
    assert page.status_code == 200  # the sign-in page again, without the signature in its form
    assert proof["signature"] not in page.text
    completed = await client.post("/oidc/authorize", data={**params, **proof})  # the nonce is still unused
    assert completed.status_code == 303


async def test_discovery_and_rfc8414_metadata_agree(client: httpx.AsyncClient) -> None:
    discovery = (await client.get("/.well-known/openid-configuration")).json()
    oauth = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert discovery["issuer"] == oauth["issuer"] == ISSUER
    for name in ("authorization_endpoint", "token_endpoint", "revocation_endpoint", "grant_types_supported"):
        assert discovery[name] == oauth[name]
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]


async def test_unregistered_and_prefix_matching_redirect_uris_are_not_redirected(client: httpx.AsyncClient) -> None:
    for uri in ("https://evil.example/callback", REDIRECT + "/more", REDIRECT[:-1]):
        response = await client.get("/oidc/authorize", params=authorization(redirect_uri=uri))
        assert response.status_code == 400
        assert "location" not in response.headers
        assert response.json()["error"] == "invalid_request"
    page = await client.get(
        "/oidc/authorize", params=authorization(redirect_uri=REDIRECT + "x"), headers={"Accept": "text/html"}
    )
    assert page.status_code == 400
    assert 'data-error="invalid_request"' in page.text


@pytest.mark.parametrize(
    ("client_id", "redirect_uri", "extra", "error"),
    [
        ("spa", SPA_REDIRECT, {}, "invalid_request"),  # a public client without PKCE
        ("rp", REDIRECT, {"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "invalid_request"),
        ("rp", REDIRECT, {"prompt": "none"}, "login_required"),
    ],
)
async def test_refusals_are_redirected_with_state_and_iss(
    client: httpx.AsyncClient, client_id: str, redirect_uri: str, extra: dict[str, str], error: str
) -> None:
    params = authorization(client_id, redirect_uri, **extra)
    if client_id == "spa":
        params["scope"] = "openid"
    response = await client.get("/oidc/authorize", params=params)
    assert response.status_code == 303
    answer = query(response.headers["location"])
    assert response.headers["location"].startswith(redirect_uri + "?")
    assert (answer["error"], answer["state"], answer["iss"]) == (error, params["state"], ISSUER)


async def test_a_wrong_code_verifier_is_invalid_grant(client: httpx.AsyncClient) -> None:
    _, challenge = pkce()
    code = await code_for(client, authorization(code_challenge=challenge, code_challenge_method="S256"), new_wallet())
    response = await client.post("/oidc/token", data=redeem(code, code_verifier=pkce()[0]), auth=BASIC)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


async def test_a_code_used_twice_revokes_the_session_of_the_first_use(client: httpx.AsyncClient) -> None:
    code = await code_for(client, authorization(), new_wallet())
    first = await client.post("/oidc/token", data=redeem(code), auth=BASIC)
    assert first.status_code == 200
    second = await client.post("/oidc/token", data=redeem(code), auth=BASIC)
    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"})
    assert me.status_code == 401


async def test_a_code_of_another_client_is_invalid_grant(client: httpx.AsyncClient) -> None:
    code = await code_for(client, authorization(), new_wallet())
    response = await client.post("/oidc/token", data=redeem(code), auth=httpx.BasicAuth("other", SECRET))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


async def test_a_bad_client_secret_is_401_invalid_client(client: httpx.AsyncClient) -> None:
    code = await code_for(client, authorization(), new_wallet())
    response = await client.post("/oidc/token", data=redeem(code), auth=httpx.BasicAuth("rp", "wrong"))
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_a_message_without_the_redirect_uri_in_its_resources_is_refused(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    params = authorization()
    response = await complete(client, params, wallet, resources=["https://rp.example/elsewhere"])
    assert (response.status_code, response.json()["error"]) == (401, "redirect_uri_not_signed")
    retry = await complete(client, params, wallet)  # nothing was consumed but that nonce
    assert retry.status_code == 303


async def test_a_message_for_another_domain_is_refused(
    clients_file: Path,
) -> None:
    settings = provider_settings(clients_file, domains=[DOMAIN, "app.example"])
    async with app_client(settings) as http:
        wallet, params = new_wallet(), authorization()
        proof = await signed(http, wallet, resources=[REDIRECT], domain="app.example")
        response = await http.post("/oidc/authorize", data={**params, **proof})
        assert (response.status_code, response.json()["error"]) == (401, "domain_not_allowed")


async def test_an_expired_code_is_invalid_grant(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    code = await code_for(client, authorization(), new_wallet())
    later = time.time() + 61
    monkeypatch.setattr("app.api.routes.oidc.time.time", lambda: later)
    response = await client.post("/oidc/token", data=redeem(code), auth=BASIC)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


async def test_an_unregistered_post_logout_redirect_uri_is_not_followed(client: httpx.AsyncClient) -> None:
    code = await code_for(client, authorization(), new_wallet())
    tokens = (await client.post("/oidc/token", data=redeem(code), auth=BASIC)).json()
    response = await client.get(
        "/oidc/logout",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"},
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.json()["error"] == "invalid_request"
    still = await client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert still.status_code == 200  # a refused logout ends nothing


async def test_off_without_a_clients_file() -> None:
    async with app_client(provider_settings(None)) as http:
        for path in ("/.well-known/openid-configuration", "/oidc/authorize", "/oidc/userinfo"):
            response = await http.get(path)
            assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_the_start_refuses_an_issuer_whose_domain_is_not_served(clients_file: Path) -> None:
    with pytest.raises(ValueError, match="issuer's domain 'testserver', which must be one of AUTH_DOMAINS"):
        provider_settings(clients_file, domains=["app.example"])

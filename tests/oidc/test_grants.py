"""The token endpoint's logic, UserInfo and revocation, on each store (Redis on a real server), with real keys,
real scrypt secret hashes and real wallet signatures."""

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import jwt
import pytest

from app.config import Settings
from app.domain.keys import KeySet, SigningKey, generate_private_key, signing_key_from_private
from app.domain.tokens import AccessClaims, TokenService, new_id, new_refresh_token
from app.oidc.clients import ClientRegistry, IdTokenAlg, OidcClient, TokenEndpointAuthMethod, hash_secret
from app.oidc.codes import CODE_TTL, AuthorizationCode, new_code
from app.oidc.grants import (
    GrantContext,
    OAuthError,
    TokenForm,
    authenticate_client,
    open_code_session,
    revoke_token,
    token_request,
    userinfo,
    userinfo_claims,
)
from app.policies import Policies
from app.stores.base import Challenge, Session, Store
from tests.support.wallets import new_wallet, sign

ISSUER = "https://idp.example"
DOMAIN = "localhost:8000"
SECRET = "s3cr+et:with/odd chars&="
ALL_SCOPES = frozenset({"openid", "profile", "offline_access", "siwe"})
CALLBACK = "https://rp.example/cb"


def make_client(
    client_id: str, method: TokenEndpointAuthMethod, alg: IdTokenAlg = "RS256", scopes: frozenset[str] = ALL_SCOPES
) -> OidcClient:
    secret_hash = None if method == "none" else SECRET_HASH
    return OidcClient(client_id, client_id, (CALLBACK,), (), method, secret_hash, scopes, alg)


SECRET_HASH = hash_secret(SECRET)
BASIC = make_client("rp:basic é", "client_secret_basic", "ES256")  # a colon and a non-ASCII letter in its id
POST = make_client("rp-post", "client_secret_post", "EdDSA")
PUBLIC = make_client("rp-public", "none")
NO_OFFLINE = make_client("rp-no-offline", "none", scopes=frozenset({"openid", "profile"}))
REGISTRY = ClientRegistry({client.client_id: client for client in (BASIC, POST, PUBLIC, NO_OFFLINE)})


def key_of(keys: KeySet, alg: str) -> SigningKey:
    """The set's one key of `alg` (the tests' key sets hold one of each)."""
    (key,) = (key for key in keys.keys if key.algorithm == alg)
    return key


@pytest.fixture(scope="module")
def keys() -> KeySet:
    algs = ["ES256", "RS256", "EdDSA"]
    return KeySet(tuple(signing_key_from_private(generate_private_key(alg), alg) for alg in algs))


@pytest.fixture
def settings() -> Settings:
    return Settings(redis_url=None)


@pytest.fixture
def context(store: Store, keys: KeySet, settings: Settings) -> GrantContext:
    policies = Policies.from_settings(settings)
    return GrantContext(store, TokenService(keys, policies.tokens), keys, settings, policies.sessions, ISSUER)


def basic_header(client_id: str, secret: str) -> str:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def credentials(client: OidcClient, secret: str = SECRET) -> tuple[str | None, list[tuple[str, str]]]:
    """The Authorization header and form fields a client authenticates with, by its method."""
    if client.token_endpoint_auth_method == "client_secret_basic":
        return basic_header(client.client_id, secret), []
    if client.token_endpoint_auth_method == "client_secret_post":
        return None, [("client_id", client.client_id), ("client_secret", secret)]
    return None, [("client_id", client.client_id)]


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class Authorized:
    code: str
    verifier: str | None
    session_id: str
    address: str
    message: str
    signature: str


async def authorize(
    context: GrantContext,
    client: OidcClient,
    *,
    scope: tuple[str, ...] = ("openid", "profile", "offline_access", "siwe"),
    pkce: bool = True,
    nonce: str | None = "n-0S6_WzA2Mj",
    expires_in: int = CODE_TTL,
) -> Authorized:
    """What the authorization's completion does once the sign-in's checks passed: the session opened for the
    client with the code's first refresh hash, and the code saved."""
    wallet = new_wallet()
    now = time.time()
    sign_in_nonce = secrets.token_hex(16)
    message = f"{DOMAIN} wants you to sign in with your Ethereum account:\n{wallet.address}\n\nNonce: {sign_in_nonce}"
    signature = sign(wallet, message)
    challenge = Challenge(sign_in_nonce, wallet.address, 1, DOMAIN, now, now + 300, "test", message)
    await context.store.save_challenge(challenge)
    created = int(now)
    session = Session(
        new_id(), wallet.address, 1, created, created + context.settings.refresh_ttl, DOMAIN,
        created + context.settings.idle_ttl, f"eip155:1:{wallet.address}",
    )  # fmt: skip
    code, hashed = new_code()
    await open_code_session(context.store, sign_in_nonce, session, client=client, scope=scope, of_code_hash=hashed)
    verifier = secrets.token_urlsafe(48) if pkce else None
    record = AuthorizationCode(
        client_id=client.client_id,
        redirect_uri=CALLBACK,
        code_challenge=s256(verifier) if verifier else None,
        nonce=nonce,
        scope=scope,
        session_id=session.session_id,
        address=wallet.address,
        chain_id=1,
        accounts=session.account_ids,
        auth_time=created,
        siwe_message=message,
        siwe_signature=signature,
        expires_at=created + expires_in,
    )
    await context.store.save_code(hashed, record.to_json(), CODE_TTL)
    return Authorized(code, verifier, session.session_id, wallet.address, message, signature)


async def redeem(
    context: GrantContext,
    client: OidcClient,
    authorized: Authorized,
    *,
    extra: list[tuple[str, str]] | None = None,
    verifier: str | None = "same",
    redirect_uri: str = CALLBACK,
) -> dict[str, Any]:
    header, fields = credentials(client)
    used_verifier = authorized.verifier if verifier == "same" else verifier
    form = [("grant_type", "authorization_code"), ("code", authorized.code), ("redirect_uri", redirect_uri)]
    form += [("code_verifier", used_verifier)] if used_verifier else []
    return await token_request(
        context, REGISTRY, authorization_header=header, form=TokenForm.from_pairs(fields + form + (extra or [])),
        now=time.time(),
    )  # fmt: skip


async def refresh_with(context: GrantContext, client: OidcClient, refresh_token: str, *extra: tuple[str, str]) -> Any:
    header, fields = credentials(client)
    form = TokenForm.from_pairs([*fields, ("grant_type", "refresh_token"), ("refresh_token", refresh_token), *extra])
    return await token_request(context, REGISTRY, authorization_header=header, form=form, now=time.time())


def id_token_claims(token: str, keys: KeySet, client: OidcClient) -> tuple[dict[str, Any], dict[str, Any]]:
    header = jwt.get_unverified_header(token)
    public = jwt.PyJWKSet.from_dict(keys.jwks())[header["kid"]]
    alg = client.id_token_signed_response_alg
    claims = jwt.decode(token, public, algorithms=[alg], audience=client.client_id, issuer=ISSUER)
    return header, claims


def at_hash(access_token: str, alg: str) -> str:
    digest = hashlib.new("sha512" if alg == "EdDSA" else "sha256", access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


async def grant_error(awaitable: Any) -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        await awaitable
    return caught.value


@pytest.mark.parametrize("client", [BASIC, POST, PUBLIC], ids=lambda client: client.token_endpoint_auth_method)
async def test_a_code_for_its_tokens(context: GrantContext, keys: KeySet, client: OidcClient) -> None:
    authorized = await authorize(context, client, pkce=client is PUBLIC)
    body = await redeem(context, client, authorized)
    assert set(body) == {"access_token", "token_type", "expires_in", "id_token", "scope", "refresh_token"}
    assert (body["token_type"], body["scope"]) == ("Bearer", "openid profile offline_access siwe")
    assert body["expires_in"] == context.settings.access_ttl
    access = context.tokens.validate_access(body["access_token"], time.time())
    assert (access.subject, access.session_id) == (authorized.address, authorized.session_id)
    header, claims = id_token_claims(body["id_token"], keys, client)
    assert (header["typ"], header["kid"]) == ("JWT", key_of(keys, client.id_token_signed_response_alg).kid)
    assert claims["sub"] == f"eip155:1:{authorized.address}"
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["at_hash"] == at_hash(body["access_token"], client.id_token_signed_response_alg)
    assert claims["siwe"] == {"message": authorized.message, "signature": authorized.signature}
    assert claims["preferred_username"] == claims["wallet_address"] == authorized.address
    session = await context.store.find_session(authorized.session_id)
    assert session is not None
    assert (session.client_id, session.scope) == (client.client_id, "openid profile offline_access siwe")
    refreshed = await refresh_with(context, client, body["refresh_token"])
    assert refreshed["refresh_token"] != body["refresh_token"]


async def test_no_refresh_token_without_offline_access(context: GrantContext, keys: KeySet) -> None:
    authorized = await authorize(context, PUBLIC, scope=("openid",), nonce=None)
    body = await redeem(context, PUBLIC, authorized)
    assert "refresh_token" not in body
    assert body["scope"] == "openid"
    _, claims = id_token_claims(body["id_token"], keys, PUBLIC)
    assert not {"nonce", "siwe", "preferred_username"} & set(claims)


async def test_a_code_used_twice_revokes_the_session_of_the_first_use(context: GrantContext) -> None:
    authorized = await authorize(context, PUBLIC)
    first = await redeem(context, PUBLIC, authorized)
    error = await grant_error(redeem(context, PUBLIC, authorized))
    assert (error.error, error.status) == ("invalid_grant", 400)
    assert "used before" in error.description
    assert await context.store.find_session(authorized.session_id) is None
    assert (await grant_error(refresh_with(context, PUBLIC, first["refresh_token"]))).error == "invalid_grant"


async def test_a_code_of_another_client(context: GrantContext) -> None:
    authorized = await authorize(context, POST)
    error = await grant_error(redeem(context, PUBLIC, authorized))
    assert (error.error, error.description) == ("invalid_grant", "the code was issued to another client")
    assert await context.store.find_session(authorized.session_id) is None  # the code is spent: so is its session
    assert (await grant_error(redeem(context, POST, authorized))).error == "invalid_grant"


@pytest.mark.parametrize(
    ("redirect_uri", "verifier", "detail"),
    [
        (CALLBACK + "/more", "same", "redirect_uri"),  # only a prefix matches
        (CALLBACK, None, "code_verifier is missing"),
        (CALLBACK, secrets.token_urlsafe(48), "does not match"),
        (CALLBACK, "short", "does not match"),  # not 43-128 characters
        (CALLBACK, "a" * 42 + "!", "does not match"),  # not RFC 7636's alphabet
    ],
    ids=["prefix-redirect", "no-verifier", "wrong-verifier", "short-verifier", "bad-alphabet"],
)
async def test_a_code_with_the_wrong_redirect_uri_or_verifier(
    context: GrantContext, redirect_uri: str, verifier: str | None, detail: str
) -> None:
    authorized = await authorize(context, PUBLIC)
    error = await grant_error(redeem(context, PUBLIC, authorized, redirect_uri=redirect_uri, verifier=verifier))
    assert error.error == "invalid_grant"
    assert detail in error.description


async def test_the_verifier_of_a_code_matches_exactly(context: GrantContext) -> None:
    authorized = await authorize(context, PUBLIC)
    assert authorized.verifier is not None
    tampered = authorized.verifier[:-1] + ("A" if authorized.verifier[-1] != "A" else "B")
    assert (await grant_error(redeem(context, PUBLIC, authorized, verifier=tampered))).error == "invalid_grant"


async def test_a_verifier_for_a_code_without_a_challenge(context: GrantContext) -> None:
    authorized = await authorize(context, BASIC, pkce=False)
    error = await grant_error(redeem(context, BASIC, authorized, verifier=secrets.token_urlsafe(48)))
    assert (error.error, error.description) == (
        "invalid_grant",
        "a code_verifier for a code issued without a code_challenge",
    )


async def test_an_expired_and_an_unknown_code(context: GrantContext) -> None:
    expired = await authorize(context, PUBLIC, expires_in=-1)
    assert (await grant_error(redeem(context, PUBLIC, expired))).description == "the code has expired"
    unknown = Authorized(secrets.token_urlsafe(32), None, "x", "x", "x", "x")
    assert (await grant_error(redeem(context, PUBLIC, unknown))).description == "unknown or expired code"


@pytest.mark.parametrize(
    ("header", "fields", "error", "www_authenticate"),
    [
        (basic_header(BASIC.client_id, "wrong"), [], "invalid_client", True),
        (None, [("client_id", POST.client_id), ("client_secret", "wrong")], "invalid_client", False),
        (None, [("client_id", BASIC.client_id), ("client_secret", SECRET)], "invalid_client", False),  # its method?
        (None, [("client_id", BASIC.client_id)], "invalid_client", False),  # a confidential client without secret
        (None, [("client_id", PUBLIC.client_id), ("client_secret", SECRET)], "invalid_client", False),
        (basic_header(PUBLIC.client_id, ""), [], "invalid_client", True),
        (basic_header("nobody", SECRET), [], "invalid_client", True),
        ("Basic not-base64!", [], "invalid_client", True),
        (None, [], "invalid_client", False),
        (basic_header(BASIC.client_id, SECRET), [("client_secret", SECRET)], "invalid_request", False),
        (basic_header(BASIC.client_id, SECRET), [("client_id", PUBLIC.client_id)], "invalid_client", True),
        (None, [("client_id", PUBLIC.client_id), ("client_id", PUBLIC.client_id)], "invalid_request", False),
    ],
)
def test_client_authentication_refused(
    header: str | None, fields: list[tuple[str, str]], error: str, www_authenticate: bool
) -> None:
    with pytest.raises(OAuthError) as caught:
        authenticate_client(REGISTRY, authorization_header=header, form=TokenForm.from_pairs(fields))
    assert caught.value.error == error
    assert caught.value.status == (401 if error == "invalid_client" else 400)
    expected = {"WWW-Authenticate": 'Basic realm="web3-auth"'} if www_authenticate else {}
    assert caught.value.headers == expected
    assert set(caught.value.body) == {"error", "error_description"}


@pytest.mark.parametrize("client", [BASIC, POST, PUBLIC], ids=lambda client: client.token_endpoint_auth_method)
def test_client_authentication_by_the_registered_method(client: OidcClient) -> None:
    header, fields = credentials(client)
    form = TokenForm.from_pairs([*fields, ("client_id", client.client_id)] if header else fields)
    assert authenticate_client(REGISTRY, authorization_header=header, form=form) is client


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ([], "invalid_request"),
        ([("grant_type", "password")], "unsupported_grant_type"),
        ([("grant_type", "authorization_code")], "invalid_request"),  # no code
        ([("grant_type", "authorization_code"), ("grant_type", "authorization_code")], "invalid_request"),
    ],
)
async def test_malformed_token_requests(context: GrantContext, fields: list[tuple[str, str]], error: str) -> None:
    form = TokenForm.from_pairs([("client_id", PUBLIC.client_id), *fields])
    caught = await grant_error(token_request(context, REGISTRY, authorization_header=None, form=form, now=time.time()))
    assert caught.error == error


async def test_refresh_rotates_with_reuse_detection(context: GrantContext, keys: KeySet) -> None:
    authorized = await authorize(context, POST)
    first = await redeem(context, POST, authorized)
    second = await refresh_with(context, POST, first["refresh_token"], ("scope", "openid profile"))
    assert second["scope"] == "openid profile offline_access siwe"
    _, original = id_token_claims(first["id_token"], keys, POST)
    _, claims = id_token_claims(second["id_token"], keys, POST)
    assert (claims["sub"], claims["auth_time"]) == (original["sub"], original["auth_time"])
    assert "nonce" not in claims
    assert "siwe" not in claims
    assert claims["at_hash"] == at_hash(second["access_token"], "EdDSA")
    session = await context.store.find_session(authorized.session_id)  # the binding survives a rotation
    assert session is not None
    assert session.client_id == POST.client_id
    reused = await grant_error(refresh_with(context, POST, first["refresh_token"]))
    assert reused.error == "invalid_grant"
    assert await context.store.find_session(authorized.session_id) is None
    assert (await grant_error(refresh_with(context, POST, second["refresh_token"]))).error == "invalid_grant"


async def test_refresh_only_for_the_clients_own_sessions(context: GrantContext) -> None:
    authorized = await authorize(context, POST)
    body = await redeem(context, POST, authorized)
    stolen = await grant_error(refresh_with(context, PUBLIC, body["refresh_token"]))
    assert stolen.error == "invalid_grant"
    assert await context.store.find_session(authorized.session_id) is not None  # nothing spent
    wider = await grant_error(refresh_with(context, POST, body["refresh_token"], ("scope", "openid email")))
    assert wider.error == "invalid_scope"
    # a session of our own API (POST /auth/verify) is no client's
    wallet, now = new_wallet(), time.time()
    nonce = secrets.token_hex(16)
    await context.store.save_challenge(Challenge(nonce, wallet.address, 1, DOMAIN, now, now + 60, "t", "m"))
    own = Session(new_id(), wallet.address, 1, int(now), int(now) + 3600, DOMAIN, int(now) + 3600)
    own_token, own_hash = new_refresh_token(own.session_id)
    assert await context.store.redeem_challenge(nonce, own, own_hash)
    assert (await grant_error(refresh_with(context, PUBLIC, own_token))).error == "invalid_grant"
    assert (await grant_error(refresh_with(context, PUBLIC, "not-a-refresh-token"))).error == "invalid_grant"
    assert (await grant_error(refresh_with(context, NO_OFFLINE, own_token))).error == "unauthorized_client"


async def test_userinfo_by_scope(context: GrantContext) -> None:
    with_profile = await redeem(context, PUBLIC, authorized := await authorize(context, PUBLIC))
    answer = await userinfo(context.store, context.tokens, access_token=with_profile["access_token"], now=time.time())
    assert answer == {
        "sub": f"eip155:1:{authorized.address}",
        "preferred_username": authorized.address,
        "wallet_address": authorized.address,
        "chain_id": 1,
        "accounts": [f"eip155:1:{authorized.address}"],
    }
    bare = await redeem(context, PUBLIC, plain := await authorize(context, PUBLIC, scope=("openid",)))
    answer = await userinfo(context.store, context.tokens, access_token=bare["access_token"], now=time.time())
    assert answer == {"sub": f"eip155:1:{plain.address}"}


async def test_userinfo_refuses(context: GrantContext) -> None:
    for token in ["garbage", "a.b.c"]:
        error = await grant_error(userinfo(context.store, context.tokens, access_token=token, now=time.time()))
        assert (error.error, error.status) == ("invalid_token", 401)
        assert error.headers == {"WWW-Authenticate": 'Bearer realm="web3-auth", error="invalid_token"'}
    now = int(time.time())
    own = Session(new_id(), new_wallet().address, 1, now, now + 3600)
    token, _ = context.tokens.mint_access(
        subject=own.address, chain_id=1, session_id=own.session_id, now=now, not_after=now + 60
    )  # a token of a session the store does not know (ended), or of our own API: not UserInfo's
    assert (await grant_error(userinfo(context.store, context.tokens, access_token=token, now=now))).status == 401


def test_userinfo_claims_of_several_accounts() -> None:
    address = new_wallet().address
    accounts = (f"eip155:1:{address}", f"eip155:10:{address}")
    claims = AccessClaims(address, 10, "sid", "jti", 0, 1, accounts=accounts)
    assert userinfo_claims(claims, {"openid"}) == {"sub": f"eip155:10:{address}"}
    assert userinfo_claims(claims, {"openid", "profile"})["accounts"] == list(accounts)


@pytest.mark.parametrize("kind", ["refresh_token", "access_token"])
async def test_revocation_ends_the_session(context: GrantContext, kind: str) -> None:
    authorized = await authorize(context, BASIC, pkce=False)
    body = await redeem(context, BASIC, authorized)
    form = TokenForm.from_pairs([("token", body[kind]), ("token_type_hint", "refresh_token")])
    await revoke_token(context.store, context.tokens, context.sessions, BASIC, form, time.time())
    assert await context.store.find_session(authorized.session_id) is None
    with pytest.raises(OAuthError):
        await userinfo(context.store, context.tokens, access_token=body["access_token"], now=time.time())
    await revoke_token(context.store, context.tokens, context.sessions, BASIC, form, time.time())  # again: no error


async def test_revocation_of_unknown_and_of_other_clients_tokens(context: GrantContext) -> None:
    sessions, now = context.sessions, time.time()
    for token in ["garbage", new_refresh_token(new_id())[0]]:
        await revoke_token(
            context.store, context.tokens, sessions, PUBLIC, TokenForm.from_pairs([("token", token)]), now
        )
    authorized = await authorize(context, POST)
    body = await redeem(context, POST, authorized)
    form = TokenForm.from_pairs([("token", body["refresh_token"])])
    error = await grant_error(revoke_token(context.store, context.tokens, sessions, PUBLIC, form, now))
    assert error.error == "invalid_grant"
    assert await context.store.find_session(authorized.session_id) is not None
    missing = await grant_error(
        revoke_token(context.store, context.tokens, sessions, POST, TokenForm.from_pairs([]), now)
    )
    assert missing.error == "invalid_request"

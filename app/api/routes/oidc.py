"""The OpenID Connect provider's endpoints (app.oidc has their logic): discovery, the authorization endpoint
with its sign-in page and completion, the token endpoint, UserInfo, revocation and RP-Initiated Logout.

They are always routed, so the schema documents them, and answer 404 `not_found` while the provider is off
(no AUTH_OIDC_CLIENTS_FILE). The token, UserInfo and revocation endpoints answer in OAuth's own error shape
(RFC 6749 §5.2); the authorization and logout endpoints, which browsers visit, answer an HTML page where
they cannot redirect (or JSON `{"error", "detail"}` to a caller that does not accept text/html).
"""

import asyncio
import time
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from app.api.asgi import services_of
from app.api.credentials import bearer_of
from app.api.handlers import error_responses, render
from app.api.openapi import NOT_CACHED, documented_headers
from app.api.routes.keys import PUBLIC_CACHE
from app.api.routes.sign_in import SIGNED_MESSAGE_ERRORS, sign_in_context
from app.api.schemas import NO_STORE, NO_STORE_DOCS, OAuthErrorBody
from app.api.table import Routes
from app.errors import (
    AuthError,
    MalformedRequest,
    OidcOff,
    RateLimited,
    RedirectUriNotSigned,
    RpcUnavailable,
    StoreFull,
    StoreUnavailable,
)
from app.lifespan import Services
from app.observability.outcomes import note_outcome
from app.oidc.authorization import (
    AuthorizationError,
    AuthorizationRequest,
    UnsafeRedirect,
    code_redirect,
    error_redirect,
    parse_authorization_request,
)
from app.oidc.clients import ClientRegistry
from app.oidc.completion import complete_authorization, provider_domain
from app.oidc.discovery import (
    AUTHORIZATION_PATH,
    DISCOVERY_PATH,
    END_SESSION_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
    USERINFO_PATH,
    openid_configuration,
)
from app.oidc.grants import GrantContext, OAuthError, TokenForm, authenticate_client, revoke_token, token_request
from app.oidc.grants import userinfo as userinfo_of
from app.oidc.logout import LogoutRefused, parse_logout_request
from app.oidc.pages import STATIC, message_page, origin_of, page_headers, sign_in_page

routes = Routes(tags=["openid-connect"])
FORM = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 64  # the authorization request's 20 parameters, message and signature, with room to spare
# What every provider endpoint may answer: off, over the per-IP limit, the store unreachable
PROVIDER_ERRORS = (OidcOff, RateLimited, StoreUnavailable)
SIGN_IN_SCRIPT, SIGN_IN_STYLE = "/oidc/signin.js", "/oidc/signin.css"


def form_body(names: tuple[str, ...], *, required: tuple[str, ...], description: str = "") -> dict[str, Any]:
    """The OpenAPI request body of a form-encoded endpoint: these text fields."""
    schema: dict[str, Any] = {
        "type": "object",
        **({"description": description} if description else {}),
        "properties": {name: {"type": "string"} for name in names},
        "required": list(required),
    }
    return {"requestBody": {"required": True, "content": {FORM: {"schema": schema}}}}


def provider_of(request: Request) -> tuple[Services, ClientRegistry]:
    services = services_of(request.scope)
    if services.oidc_clients is None:
        raise OidcOff()
    return services, services.oidc_clients


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """A form-encoded body's (name, value) pairs, every occurrence kept (a repeated parameter is refused by
    whoever reads it)."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != FORM:
        raise MalformedRequest(f"the body must be {FORM}")
    try:
        text = (await request.body()).decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict")
    except UnicodeDecodeError:
        raise MalformedRequest("the form is not UTF-8") from None
    except ValueError:
        raise MalformedRequest(f"the form has more than {MAX_FORM_FIELDS} fields") from None


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def refusal(
    request: Request, error: AuthError | None = None, *, status: int = 400, code: str = "", detail: str = ""
) -> Response:
    """A failure nothing may be redirected for: an HTML page for browsers, the JSON envelope for others."""
    if error is not None:
        status, code, detail = error.status, error.code, error.detail
    if not wants_html(request):
        return render(error) if error is not None else _json_error(status, code, detail)
    note_outcome(code)
    headers = {**(error.headers if error is not None else {}), **page_headers()}
    return HTMLResponse(message_page("Sign-in refused", detail, error=code), status_code=status, headers=headers)


def _json_error(status: int, code: str, detail: str) -> Response:
    note_outcome(code)
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers={"Cache-Control": "no-store"})


def redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def oauth_error(error: OAuthError) -> Response:
    note_outcome(error.error)
    return JSONResponse(error.body, status_code=error.status, headers={**NO_STORE, **error.headers})


def _sign_in(services: Services, request: AuthorizationRequest, params: list[tuple[str, str]]) -> Response:
    page = sign_in_page(
        params,
        client_name=request.client.name,
        domain=provider_domain(services.settings.issuer),
        redirect_uri=request.redirect_uri,
        chain_ids=services.settings.chain_ids,
    )
    headers = page_headers(form_action=f"'self' {origin_of(request.redirect_uri)}")
    return HTMLResponse(page, headers=headers)


async def _authorization(request: Request, params: list[tuple[str, str]], *, by_form: bool) -> Response:
    """The authorization request `params` make: its sign-in page, or (by form only, so that no signature is
    left in a URL and the logs that keep URLs) its completion when they carry the signed message."""
    services, registry = provider_of(request)
    issuer = services.settings.issuer
    try:
        authorization = parse_authorization_request(params, registry)
    except UnsafeRedirect as exc:
        return refusal(request, code=exc.error, detail=exc.detail)
    except AuthorizationError as exc:
        return redirect(error_redirect(exc, issuer))
    signed = by_form and any(name in ("message", "signature") for name, _ in params)
    if not signed:
        return _sign_in(services, authorization, params)
    form = TokenForm.from_pairs(params)
    try:
        # browsers send a form's line breaks as CRLF (HTML's form encoding); an EIP-4361 message has none
        message, signature = form.require("message").replace("\r\n", "\n"), form.require("signature")
    except OAuthError as exc:
        return refusal(request, code="invalid_request", detail=exc.description)
    try:
        code = await complete_authorization(
            sign_in_context(request),
            authorization,
            message=message,
            signature=signature,
            issuer=issuer,
            now=time.time(),
        )
    except AuthError as exc:
        return refusal(request, exc)
    return redirect(code_redirect(authorization, code, issuer))


HTML_PAGE = {"content": {"text/html": {"schema": {"type": "string"}}}}
AUTHORIZATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The sign-in page (HTML): connect a wallet, sign, and the page completes the authorization."},
    303: {
        "description": "To the client's registered redirect_uri: with `code`, `state` and `iss` once signed in "
        "(RFC 6749 §4.1.2, RFC 9207), or with `error`, `error_description`, `state` and `iss` (§4.1.2.1).",
        "headers": documented_headers({"Location": "The redirect_uri with the response's parameters."}, ["Location"]),
    },
    **error_responses(*SIGNED_MESSAGE_ERRORS, RedirectUriNotSigned, StoreFull, RpcUnavailable, OidcOff),
}
COMPLETION_FORM = form_body(
    ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
     "code_challenge_method", "prompt", "message", "signature"),
    required=("client_id", "redirect_uri"),
    description="The authorization request's parameters (OpenID Connect Core 3.1.2.1), and to complete it the "
    "EIP-4361 `message` the wallet signed (naming this provider's domain and the redirect_uri among its Resources) "
    "with its `signature`.",
)  # fmt: skip


@routes.get(
    AUTHORIZATION_PATH,
    summary="OpenID Connect authorization endpoint: the sign-in page",
    responses={200: {**AUTHORIZATION_RESPONSES[200], **HTML_PAGE}, **AUTHORIZATION_RESPONSES},
)
async def authorize(request: Request) -> Response:
    return await _authorization(request, list(request.query_params.multi_items()), by_form=False)


@routes.post(
    AUTHORIZATION_PATH,
    summary="OpenID Connect authorization endpoint by POST; with `message` and `signature`, its completion",
    responses={200: {**AUTHORIZATION_RESPONSES[200], **HTML_PAGE}, **AUTHORIZATION_RESPONSES},
    openapi_extra=COMPLETION_FORM,
)
async def authorize_by_form(request: Request) -> Response:
    provider_of(request)
    return await _authorization(request, await form_pairs(request), by_form=True)


def _static_route(path: str, name: str, media_type: str) -> None:
    body = (STATIC / name).read_bytes()

    @routes.get(path, include_in_schema=False)
    async def static_file(request: Request) -> Response:
        provider_of(request)
        return Response(
            body, media_type=media_type, headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        )


_static_route(SIGN_IN_SCRIPT, "oidc-signin.js", "text/javascript; charset=utf-8")
_static_route(SIGN_IN_STYLE, "oidc-signin.css", "text/css; charset=utf-8")


def oauth_errors(**descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses in OAuth's error shape, never cached, for each status (`s400="..."`)."""
    return {
        int(status.removeprefix("s")): {
            "model": OAuthErrorBody,
            "description": description,
            "headers": documented_headers(
                {**NO_STORE_DOCS, "WWW-Authenticate": "With invalid_client (Basic) and invalid_token (Bearer)."},
                required=NO_STORE_DOCS,
            ),
        }
        for status, description in descriptions.items()
    }


OAUTH_JSON = {"content": {"application/json": {"schema": {"type": "object"}}}}
OAUTH_JSON_NOT_CACHED = {**OAUTH_JSON, **NOT_CACHED}
TOKEN_FORM = form_body(
    ("grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id", "client_secret"),
    required=("grant_type",),
)


def grant_context(services: Services) -> GrantContext:
    return GrantContext(
        services.store,
        services.tokens,
        services.keys,
        services.settings,
        services.policies.sessions,
        services.settings.issuer,
    )


@routes.post(
    TOKEN_PATH,
    summary="OpenID Connect token endpoint (authorization_code, refresh_token)",
    responses={
        200: {
            "description": "access_token, token_type, expires_in, id_token, scope; refresh_token with offline_access.",
            **OAUTH_JSON_NOT_CACHED,
        },
        **oauth_errors(
            s400="invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope",
            s401="invalid_client (WWW-Authenticate: Basic when Basic was used)",
        ),
        **error_responses(*PROVIDER_ERRORS),
    },
    openapi_extra=TOKEN_FORM,
)
async def token(request: Request) -> Response:
    services, registry = provider_of(request)
    try:
        form = TokenForm.from_pairs(await form_pairs(request))
        answer = await token_request(
            grant_context(services),
            registry,
            authorization_header=request.headers.get("authorization"),
            form=form,
            now=time.time(),
        )
    except MalformedRequest as exc:
        return oauth_error(OAuthError("invalid_request", exc.detail))
    except OAuthError as exc:
        return oauth_error(exc)
    return JSONResponse(answer, headers=NO_STORE)


async def _userinfo(request: Request) -> Response:
    services, _ = provider_of(request)
    access_token = bearer_of(request.headers.get("authorization", ""))
    try:
        if access_token is None:
            raise OAuthError("invalid_token", "send the access token as Authorization: Bearer", 401, True)
        claims = await userinfo_of(services.store, services.tokens, access_token=access_token, now=time.time())
    except OAuthError as exc:
        return oauth_error(exc)
    return JSONResponse(claims, headers=NO_STORE)


USERINFO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "sub, and with `profile`: preferred_username, wallet_address, chain_id, accounts.",
        **OAUTH_JSON_NOT_CACHED,
    },
    **oauth_errors(s401="invalid_token (RFC 6750 §3.1), with WWW-Authenticate: Bearer"),
    **error_responses(*PROVIDER_ERRORS),
}


@routes.get(USERINFO_PATH, summary="OpenID Connect UserInfo", responses=USERINFO_RESPONSES)
async def userinfo(request: Request) -> Response:
    return await _userinfo(request)


@routes.post(USERINFO_PATH, summary="OpenID Connect UserInfo (POST)", responses=USERINFO_RESPONSES)
async def userinfo_by_post(request: Request) -> Response:
    return await _userinfo(request)


@routes.post(
    REVOCATION_PATH,
    summary="RFC 7009 token revocation: the token's session ends everywhere",
    responses={
        200: {"description": "Revoked, or nothing to revoke (RFC 7009 §2.2): an empty body.", **NOT_CACHED},
        **oauth_errors(s400="invalid_request, invalid_grant (a token of another client)", s401="invalid_client"),
        **error_responses(*PROVIDER_ERRORS),
    },
    openapi_extra=form_body(("token", "token_type_hint", "client_id", "client_secret"), required=("token",)),
)
async def revoke(request: Request) -> Response:
    services, registry = provider_of(request)
    try:
        form = TokenForm.from_pairs(await form_pairs(request))
        header = request.headers.get("authorization")
        # scrypt: off the event loop, as at the token endpoint
        client = await asyncio.to_thread(authenticate_client, registry, authorization_header=header, form=form)
        await revoke_token(services.store, services.tokens, services.policies.sessions, client, form, time.time())
    except MalformedRequest as exc:
        return oauth_error(OAuthError("invalid_request", exc.detail))
    except OAuthError as exc:
        return oauth_error(exc)
    return Response(status_code=200, headers=NO_STORE)


async def _logout(request: Request, params: list[tuple[str, str]]) -> Response:
    services, registry = provider_of(request)
    try:
        logout = parse_logout_request(params, registry, services.keys, services.settings.issuer)
    except LogoutRefused as exc:
        return refusal(request, code="invalid_request", detail=exc.detail)
    if logout.session_id is not None:
        await services.store.revoke_session(logout.session_id, keep_revoked=services.policies.sessions.keep_revoked)
    if logout.redirect_uri is not None:
        return redirect(logout.redirect_uri)
    page = message_page("Signed out", "You are signed out. Your wallet stays connected only to the sites you chose.")
    return HTMLResponse(page, headers=page_headers())


LOGOUT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Signed out (HTML), when no post_logout_redirect_uri was given.", **HTML_PAGE},
    303: {
        "description": "To the registered post_logout_redirect_uri, with `state`.",
        "headers": documented_headers({"Location": "The post_logout_redirect_uri."}, ["Location"]),
    },
    **error_responses(MalformedRequest, *PROVIDER_ERRORS),
}


@routes.get(END_SESSION_PATH, summary="RP-Initiated Logout", responses=LOGOUT_RESPONSES)
async def logout(request: Request) -> Response:
    return await _logout(request, list(request.query_params.multi_items()))


@routes.post(END_SESSION_PATH, summary="RP-Initiated Logout (POST)", responses=LOGOUT_RESPONSES)
async def logout_by_form(request: Request) -> Response:
    provider_of(request)
    return await _logout(request, await form_pairs(request))


@routes.get(
    DISCOVERY_PATH,
    summary="OpenID Provider metadata (OpenID Connect Discovery 1.0)",
    responses={200: {"description": "The provider's metadata.", **OAUTH_JSON}, **error_responses(*PROVIDER_ERRORS)},
)
async def discovery(request: Request) -> Response:
    services, _ = provider_of(request)
    configuration = openid_configuration(services.settings.issuer, services.keys.signing_algorithms)
    return JSONResponse(configuration, headers=PUBLIC_CACHE)

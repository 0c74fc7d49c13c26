"""The public keys that validate our access tokens (RFC 7517 JWK Set), and RFC 8414 metadata pointing at them."""

from typing import Any

from fastapi import Request, Response

from app.api.asgi import services_of
from app.api.openapi import documented_headers
from app.api.schemas import AuthorizationServerMetadata, Jwks
from app.api.table import Routes
from app.oidc.discovery import openid_configuration

routes = Routes(tags=["keys"])
# Validators may cache the keys this long. A rotated-in key is published before tokens carry its kid only
# if it was staged (keygen --stage) at least this long before; otherwise validators refetch on an unknown kid.
JWKS_MAX_AGE = 300
PUBLIC_CACHE = {"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"}
# RFC 8414 §2: client authentication methods (RFC 7591's registry, "none") or access token types ("Bearer")
INTROSPECTION_AUTH, NO_AUTH = "Bearer", "none"
CACHEABLE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Successful Response",
        "headers": documented_headers(
            {"Cache-Control": f"`public, max-age={JWKS_MAX_AGE}`: any cache may keep it this long."},
            required=PUBLIC_CACHE,
        ),
    }
}


@routes.get(
    "/.well-known/jwks.json",
    summary="Public keys for validating access tokens",
    response_model=Jwks,
    responses=CACHEABLE,
)
async def jwks(request: Request, response: Response) -> dict[str, Any]:
    services = services_of(request.scope)
    response.headers.update(PUBLIC_CACHE)
    return services.keys.jwks()


# What RFC 8414 metadata repeats of the OpenID Provider metadata when the provider is on
OAUTH_MEMBERS = (
    "authorization_endpoint",
    "token_endpoint",
    "token_endpoint_auth_methods_supported",
    "revocation_endpoint",
    "userinfo_endpoint",
    "end_session_endpoint",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "code_challenge_methods_supported",
    "authorization_response_iss_parameter_supported",
)


@routes.get(
    "/.well-known/oauth-authorization-server",
    summary="RFC 8414 authorization server metadata",
    responses=CACHEABLE,
    response_model=AuthorizationServerMetadata,
    response_model_exclude_none=True,
)
async def metadata(request: Request, response: Response) -> AuthorizationServerMetadata:
    services = services_of(request.scope)
    settings = services.settings
    issuer = settings.issuer.rstrip("/")
    response.headers.update(PUBLIC_CACHE)
    provider: dict[str, Any] = {}
    if services.oidc_clients is not None:
        configuration = openid_configuration(settings.issuer, services.keys.signing_algorithms)
        provider = {name: configuration[name] for name in OAUTH_MEMBERS}
        provider["revocation_endpoint_auth_methods_supported"] = configuration["token_endpoint_auth_methods_supported"]
    return AuthorizationServerMetadata(
        issuer=settings.issuer,
        jwks_uri=f"{issuer}/.well-known/jwks.json",
        introspection_endpoint=f"{issuer}/auth/introspect",
        introspection_endpoint_auth_methods_supported=[
            INTROSPECTION_AUTH if settings.introspect_token is not None else NO_AUTH
        ],
        **{"response_types_supported": [], "grant_types_supported": [], **provider},
        siwe_challenge_endpoint=f"{issuer}/auth/challenge",
        siwe_verify_endpoint=f"{issuer}/auth/verify",
        refresh_endpoint=f"{issuer}/auth/refresh",
        logout_endpoint=f"{issuer}/auth/logout",
    )

"""What the OpenAPI schema says beyond the routes: how callers authenticate, and how one response leads to the
next request (OpenAPI links, which also let schemathesis chain calls in its stateful tests)."""

from collections.abc import Collection, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.schemas import NO_STORE_DOCS

SECURITY_SCHEMES = {
    "accessToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from /auth/verify or /auth/refresh.",
    },
    "introspectionCaller": {
        "type": "http",
        "scheme": "bearer",
        "description": "AUTH_INTROSPECT_TOKEN; required only when the deployment sets it.",
    },
}
ACCESS_TOKEN: dict[str, Any] = {"security": [{"accessToken": []}]}
ACCESS_TOKEN_OR_BODY: dict[str, Any] = {"security": [{"accessToken": []}, {}]}
INTROSPECTION_CALLER: dict[str, Any] = {"security": [{"introspectionCaller": []}, {}]}

SIGN_IN_LINK = {
    "SignIn": {
        "operationId": "verify_auth_verify_post",
        "description": "Sign `message` with personal_sign (EIP-191) and send it with the signature.",
        "requestBody": {"message": "$response.body#/message", "signature": "0x"},
    }
}
SESSION_LINKS = {
    "Refresh": {
        "operationId": "refresh_auth_refresh_post",
        "requestBody": {"refresh_token": "$response.body#/refresh_token"},
    },
    "LogOut": {
        "operationId": "logout_auth_logout_post",
        "requestBody": {"refresh_token": "$response.body#/refresh_token"},
    },
}


def documented_headers(docs: Mapping[str, str], required: Collection[str] = ()) -> dict[str, dict[str, Any]]:
    """OpenAPI header objects for the `docs` (name: description) of a response; those in `required` are on
    every such response."""
    return {
        name: {"description": doc, "schema": {"type": "string"}, **({"required": True} if name in required else {})}
        for name, doc in docs.items()
    }


# A success response sent with NO_STORE (tokens, identities, challenges)
NOT_CACHED: dict[str, Any] = {"headers": documented_headers(NO_STORE_DOCS, required=NO_STORE_DOCS)}


def install_openapi(app: FastAPI) -> None:
    """Generate the schema once, with the security schemes the routes refer to."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

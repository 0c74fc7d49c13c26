"""A service that trusts web3-auth's access tokens, validating them with nothing but the JWKS URL.

    pip install fastapi uvicorn "pyjwt[crypto]>=2.14"
    WEB3_AUTH_ISSUER=https://auth.example.com uvicorn app:app --port 8080

Checked on every request, as RFC 8725 and RFC 9068 ask: the signature with a key from the JWKS, the
algorithm pinned here (never read from the token), `typ: at+jwt`, the issuer, the audience, and
exp/iat/nbf/sub/jti present.

The JWK Set is cached for 5 minutes (web3-auth's `Cache-Control: max-age`), then fetched again: a key the
operator pruned stops being trusted within that time. No key is cached on its own (PyJWKClient's
`cache_keys` keeps a key with no expiry, for as long as the process lives, even once it left the JWKS). A
token with an unknown kid refetches the set at most every 30 s (`cooldown_duration`, PyJWT 2.14 and later;
earlier releases refetch on every such token, which lets anyone make this service hammer web3-auth).

A JWT stays valid until it expires, even after the user logged out. Where a revoked session must be refused
at once, ask web3-auth instead: POST /auth/introspect, or put it in front as forward-auth.
"""

import os
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request

ALGORITHM = "ES256"  # what web3-auth signs with (AUTH_JWT_ALG); pinned, never taken from the token
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")


def create_app(issuer: str, audience: str, jwks_url: str | None = None, jwks_cache_seconds: float = 300) -> FastAPI:
    keys = jwt.PyJWKClient(
        jwks_url or f"{issuer.rstrip('/')}/.well-known/jwks.json",
        lifespan=jwks_cache_seconds,  # the whole set, then refetched; no per-key cache (cache_keys) that never expires
        cooldown_duration=30,  # a TypeError on PyJWT before 2.14, which has no cooldown: upgrade
        timeout=5,
    )

    # A plain `def`: PyJWKClient fetches with urllib, so FastAPI runs this in its thread pool, off the event loop.
    def wallet(request: Request) -> dict[str, Any]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "send Authorization: Bearer <access token>", {"WWW-Authenticate": "Bearer"})
        try:
            if jwt.get_unverified_header(token).get("typ") not in ACCESS_TOKEN_TYPES:
                raise jwt.InvalidTokenError("not an access token")
            claims: dict[str, Any] = jwt.decode(
                token,
                keys.get_signing_key_from_jwt(token),
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=issuer,
                leeway=5,  # a few seconds for clocks that differ; PyJWT applies it to exp as well
                options={"require": ["exp", "iat", "nbf", "sub", "jti"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise HTTPException(503, f"cannot fetch the signing keys: {exc}") from None
        except jwt.PyJWTError as exc:
            raise HTTPException(401, str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
        return claims

    app = FastAPI(title="example resource server")

    @app.get("/whoami")
    def whoami(claims: Annotated[dict[str, Any], Depends(wallet)]) -> dict[str, Any]:
        return {"address": claims["sub"], "chain_id": claims["chain_id"], "session": claims["sid"]}

    return app


app = create_app(
    issuer=os.environ.get("WEB3_AUTH_ISSUER", "http://localhost:8000"),
    audience=os.environ.get("WEB3_AUTH_AUDIENCE", "web3-auth"),
    jwks_url=os.environ.get("WEB3_AUTH_JWKS_URL"),
)

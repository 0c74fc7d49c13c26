"""The naive peer of issue 7: the sign-in service a developer gets from siwe-py's README, on Redis, with PyJWT.

    ECC_BACKEND_CLASS=eth_keys.backends.native.NativeECCBackend \\
        python benchmarks/peers/naive_siwe.py --port 8300 [--redis-url redis://127.0.0.1:6379/0] [--prefix P]

POST /auth/challenge {address, chain_id?}: a siwe `SiweMessage(...).prepare_message()` with `generate_nonce()`,
the nonce SET in Redis with a TTL -> {message, nonce, address}. POST /auth/verify {message, signature}:
`SiweMessage.from_message` (siwe's ABNF parser), the nonce looked up in Redis, `verify(..., strict=True)`, the
nonce deleted, an HS256 access token from PyJWT -> {access_token, token_type, expires_in}. No refresh token,
no rate limit, no log line. GET /healthz names the elliptic-curve backend eth-keys uses and the time one
signature recovery took at start, so the caller can see which backend it measured.

"As installed by default": `pip install signinwithethereum` does not bring coincurve, and eth-keys then falls
back to its pure-Python NativeECCBackend (~10 ms per recovery instead of ~0.05 ms). This project's environment
has coincurve (web3-auth needs it), so benchmarks/load.py starts this peer with
ECC_BACKEND_CLASS=eth_keys.backends.native.NativeECCBackend, the variable eth-keys reads to pick its backend:
the default install's behaviour, reproduced without a second environment. The uvicorn settings are the
ceiling's (benchmarks/ceiling.py): one worker, uvloop, httptools, no access log.
"""

import argparse
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import redis.asyncio as redis
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys import KeyAPI
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from siwe import SiweMessage, VerificationError, generate_nonce

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ceiling import serve  # noqa: E402 - benchmarks/ceiling.py, beside this folder

DOMAIN = "localhost"
URI = "http://localhost/"
STATEMENT = "Sign in with Ethereum."
NONCE_TTL = timedelta(hours=1)  # as long as load.py's AUTH_NONCE_TTL for web3-auth
ACCESS_TTL = timedelta(minutes=15)


class ChallengeRequest(BaseModel):
    address: str
    chain_id: int = 1


class VerifyRequest(BaseModel):
    message: str
    signature: str


def backend_in_use() -> dict[str, Any]:
    """eth-keys' backend, and what a recovery through eth-account (siwe's path) costs with it (median of 5)."""
    account = Account.create()
    signable = encode_defunct(text="timing a recovery")
    signature = account.sign_message(signable).signature
    elapsed = []
    for _ in range(5):
        started = time.perf_counter()
        recovered = Account.recover_message(signable, signature=signature)
        elapsed.append(time.perf_counter() - started)
        if recovered != account.address:
            raise RuntimeError("recovery disagrees with the signer")
    recovery_ms = statistics.median(elapsed) * 1000
    return {"ecc_backend": type(KeyAPI().backend).__name__, "recovery_ms": round(recovery_ms, 3)}


def create_app(redis_url: str, prefix: str) -> FastAPI:
    app = FastAPI()
    store = redis.Redis.from_url(redis_url)
    secret = secrets.token_bytes(32)
    backend = backend_in_use()

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", **backend}

    @app.post("/auth/challenge")
    async def challenge(body: ChallengeRequest) -> dict[str, str]:
        now = datetime.now(UTC)
        try:
            message = SiweMessage(
                domain=DOMAIN,
                address=body.address,
                statement=STATEMENT,
                uri=URI,
                version="1",
                chain_id=body.chain_id,
                nonce=generate_nonce(),
                issued_at=now.isoformat(),
                expiration_time=(now + NONCE_TTL).isoformat(),
            )
        except ValueError as error:
            raise HTTPException(400, str(error)) from error
        await store.set(f"{prefix}:nonce:{message.nonce}", message.address, ex=NONCE_TTL)
        return {"message": message.prepare_message(), "nonce": message.nonce, "address": message.address}

    @app.post("/auth/verify")
    async def verify(body: VerifyRequest) -> dict[str, Any]:
        try:
            message = SiweMessage.from_message(body.message)
        except ValueError as error:
            raise HTTPException(400, str(error)) from error
        key = f"{prefix}:nonce:{message.nonce}"
        if await store.get(key) is None:
            raise HTTPException(401, "unknown or expired nonce")
        try:
            message.verify(
                body.signature, domain=DOMAIN, nonce=message.nonce, uri=URI, chain_id=message.chain_id, strict=True
            )
        except VerificationError as error:
            raise HTTPException(401, type(error).__name__) from error
        if not await store.delete(key):  # consumed by a concurrent verify meanwhile
            raise HTTPException(401, "unknown or expired nonce")
        now = datetime.now(UTC)
        claims = {"sub": message.address, "chain_id": message.chain_id, "iat": now, "exp": now + ACCESS_TTL}
        token = jwt.encode(claims, secret, algorithm="HS256")
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(ACCESS_TTL.total_seconds())}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--prefix", default="naive-siwe", help="Redis key prefix")
    args = parser.parse_args()
    serve(create_app(args.redis_url, args.prefix), host=args.host, port=args.port)


if __name__ == "__main__":
    main()

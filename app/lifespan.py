"""What lives as long as the application: the store, the signing keys, the token service, the Ethereum
nodes (with their health checks) and, with AUTH_OIDC_CLIENTS_FILE, the OpenID Connect clients."""

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from app.config import Settings
from app.domain.keys import KeyFileError, KeySet, generate_key_set, hmac_key_set, load_key_set
from app.domain.signatures.eip191 import ensure_fast_backend
from app.domain.signatures.verifier import SignatureVerifier
from app.domain.tokens import TokenService
from app.lifecycle import drain_on_stop_signals
from app.observability import metrics
from app.oidc.clients import ClientRegistry, load_clients
from app.oidc.discovery import REQUIRED_ID_TOKEN_ALGORITHM as ID_TOKEN_ALGORITHM
from app.policies import Policies
from app.rpc.pool import NodePools
from app.stores import RedisStore, open_backends
from app.stores.base import Store
from app.stores.limits import RateCounter

logger = logging.getLogger("web3_auth")


@dataclass(frozen=True)
class Services:
    settings: Settings  # for the HTTP layer; the domain and the nodes take `policies`
    policies: Policies
    store: Store
    counter: RateCounter
    keys: KeySet
    tokens: TokenService
    nodes: NodePools
    signatures: SignatureVerifier
    oidc_clients: ClientRegistry | None = None  # None: the OpenID Connect provider is off


def load_keys(settings: Settings) -> KeySet:
    """The signing keys; KeyFileError (one line) for a keys file that cannot serve, with OpenID Connect on,
    one without an RS256 key."""
    oidc = settings.oidc_clients_file is not None
    if settings.jwt_alg == "HS256":
        assert settings.jwt_secret is not None  # Settings enforces it
        return hmac_key_set(settings.jwt_secret.get_secret_value().encode())
    if settings.jwt_keys_file is not None:
        keys = load_key_set(settings.jwt_keys_file, settings.jwt_alg)
        if oidc and keys.signing_for(ID_TOKEN_ALGORITHM) is None:
            raise KeyFileError(
                f"{settings.jwt_keys_file}: no {ID_TOKEN_ALGORITHM} key, which OpenID Connect needs for ID tokens "
                f"(AUTH_OIDC_CLIENTS_FILE is set): add one with `{sys.executable} -m app keygen --alg "
                f"{ID_TOKEN_ALGORITHM} --add {settings.jwt_keys_file}`"
            )
        return keys
    keys = generate_key_set(settings.jwt_alg, *([ID_TOKEN_ALGORITHM] if oidc else []))
    id_token_key = keys.signing_for(ID_TOKEN_ALGORITHM) if oidc else None
    id_token_key = None if id_token_key is keys.signing else id_token_key  # RS256 access tokens: one key
    logger.warning(
        "no AUTH_JWT_KEYS_FILE: signing with an ephemeral %s key (kid %s)%s; tokens die with this process. "
        "Create a key file with `%s -m app keygen --alg %s --output keys.json`%s, then AUTH_JWT_KEYS_FILE=keys.json.",
        settings.jwt_alg,
        keys.signing.kid,
        f" and ID tokens with an ephemeral {ID_TOKEN_ALGORITHM} key (kid {id_token_key.kid})" if id_token_key else "",
        sys.executable,  # the interpreter serving: the venv's, where Debian has no `python`
        settings.jwt_alg,
        f" and `keygen --alg {ID_TOKEN_ALGORITHM} --add keys.json`" if id_token_key else "",
    )
    return keys


def load_oidc_clients(settings: Settings) -> ClientRegistry | None:
    """The OpenID Connect clients, None when AUTH_OIDC_CLIENTS_FILE is unset; ClientsFileError (one line)."""
    return None if settings.oidc_clients_file is None else load_clients(settings.oidc_clients_file)


async def warn_if_redis_may_evict(store: RedisStore) -> None:
    """Sessions and revocations must never be evicted: say so at start-up if Redis is allowed to. Runs in the
    background, so that a Redis that does not answer yet does not hold the start."""
    policy = await store.eviction_policy()
    if policy is not None and policy != "noeviction":
        logger.warning(
            "Redis maxmemory-policy is %s: under memory pressure Redis may evict sessions and revocations "
            "(a revoked session would come back); set maxmemory-policy noeviction",
            policy,
            extra={"fields": {"maxmemory_policy": policy}},
        )


def lifespan_for(
    settings: Settings, store: Store | None = None
) -> Callable[[FastAPI], AbstractAsyncContextManager[dict[str, Services]]]:
    """Open the store and the rate counter, and load the keys, for the app's lifetime. A `store` given here
    is used instead of AUTH_REDIS_URL's (its owner closes it), with the rate counter in memory. The policies are
    made here, when the app is (ValidationError for settings a layer below config refuses)."""

    policies = Policies.from_settings(settings)
    background: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Services]]:
        drain_on_stop_signals()
        ensure_fast_backend()
        keys = load_keys(settings)
        oidc_clients = load_oidc_clients(settings)
        tokens = TokenService(keys, policies.tokens)
        if store is None:
            active_store, counter = open_backends(
                settings.redis_url,
                prefix=settings.redis_prefix,
                timeout=settings.redis_timeout,
                wait_replicas=settings.redis_wait_replicas,
                max_sessions=settings.max_sessions,
            )
        else:
            active_store, counter = store, RateCounter.in_memory(settings.redis_timeout)
        if isinstance(active_store, RedisStore):
            background.add(asyncio.create_task(warn_if_redis_may_evict(active_store)))
        metrics.SESSIONS_MAX.set(getattr(active_store, "max_sessions", settings.max_sessions))
        nodes = NodePools(policies.nodes)
        if settings.rpc_urls and (unserved := sorted(set(settings.chain_ids) - set(settings.rpc_urls))):
            logger.warning(
                "no Ethereum node for chain(s) %s (AUTH_RPC_URLS): smart-contract wallets cannot sign in there",
                ", ".join(map(str, unserved)),
                extra={"fields": {"chains_without_nodes": unserved}},
            )
        health_checks = asyncio.create_task(nodes.keep_checking_health()) if nodes.chains else None
        signatures = SignatureVerifier(
            nodes,
            rpc_timeout=settings.rpc_timeout,
            call_gas=settings.rpc_call_gas,
            max_signature_bytes=settings.rpc_max_signature_bytes,
        )
        logger.info(
            "serving",
            extra={
                "fields": {
                    "store": "redis" if isinstance(active_store, RedisStore) else "memory",
                    "domains": settings.domains,
                    "chain_ids": settings.chain_ids,
                    "rpc_chains": sorted(settings.rpc_urls),
                    "jwt_alg": settings.jwt_alg,
                    "kid": keys.signing.kid,
                    **({"oidc_clients": len(oidc_clients)} if oidc_clients is not None else {}),
                }
            },
        )
        try:
            yield {
                "services": Services(
                    settings, policies, active_store, counter, keys, tokens, nodes, signatures, oidc_clients
                )
            }
        finally:
            if health_checks is not None:
                background.add(health_checks)
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await nodes.close()
            await counter.close()
            metrics.forget_this_worker()
            if store is None:
                await active_store.close()

    return lifespan

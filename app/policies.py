"""The policies the domain and rpc layers take, made once from Settings at start (app.lifespan keeps them).

Settings (app.config) is a leaf and cannot judge what a layer below defines: the sign-in domains, statement and
URIs are EIP-4361 and RFC 3986 syntax (app.domain), AUTH_REDIS_URL is the store's (app.stores.connections).
Those values are checked here, by the layers' own parsers, before any policy is made; a bad one raises pydantic's
ValidationError located at its setting, as Settings does, so `describe_errors` names the AUTH_* variable.
"""

from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from app.config import Settings, audiences_by_domain
from app.domain.policy import SessionPolicy, SignInPolicy, offered_statement, sign_in_domain
from app.domain.tokens import TokenPolicy
from app.domain.uris import allowed_uri
from app.rpc.pool import NodePolicy
from app.stores.connections import parse_redis_url


def _uri_entry(entry: str) -> str:
    allowed_uri(entry)  # ValueError, naming the entry, if it is neither an origin nor a prefix
    return entry


def _redis_url(url: str) -> str:
    parse_redis_url(url)  # ValueError, never echoing the URL (it may hold a password)
    return url


class _LayerSyntax(BaseModel):
    """The settings whose syntax a layer below config defines, checked by that layer's parser."""

    model_config = ConfigDict(frozen=True)

    domains: list[Annotated[str, AfterValidator(sign_in_domain)]]
    statement: Annotated[str, AfterValidator(offered_statement)]
    uris: list[Annotated[str, AfterValidator(_uri_entry)]]
    redis_url: Annotated[str, AfterValidator(_redis_url)] | None


def check_layer_syntax(settings: Settings) -> None:
    """ValidationError for an AUTH_DOMAINS, AUTH_STATEMENT, AUTH_URIS or AUTH_REDIS_URL value its layer refuses."""
    _LayerSyntax.model_validate(settings.model_dump(include=set(_LayerSyntax.model_fields)))


def _sign_in_policy(settings: Settings) -> SignInPolicy:
    return SignInPolicy(
        domains=tuple(settings.domains),
        chain_ids=tuple(settings.chain_ids),
        uris=tuple(settings.uris),
        statement=settings.statement,
        nonce_ttl=settings.nonce_ttl,
        max_message_lifetime=settings.max_message_lifetime,
        clock_skew=settings.clock_skew,
    )


def _session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        access_ttl=settings.access_ttl,
        clock_skew=settings.clock_skew,
        refresh_ttl=settings.refresh_ttl,
        idle_ttl=settings.idle_ttl,
        reuse_grace=settings.refresh_reuse_grace,
    )


def _token_policy(settings: Settings) -> TokenPolicy:
    mapped = audiences_by_domain(settings.audience)  # Settings checked that it maps every domain
    by_domain = tuple((domain, mapped[domain]) for domain in settings.domains) if mapped else ()
    audience = by_domain[0][1] if by_domain else settings.audience
    return TokenPolicy(
        settings.issuer, audience, settings.access_ttl, settings.clock_skew, by_domain, settings.domains[0]
    )


def _node_policy(settings: Settings) -> NodePolicy:
    return NodePolicy(
        urls=MappingProxyType({chain_id: tuple(urls) for chain_id, urls in settings.rpc_urls.items()}),
        timeout=settings.rpc_timeout,
        breaker_failures=settings.rpc_breaker_failures,
        breaker_cooldown=settings.rpc_breaker_cooldown,
        health_interval=settings.rpc_health_interval,
        quorum=settings.rpc_quorum,
    )


@dataclass(frozen=True, slots=True)
class Policies:
    sign_in: SignInPolicy
    sessions: SessionPolicy
    tokens: TokenPolicy
    nodes: NodePolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policies":
        """The policies of `settings`, once check_layer_syntax passed (ValidationError otherwise)."""
        check_layer_syntax(settings)
        return cls(
            _sign_in_policy(settings), _session_policy(settings), _token_policy(settings), _node_policy(settings)
        )

"""Settings, read only from AUTH_* environment variables (no .env file).

Invalid settings raise pydantic's ValidationError; `python -m app` turns that into one line per problem
(see `describe_errors`) and exits before serving anything.

A leaf: it imports nothing from the application, so reading the settings loads no store, no Redis client and no
metrics. What only a layer below can judge is checked where that layer's values are built at start
(app.policies): AUTH_DOMAINS, AUTH_STATEMENT and AUTH_URIS against the EIP-4361 grammar, AUTH_REDIS_URL by the
store's parser; both raise the same ValidationError, which `describe_errors` reads alike.
"""

import ipaddress
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

import limits
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

JwtAlgorithm = Literal["ES256", "EdDSA", "RS256", "HS256"]
MAX_CHAIN_ID = 2**53 - 1  # chain ids travel in JSON and JWT claims; JavaScript reads them as doubles
MIN_HMAC_SECRET_BYTES = 32
DEFAULT_PORT = 8000
DEFAULT_SESSION_IDLE_TTL = 86400  # a day without a refresh ends a session (Keycloak calls it "SSO Session Idle")
# The schemes of AUTH_REDIS_URL's Redis Cluster and Sentinel forms (app.stores.connections reads the rest).
CLUSTER_SCHEME = "redis+cluster"
SENTINEL_SCHEME = "redis+sentinel"


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _may_be_plain_http(url: str) -> bool:
    """https, or http to a host that no traffic crosses the internet to reach: `localhost` or a literal
    loopback, private or link-local address. A name other than localhost may resolve anywhere."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return True
    host = (parts.hostname or "").rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _node_host(url: str) -> str:
    """A node URL's host and port, which the quorum counts: two URLs of one host are one provider."""
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def _serialized_origin(origin: str) -> str | None:
    """The origin the way a browser writes it in the Origin header (RFC 6454), or None if it is no origin."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + ("" if port in (None, default_port) else f":{port}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", case_sensitive=False, extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = DEFAULT_PORT
    # Unset: one worker with the memory store (it lives in one process), else one per available core
    # (app.workers.worker_count, which `python -m app` asks).
    workers: Annotated[int, Field(ge=1)] | None = None
    # On SIGTERM: how long requests in flight may take to finish before they are cut.
    shutdown_grace: Annotated[int, Field(ge=0, le=600)] = 10
    # What the HTTP server itself allows a connection (app.http_limits): the request line and each header
    # line, all of the head together, the time from accept to the end of the headers and from there to the
    # end of the body, and the connections one worker holds open at once.
    max_header_line_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024)] = 16 * 1024
    max_header_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024)] = 64 * 1024
    header_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    body_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    max_connections: Annotated[int, Field(ge=1, le=1_000_000)] = 1024
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = "json"
    metrics_token: Annotated[SecretStr, Field(min_length=16)] | None = None  # GET /metrics then needs it

    redis_url: str | None = None
    redis_prefix: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")] = "web3auth"
    # The time one request may wait on Redis, all its calls together: within it, a dead Redis is a 503.
    redis_timeout: Annotated[float, Field(gt=0, le=0.9)] = 0.5
    # Replicas that must acknowledge (Redis WAIT) a consumed nonce, a refresh rotation or a logout before it
    # answers; fewer is a 503. Unset: 1 with redis+sentinel:// (a failover must not bring a nonce back), else 0.
    redis_wait_replicas: Annotated[int, Field(ge=0, le=16)] = 0

    # unset: localhost on AUTH_PORT (_local_defaults_follow_the_port), like the issuer
    domains: Annotated[list[str], NoDecode, Field(min_length=1)] = ["localhost:8000"]
    chain_ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_CHAIN_ID)]], NoDecode, Field(min_length=1)] = [1]
    statement: str = "Sign in with Ethereum."
    nonce_ttl: Annotated[int, Field(ge=10, le=86400)] = 300
    # A signed message's Expiration Time at most this long after its Issued At (at least AUTH_NONCE_TTL, the
    # lifetime of the messages this service issues itself).
    max_message_lifetime: Annotated[int, Field(ge=10)] = 86400
    # URIs a message may name besides its own domain's origin: exact origins, or prefixes ending in `/`
    # (app.domain.uris.AllowedUri).
    uris: Annotated[list[str], NoDecode] = []
    clock_skew: Annotated[int, Field(ge=0, le=600)] = 60

    issuer: Annotated[str, Field(min_length=1)] = "http://localhost:8000"
    # one audience for every domain, or one per domain: `app.example=aud-app,admin.example=aud-admin` (see
    # app.domain.tokens.TokenPolicy; every AUTH_DOMAINS entry must then be mapped)
    audience: Annotated[str, Field(min_length=1)] = "web3-auth"
    access_ttl: Annotated[int, Field(ge=10)] = 900
    refresh_ttl: Annotated[int, Field(ge=60)] = 1209600
    # A session not refreshed within it ends; each refresh extends it, up to the session's absolute end.
    # Unset: idle_ttl (a day, within AUTH_ACCESS_TTL..AUTH_REFRESH_TTL).
    session_idle_ttl: Annotated[int, Field(ge=10)] | None = None
    max_sessions: Annotated[int, Field(ge=1)] = 1_000_000  # live sessions per store; beyond: 503 store_full
    refresh_reuse_grace: Annotated[int, Field(ge=0, le=300)] = 0

    rate_limit_ip: str = "60/minute"
    rate_limit_address: str = "10/minute"
    rate_limit_signin_ip: str = "600/hour"  # successful sign-ins per client IP
    rate_limit_nonce_ip: str = "30/minute"  # open nonces (POST /auth/nonce) per client IP
    trusted_proxies: Annotated[list[str], NoDecode] = []
    introspect_token: Annotated[SecretStr, Field(min_length=16)] | None = None
    jwt_alg: JwtAlgorithm = "ES256"
    jwt_keys_file: Path | None = None
    jwt_secret: SecretStr | None = None

    # Ethereum nodes per chain id, for smart-contract wallets: `1=https://a|https://b,8453=https://c`
    rpc_urls: Annotated[dict[int, list[str]], NoDecode] = {}
    rpc_timeout: Annotated[float, Field(gt=0, le=30)] = 2.0  # one verification's RPC calls, retries included
    # Gas for one verification call: ample for multisig and passkey (P-256 in Solidity) wallets and for a
    # counterfactual deployment; a bound on what a wallet that burns all its gas costs a node.
    rpc_call_gas: Annotated[int, Field(ge=100_000, le=50_000_000)] = 2_000_000
    rpc_breaker_failures: Annotated[int, Field(ge=1)] = 3
    rpc_breaker_cooldown: Annotated[float, Field(gt=0)] = 10.0
    rpc_health_interval: Annotated[float, Field(ge=1)] = 15.0
    # Plain http:// node URLs only to loopback and private addresses (literal IPs, localhost) unless true.
    rpc_allow_http: bool = False
    # Distinct nodes of a chain that must each answer, and agree, before a contract wallet signs in.
    rpc_quorum: Annotated[int, Field(ge=1, le=5)] = 1
    # The largest signature (an ERC-6492 envelope included) sent to a node; bigger is refused before any call.
    rpc_max_signature_bytes: Annotated[int, Field(ge=65, le=8192)] = 4096
    # Contract-wallet refusals (signatures a node was asked about, or would have been) per client IP.
    rate_limit_rpc_failures_ip: str = "20/minute"

    # Browser origins (scheme://host[:port]) allowed to call the API from their pages, exactly as written.
    cors_origins: Annotated[list[str], NoDecode] = []
    demo: bool = False  # serve the demo page at /demo

    # OpenID Connect provider: on when set, for the clients this JSON file registers (app.oidc.clients).
    oidc_clients_file: Path | None = None

    @field_validator("domains", "chain_ids", "trusted_proxies", "cors_origins", "uris", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("rpc_urls", mode="before")
    @classmethod
    def _nodes_per_chain(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        nodes: dict[int, list[str]] = {}
        for position, entry in enumerate((item.strip() for item in value.split(",") if item.strip()), 1):
            chain, separator, urls = entry.partition("=")
            if not separator or not chain.strip().isdigit():  # never echo the entry: URLs may hold API keys
                raise ValueError(f"entry {position} is not `<chain id>=<url>|<url>...`")
            nodes.setdefault(int(chain), []).extend(url.strip() for url in urls.split("|") if url.strip())
        return nodes

    @field_validator("rpc_urls")
    @classmethod
    def _node_urls(cls, value: dict[int, list[str]]) -> dict[int, list[str]]:
        for chain_id, urls in value.items():
            if not 1 <= chain_id <= MAX_CHAIN_ID:
                raise ValueError(f"chain id {chain_id} is out of range")
            if not urls:
                raise ValueError(f"chain {chain_id} has no node URL")
            for url in urls:
                if not _is_http_url(url):
                    raise ValueError(f"a node URL of chain {chain_id} is not an http(s) URL")
        return value

    @field_validator("workers", mode="before")
    @classmethod
    def _workers_unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("redis_url")
    @classmethod
    def _unset_when_empty(cls, value: str | None) -> str | None:
        return value or None

    @field_validator(
        "rate_limit_ip",
        "rate_limit_address",
        "rate_limit_signin_ip",
        "rate_limit_nonce_ip",
        "rate_limit_rpc_failures_ip",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            items = limits.parse_many(value)
        except ValueError:
            items = []
        if len(items) != 1:
            raise ValueError(f"{value!r} is not one rate limit such as '60/minute' or '10 per 30 seconds'")
        if items[0].amount < 1:
            raise ValueError("a rate limit must admit at least one request")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in value:
            if entry == "*":
                raise ValueError("'*' would trust any client's X-Forwarded-For; list the proxies' networks (CIDRs)")
            if entry != "unix":
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    raise ValueError(f"{entry!r} is not an IP network (CIDR) or 'unix'") from None
        # one range of prefix length 0, or several that add up to it (0.0.0.0/1 and 128.0.0.0/1)
        v4 = ipaddress.collapse_addresses(n for n in networks if isinstance(n, ipaddress.IPv4Network))
        v6 = ipaddress.collapse_addresses(n for n in networks if isinstance(n, ipaddress.IPv6Network))
        if any(network.prefixlen == 0 for network in v4) or any(network.prefixlen == 0 for network in v6):
            raise ValueError(
                "the entries hold every address, so they would trust any client's X-Forwarded-For; "
                "list the proxies' networks (CIDRs)"
            )
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin == "*":
                raise ValueError("'*' would let any web page call the API; list the frontends' origins")
            if _serialized_origin(origin) != origin:
                raise ValueError(
                    f"{origin!r} is not an origin as browsers send it: scheme://host[:port] in lower case, "
                    "without path, trailing slash or default port"
                )
        return value

    @model_validator(mode="before")
    @classmethod
    def _local_defaults_follow_the_port(cls, data: object) -> object:
        """Unset, AUTH_DOMAINS and AUTH_ISSUER name localhost on AUTH_PORT: with AUTH_PORT=8001 the service
        issues `localhost:8001 wants you to sign in`, as a page served there expects."""
        if not isinstance(data, dict):
            return data
        port = str(data.get("port") or DEFAULT_PORT).strip()
        if not port.isdigit():
            return data  # the port's own validation says what is wrong
        local = f"localhost:{int(port)}"
        defaults = {"domains": local, "issuer": f"http://{local}"}
        return {**data, **{name: value for name, value in defaults.items() if data.get(name) in (None, "")}}

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: str) -> str:
        audiences_by_domain(value)
        return value

    @model_validator(mode="after")
    def _audience_per_domain(self) -> Self:
        mapped = audiences_by_domain(self.audience)
        if mapped is not None:
            if unknown := sorted(set(mapped) - set(self.domains)):
                raise ValueError(f"AUTH_AUDIENCE maps {', '.join(unknown)}, not in AUTH_DOMAINS")
            if unmapped := [domain for domain in self.domains if domain not in mapped]:
                raise ValueError(f"AUTH_AUDIENCE maps no audience for {', '.join(unmapped)} (of AUTH_DOMAINS)")
        return self

    @model_validator(mode="after")
    def _session_idle_ttl(self) -> Self:
        if self.session_idle_ttl is not None and not self.access_ttl <= self.session_idle_ttl <= self.refresh_ttl:
            raise ValueError(
                "AUTH_SESSION_IDLE_TTL must be at least AUTH_ACCESS_TTL and at most AUTH_REFRESH_TTL "
                f"({self.access_ttl} to {self.refresh_ttl} seconds)"
            )
        return self

    @property
    def idle_ttl(self) -> int:
        """AUTH_SESSION_IDLE_TTL, or unset a day, within AUTH_ACCESS_TTL and AUTH_REFRESH_TTL."""
        if self.session_idle_ttl is not None:
            return self.session_idle_ttl
        return min(max(DEFAULT_SESSION_IDLE_TTL, self.access_ttl), self.refresh_ttl)

    @model_validator(mode="after")
    def _trusted_nodes(self) -> Self:
        for chain_id, urls in self.rpc_urls.items():
            for position, url in enumerate(urls, 1):  # never echo the URL: it may hold an API key
                if not self.rpc_allow_http and not _may_be_plain_http(url):
                    raise ValueError(
                        f"node {position} of chain {chain_id} in AUTH_RPC_URLS is plain http:// to a host that is "
                        "not loopback or a private address: use https://, or set AUTH_RPC_ALLOW_HTTP=true"
                    )
            hosts = [_node_host(url) for url in urls]
            if len(set(hosts)) < len(hosts):  # one node listed twice would count twice towards the quorum
                raise ValueError(f"chain {chain_id} in AUTH_RPC_URLS names one node host twice: list each node once")
            if len(hosts) < self.rpc_quorum:
                raise ValueError(
                    f"AUTH_RPC_QUORUM={self.rpc_quorum} needs at least {self.rpc_quorum} node hosts per chain in "
                    f"AUTH_RPC_URLS; chain {chain_id} has {len(hosts)}"
                )
        return self

    @model_validator(mode="after")
    def _header_caps(self) -> Self:
        if self.max_header_line_bytes > self.max_header_bytes:
            raise ValueError("AUTH_MAX_HEADER_LINE_BYTES is over AUTH_MAX_HEADER_BYTES, the cap on all the headers")
        return self

    @model_validator(mode="before")
    @classmethod
    def _one_replica_acknowledges_on_sentinel(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("redis_wait_replicas") in (None, ""):
            sentinel = str(data.get("redis_url") or "").startswith(f"{SENTINEL_SCHEME}://")
            return {**data, "redis_wait_replicas": 1 if sentinel else 0}
        return data

    @model_validator(mode="after")
    def _no_replica_acknowledgements_on_a_cluster(self) -> Self:
        if self.redis_wait_replicas and self.redis_url and self.redis_url.partition("://")[0] == CLUSTER_SCHEME:
            raise ValueError(
                "AUTH_REDIS_WAIT_REPLICAS > 0 is not supported with redis+cluster:// (a sign-in there takes two "
                "steps on two shards): set it to 0"
            )
        return self

    @model_validator(mode="after")
    def _messages_live_at_least_as_long_as_their_nonce(self) -> Self:
        if self.max_message_lifetime < self.nonce_ttl:
            raise ValueError(
                f"AUTH_MAX_MESSAGE_LIFETIME ({self.max_message_lifetime} s) is under AUTH_NONCE_TTL "
                f"({self.nonce_ttl} s): the service's own messages would be refused"
            )
        return self

    @model_validator(mode="after")
    def _one_process_for_the_memory_store(self) -> Self:
        if (self.workers or 1) > 1 and self.redis_url is None:
            raise ValueError(
                "AUTH_WORKERS > 1 needs AUTH_REDIS_URL: the memory store lives in one process, so a nonce "
                "issued by one worker would be unknown to the others"
            )
        return self

    @model_validator(mode="after")
    def _keys(self) -> Self:
        secret = self.jwt_secret.get_secret_value().encode() if self.jwt_secret else None
        if self.jwt_alg == "HS256":
            if secret is None or len(secret) < MIN_HMAC_SECRET_BYTES:
                raise ValueError(f"AUTH_JWT_ALG=HS256 needs AUTH_JWT_SECRET of at least {MIN_HMAC_SECRET_BYTES} bytes")
            if self.jwt_keys_file is not None:
                raise ValueError("AUTH_JWT_KEYS_FILE holds asymmetric keys; HS256 uses AUTH_JWT_SECRET")
        else:
            if secret is not None:
                raise ValueError(f"AUTH_JWT_SECRET is only used with HS256, not {self.jwt_alg}")
            if self.jwt_keys_file is None and (self.workers or 1) > 1:
                raise ValueError(
                    "AUTH_WORKERS > 1 needs AUTH_JWT_KEYS_FILE: without it each worker would sign with its "
                    "own ephemeral key (create one with `.venv/bin/python -m app keygen --output keys.json`)"
                )
        return self

    @model_validator(mode="after")
    def _oidc_needs_published_keys(self) -> Self:
        if self.oidc_clients_file is not None and self.jwt_alg == "HS256":
            raise ValueError(
                "AUTH_OIDC_CLIENTS_FILE needs published keys (relying parties validate ID tokens with RS256): "
                "use AUTH_JWT_ALG=ES256, EdDSA or RS256 with AUTH_JWT_KEYS_FILE"
            )
        issuer_domain = urlsplit(self.issuer).netloc.lower()
        if self.oidc_clients_file is not None and issuer_domain not in (domain.lower() for domain in self.domains):
            raise ValueError(
                f"AUTH_OIDC_CLIENTS_FILE: the provider's sign-in messages name the issuer's domain {issuer_domain!r}, "
                "which must be one of AUTH_DOMAINS"
            )
        return self


def audiences_by_domain(value: str) -> dict[str, str] | None:
    """AUTH_AUDIENCE read as `domain=audience,...`, or None when it is one audience (no `=` in it)."""
    if "=" not in value:
        return None
    mapped: dict[str, str] = {}
    for entry in (item.strip() for item in value.split(",")):
        domain, _, audience = (part.strip() for part in entry.partition("="))
        if not domain or not audience:
            raise ValueError(f"{entry!r} is not `<domain>=<audience>`")
        if domain in mapped:
            raise ValueError(f"{domain!r} is mapped twice")
        mapped[domain] = audience
    return mapped


def describe_errors(error: ValidationError) -> str:
    """One line naming each bad AUTH_* variable and what is wrong with it."""
    problems = []
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"] if isinstance(part, str))
        variable = f"AUTH_{name.upper()}: " if name else ""
        problems.append(f"{variable}{item['msg'].removeprefix('Value error, ')}")
    return "invalid configuration: " + "; ".join(problems)

"""Request and response bodies, with the real constraints written into the OpenAPI schema."""

from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response

from app.config import MAX_CHAIN_ID
from app.domain import grammar
from app.domain.addresses import normalize_address
from app.domain.messages import MAX_MESSAGE_BYTES
from app.domain.signin import MAX_BATCH, AccountsGrant, Grant


def _matching(pattern: Any, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if pattern.fullmatch(value) is None:
            raise ValueError(f"not {what}")
        return value

    return AfterValidator(check)


Address = Annotated[
    str,
    Field(
        pattern=r"^0x[0-9a-fA-F]{40}$",
        description="0x and 40 hex digits: all lower or all upper case (converted to EIP-55), "
        "or mixed case that is a valid EIP-55 checksum.",
        examples=["0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"],
    ),
    AfterValidator(normalize_address),
]
ChainId = Annotated[int, Field(strict=True, ge=1, le=MAX_CHAIN_ID, description="EIP-155 chain id.", examples=[1])]
Uri = Annotated[
    str,
    Field(min_length=1, max_length=2048, json_schema_extra={"format": "uri"}),
    _matching(grammar.uri_re, "an RFC 3986 URI"),
]
# EIP-4361 statement = *( reserved / unreserved / " " ): printable ASCII without % " < > \ ^ ` { | }
Statement = Annotated[str, Field(max_length=1024, pattern=r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;= ]*$")]
Signature = Annotated[
    str,
    Field(
        pattern=r"^0x([0-9a-fA-F]{2})*$",
        max_length=2 + 2 * 8192,
        description="0x-prefixed hex, up to 8 KiB. A wallet with a key signs 65 bytes r||s||v (EIP-191 "
        "personal_sign); a smart-contract wallet whatever its isValidSignature accepts (EIP-1271), even `0x` "
        "(Safe's on-chain approval), or, not deployed yet, an EIP-6492 envelope.",
    ),
]
ACCOUNT = "eip155:1:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
RECAP_DOCS = (
    "The ReCap (EIP-5573) the sign-in message granted, decoded from its `urn:recap:` resource: `att` maps each "
    "resource URI to its abilities (`namespace/name`) and their caveats; `prf`, when present, lists proofs. "
    "null (left out of introspection) when the sign-in carried none."
)
Domain = Annotated[str, Field(min_length=1, max_length=255, description="One of AUTH_DOMAINS; defaults to the first.")]


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # token responses (RFC 6749 §5.1)
NO_STORE_DOCS = {  # NO_STORE, for the OpenAPI schema
    "Cache-Control": "`no-store`: tokens and identities are never cached (RFC 6749 §5.1).",
    "Pragma": "`no-cache`, for HTTP/1.0 caches.",
}


def no_store_json(body: BaseModel, *, exclude_none: bool = False) -> Response:
    """The body as JSON, never cached. Routes return it rather than the model: FastAPI would validate the
    model it was just given once more before serializing it; the route's response_model still documents it."""
    return Response(body.model_dump_json(exclude_none=exclude_none), media_type="application/json", headers=NO_STORE)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    error: str = Field(description="A stable machine-readable code.", examples=["invalid_signature"])
    detail: str = Field(description="What went wrong, for humans.")


class OAuthErrorBody(BaseModel):
    """The OAuth 2.0 error shape (RFC 6749 §5.2, RFC 6750 §3) of the token, UserInfo and revocation endpoints,
    which OAuth clients read: not the envelope of the rest of the API."""

    error: str = Field(description="An OAuth error code, e.g. `invalid_grant`.", examples=["invalid_grant"])
    error_description: str = Field(description="What went wrong, for humans.")


class ChallengeRequest(Strict):
    address: Address
    chain_id: ChainId | None = Field(None, description="Defaults to the first of AUTH_CHAIN_IDS.")
    domain: Domain | None = None
    uri: Uri | None = Field(
        None,
        description="The URI in the message; defaults to the domain's origin. It must be on the domain (https, or "
        "http for a loopback domain) or admitted by AUTH_URIS, else 400 uri_not_allowed.",
    )
    statement: Statement | None = Field(None, description="Defaults to AUTH_STATEMENT.")
    resources: list[Uri] | None = Field(None, max_length=32, description="RFC 3986 URIs listed in the message.")


class ChallengeResponse(BaseModel):
    message: str = Field(description="The EIP-4361 message to sign with personal_sign, byte for byte.")
    nonce: str
    address: str = Field(description="The EIP-55 address the challenge is bound to.")
    chain_id: int
    domain: str
    issued_at: str = Field(description="RFC 3339.")
    expiration_time: str = Field(description="RFC 3339: when the challenge and its nonce expire.")


class NonceRequest(Strict):
    domain: Domain | None = None


class NonceResponse(BaseModel):
    nonce: str = Field(description="40 hex digits, single use, bound to the domain only.")
    domain: str = Field(description="The domain the message must name.")
    uri: str = Field(description="The URI a message on this domain names by default (others: see AUTH_URIS).")
    statement: str = Field(description="AUTH_STATEMENT, for messages that want it (any statement is accepted).")
    chain_ids: list[int] = Field(description="AUTH_CHAIN_IDS: the chains a message may name.")
    issued_at: str = Field(description="RFC 3339: the message's Issued At may not be before it.")
    expiration_time: str = Field(description="RFC 3339: when the nonce expires.")


SignedText = Annotated[
    str,
    Field(
        json_schema_extra={"maxLength": MAX_MESSAGE_BYTES},
        description="The signed EIP-4361 message, exactly as signed. Longer than 8 KiB: 400 invalid_message.",
    ),
]


class SignedMessage(Strict):
    message: SignedText
    signature: Signature


class CacaoHeader(BaseModel):
    t: Literal["caip122"]


class CacaoPayload(BaseModel):
    """CAIP-74's payload, as WalletConnect writes it: the fields of the EIP-4361 message it signs."""

    iss: str = Field(max_length=256, description="`did:pkh:eip155:<chain id>:<address>`.")
    domain: str = Field(max_length=255)
    aud: str = Field(max_length=2048, description="The message's URI.")
    version: str = Field(max_length=8)
    nonce: str = Field(max_length=128)
    iat: str = Field(max_length=64)
    nbf: str | None = Field(None, max_length=64)
    exp: str | None = Field(None, max_length=64)
    statement: str | None = Field(None, max_length=4096)
    requestId: str | None = Field(None, max_length=1024)  # noqa: N815 - CAIP-74's name
    resources: list[str] | None = Field(None, max_length=32)


class CacaoSignature(BaseModel):
    t: Literal["eip191", "eip1271"]
    s: Signature


class Cacao(BaseModel):
    """A signed CACAO (CAIP-74) as WalletConnect's authenticate returns it and AppKit's SIWX hands it over;
    members not listed here are ignored."""

    h: CacaoHeader
    p: CacaoPayload
    s: CacaoSignature


class VerifyRequest(Strict):
    message: SignedText | None = None
    address: Address | None = Field(
        None, description="Instead of `message`: use the message last issued to this address."
    )
    signature: Signature | None = Field(None, description="With `message` or `address`.")
    messages: list[SignedMessage] | None = Field(
        None,
        min_length=1,
        max_length=MAX_BATCH,
        description="Instead: several signed messages of one sign-in, one per chain, one nonce, one address.",
    )
    cacaos: list[Cacao] | None = Field(
        None,
        min_length=1,
        max_length=MAX_BATCH,
        description="Instead: the CACAOs of One-Click Auth (one per chain, one nonce, one address).",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        forms = [self.message, self.address, self.messages, self.cacaos]
        if sum(form is not None for form in forms) != 1:
            raise ValueError("send exactly one of `message`, `address`, `messages` and `cacaos`")
        if (self.signature is None) != (self.message is None and self.address is None):
            raise ValueError("send `signature` with `message` or `address`, and only then")
        return self


class AccountsRequest(Strict):
    """Signed messages of the session's address for the chains to add, with a fresh nonce."""

    message: SignedText | None = None
    signature: Signature | None = None
    messages: list[SignedMessage] | None = Field(None, min_length=1, max_length=MAX_BATCH)
    cacaos: list[Cacao] | None = Field(None, min_length=1, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if sum(form is not None for form in [self.message, self.messages, self.cacaos]) != 1:
            raise ValueError("send exactly one of `message`, `messages` and `cacaos`")
        if (self.signature is None) != (self.message is None):
            raise ValueError("send `signature` with `message`, and only then")
        return self


class AccountsResponse(BaseModel):
    access_token: str = Field(description="A new access token that carries the accounts.")
    token_type: str = Field("Bearer", examples=["Bearer"])
    expires_in: int
    accounts: list[str] = Field(examples=[[ACCOUNT]])

    @classmethod
    def from_grant(cls, grant: AccountsGrant) -> "AccountsResponse":
        return cls(access_token=grant.access_token, expires_in=grant.expires_in, accounts=list(grant.accounts))


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = Field("Bearer", examples=["Bearer"])
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str
    refresh_expires_in: int = Field(
        description="Seconds until the session ends unless refreshed first: its idle end "
        "(AUTH_SESSION_IDLE_TTL from the last refresh), or its absolute end if sooner."
    )
    address: str = Field(description="The EIP-55 address signed in.")
    chain_id: int = Field(description="The chain of the (first) message signed.")
    accounts: list[str] = Field(
        description="The session's CAIP-10 accounts: one per message signed.", examples=[[ACCOUNT]]
    )

    @classmethod
    def from_grant(cls, grant: Grant) -> "TokenResponse":
        return cls(
            access_token=grant.access_token,
            expires_in=grant.expires_in,
            refresh_token=grant.refresh_token,
            refresh_expires_in=grant.refresh_expires_in,
            address=grant.address,
            chain_id=grant.chain_id,
            accounts=list(grant.accounts),
        )


RefreshToken = Annotated[str, Field(max_length=4096, description="A refresh token from /auth/verify or /auth/refresh.")]


class RefreshRequest(Strict):
    refresh_token: RefreshToken


class LogoutRequest(Strict):
    refresh_token: RefreshToken


class Introspection(BaseModel):
    """RFC 7662 §2.2. For anything that is not an active access token, exactly `{"active": false}`."""

    active: bool
    sub: str | None = Field(None, description="The EIP-55 address.")
    chain_id: int | None = None
    sid: str | None = Field(None, description="The session id.")
    domain: str | None = Field(None, description="The domain (of AUTH_DOMAINS) the sign-in was for.")
    accounts: list[str] | None = Field(None, description="The session's CAIP-10 accounts.", examples=[[ACCOUNT]])
    recap: dict[str, Any] | None = Field(None, description=RECAP_DOCS)
    exp: int | None = None
    iat: int | None = None
    iss: str | None = None
    aud: str | None = None
    token_type: str | None = Field(None, examples=["Bearer"])


class AuthorizationServerMetadata(BaseModel):
    """RFC 8414 metadata, so validators can discover the keys from the issuer. Without the OpenID Connect
    provider (AUTH_OIDC_CLIENTS_FILE), web3-auth has no OAuth authorization or token endpoint (sign-in is
    EIP-4361; refresh takes JSON, without grant_type): it supports no OAuth grant and says so. RFC 8414 §2
    requires `token_endpoint` unless only the implicit grant is supported; it is then left out on purpose,
    since naming /auth/refresh so would have OAuth clients send it form-encoded grants it refuses. With the
    provider on, the provider's endpoints and grants are listed, as in /.well-known/openid-configuration.
    Its own endpoints are listed under names of their own."""

    issuer: str
    jwks_uri: str
    introspection_endpoint: str
    introspection_endpoint_auth_methods_supported: list[str] = Field(
        description="`Bearer` (an OAuth access token type, as RFC 8414 §2 allows) when AUTH_INTROSPECT_TOKEN is "
        "set: send it as `Authorization: Bearer`; `none` (no client authentication) when it is not."
    )
    response_types_supported: list[str] = Field(
        description="`code` with the OpenID Connect provider on; empty (no OAuth authorization endpoint) without."
    )
    grant_types_supported: list[str] = Field(
        description="`authorization_code` and `refresh_token` with the OpenID Connect provider on; empty without "
        "(left out, RFC 8414 would mean authorization_code and implicit)."
    )
    authorization_endpoint: str | None = Field(None, description="With the OpenID Connect provider on.")
    token_endpoint: str | None = Field(None, description="With the OpenID Connect provider on.")
    token_endpoint_auth_methods_supported: list[str] | None = None
    revocation_endpoint: str | None = Field(None, description="With the OpenID Connect provider on (RFC 7009).")
    revocation_endpoint_auth_methods_supported: list[str] | None = None
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None
    scopes_supported: list[str] | None = None
    response_modes_supported: list[str] | None = None
    code_challenge_methods_supported: list[str] | None = None
    authorization_response_iss_parameter_supported: bool | None = None
    siwe_challenge_endpoint: str
    siwe_verify_endpoint: str
    refresh_endpoint: str
    logout_endpoint: str


class MeResponse(BaseModel):
    address: str
    chain_id: int
    session_id: str
    domain: str = Field(description="The domain (of AUTH_DOMAINS) the sign-in was for.")
    accounts: list[str] = Field(
        description="The session's CAIP-10 accounts (one per chain signed), as they are now.", examples=[[ACCOUNT]]
    )
    recap: dict[str, Any] | None = Field(description=RECAP_DOCS)
    expires_at: str = Field(description="RFC 3339: when the presented access token expires.")


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class NodeStatus(BaseModel):
    node: str = Field(description="The node's URL without path, query or credentials.")
    healthy: bool = Field(description="On the right chain, and its circuit breaker closed.")
    chain: str = Field(description="`verified`, `unverified` (not asked yet) or `wrong_chain` (never used).")
    breaker: str = Field(description="`closed`, `open` (left alone for a cool-down) or `half_open` (probed).")
    latency_ms: float | None = Field(description="Moving average of its answers' latency.")
    last_error: str | None = Field(description="Why its last request failed, if it did.")


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    store: str = Field(examples=["memory"])
    rpc: dict[str, list[NodeStatus]] = Field(
        description="Per chain id (AUTH_RPC_URLS), the state of each node. Informational: readiness depends on "
        "the store only, since wallets with keys sign in without any node."
    )


class PublicJwk(BaseModel):
    model_config = ConfigDict(extra="allow")
    kty: str
    kid: str
    alg: str
    use: str


class Jwks(BaseModel):
    keys: list[PublicJwk]

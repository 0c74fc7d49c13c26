"""Request and response bodies, with the real constraints written into the OpenAPI schema."""

from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response

from app.config import MAX_CHAIN_ID
from app.domain import grammar
from app.domain.addresses import normalize_address
from app.domain.messages import MAX_MESSAGE_BYTES
from app.domain.signin import Grant


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


class ChallengeRequest(Strict):
    address: Address
    chain_id: ChainId | None = Field(None, description="Defaults to the first of AUTH_CHAIN_IDS.")
    domain: str | None = Field(
        None, min_length=1, max_length=255, description="One of AUTH_DOMAINS; defaults to the first."
    )
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


class VerifyRequest(Strict):
    message: str | None = Field(
        None,
        json_schema_extra={"maxLength": MAX_MESSAGE_BYTES},
        description="The signed EIP-4361 message, exactly as signed. Longer than 8 KiB: 400 invalid_message.",
    )
    address: Address | None = Field(
        None, description="Instead of `message`: use the message last issued to this address."
    )
    signature: Signature

    @model_validator(mode="after")
    def _message_or_address(self) -> Self:
        if (self.message is None) == (self.address is None):
            raise ValueError("send exactly one of `message` and `address`")
        return self


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = Field("Bearer", examples=["Bearer"])
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str
    refresh_expires_in: int = Field(
        description="Seconds until the session ends unless refreshed first: its idle end "
        "(AUTH_SESSION_IDLE_TTL from the last refresh), or its absolute end if sooner."
    )
    address: str
    chain_id: int

    @classmethod
    def from_grant(cls, grant: Grant) -> "TokenResponse":
        return cls(
            access_token=grant.access_token,
            expires_in=grant.expires_in,
            refresh_token=grant.refresh_token,
            refresh_expires_in=grant.refresh_expires_in,
            address=grant.address,
            chain_id=grant.chain_id,
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
    exp: int | None = None
    iat: int | None = None
    iss: str | None = None
    aud: str | None = None
    token_type: str | None = Field(None, examples=["Bearer"])


class AuthorizationServerMetadata(BaseModel):
    """RFC 8414 metadata, so validators can discover the keys from the issuer. web3-auth has no OAuth
    authorization or token endpoint (sign-in is EIP-4361; refresh takes JSON, without grant_type): it
    supports no OAuth grant and says so. RFC 8414 §2 requires `token_endpoint` unless only the implicit
    grant is supported; it is left out on purpose, since naming /auth/refresh so would have OAuth clients
    send it form-encoded grants it refuses. Its own endpoints are listed under names of their own."""

    issuer: str
    jwks_uri: str
    introspection_endpoint: str
    introspection_endpoint_auth_methods_supported: list[str] = Field(
        description="`Bearer` (an OAuth access token type, as RFC 8414 §2 allows) when AUTH_INTROSPECT_TOKEN is "
        "set: send it as `Authorization: Bearer`; `none` (no client authentication) when it is not."
    )
    response_types_supported: list[str] = Field(description="Empty: no OAuth authorization endpoint.")
    grant_types_supported: list[str] = Field(
        description="Empty: no OAuth grant (left out, RFC 8414 would mean authorization_code and implicit)."
    )
    siwe_challenge_endpoint: str
    siwe_verify_endpoint: str
    refresh_endpoint: str
    logout_endpoint: str


class MeResponse(BaseModel):
    address: str
    chain_id: int
    session_id: str
    domain: str = Field(description="The domain (of AUTH_DOMAINS) the sign-in was for.")
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

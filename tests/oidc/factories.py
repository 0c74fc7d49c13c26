"""OpenID Connect clients for tests, built from app.oidc.clients' own types."""

from app.oidc.clients import ClientRegistry, OidcClient

ISSUER = "https://auth.example.com"
REDIRECT_URI = "https://grafana.example.com/login/generic_oauth"
ALL_SCOPES = frozenset({"openid", "profile", "offline_access", "siwe"})


def a_client(
    client_id: str = "grafana",
    *,
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
    scopes: frozenset[str] = ALL_SCOPES,
) -> OidcClient:
    """A confidential client (client_secret_basic); its secret is never checked by the tests using it."""
    return OidcClient(
        client_id=client_id,
        name="Grafana",
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=(),
        token_endpoint_auth_method="client_secret_basic",
        secret_hash="scrypt$16384$8$1$c2FsdHNhbHRzYWx0$bm90LWEtcmVhbC1oYXNo",
        scopes=scopes,
    )


def a_public_client(
    client_id: str = "spa", *, redirect_uris: tuple[str, ...] = ("http://localhost:5173/callback",)
) -> OidcClient:
    """A public client (token_endpoint_auth_method none): PKCE is required of it."""
    return OidcClient(
        client_id=client_id,
        name="A single-page app",
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=(),
        token_endpoint_auth_method="none",
        secret_hash=None,
        scopes=frozenset({"openid", "profile"}),
    )


def a_registry(*clients: OidcClient) -> ClientRegistry:
    return ClientRegistry(by_id={client.client_id: client for client in clients})

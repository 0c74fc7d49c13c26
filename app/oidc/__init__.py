"""OpenID Connect provider (OpenID Connect Core 1.0 with Discovery 1.0 and RP-Initiated Logout 1.0), on for
the clients AUTH_OIDC_CLIENTS_FILE registers. Nothing here imports the web framework but `routes`."""

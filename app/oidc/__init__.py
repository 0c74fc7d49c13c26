"""OpenID Connect provider (issue 15): off unless AUTH_OIDC_CLIENTS_FILE is set."""

"""The README's OpenID Connect section, kept honest: its clients file is one the service loads, its commands run
as written, each relying-party snippet names a redirect URI, scopes and claims its client is registered for, and
every provider URL the section shows is one the discovery document of a live `python -m app` serves, started
with the README's own environment, clients file and keys."""

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.domain.keys import key_set_from_jwks
from app.oidc import discovery
from app.oidc.authorization import CODE_CHALLENGE_METHOD
from app.oidc.clients import ClientRegistry, OidcClient, load_clients, secret_matches
from app.oidc.grants import profile_claims
from tests.support.process import ROOT, clean_env, started_app

ISSUER = "https://auth.example.com"
ADDRESS = "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B"
KEYCLOAK_BROKER = re.compile(r"https://[^/]+/realms/(?P<realm>[^/]+)/broker/(?P<alias>[^/]+)/endpoint")


def section() -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"\n## OpenID Connect provider\n(.*?)\n## ", readme, re.DOTALL)
    assert found is not None, "the README has no OpenID Connect provider section"
    return found.group(1)


def block(name: str) -> str:
    found = re.findall(rf"<!-- oidc: {re.escape(name)} -->\n```\w*\n(.*?)\n```\n", section(), re.DOTALL)
    assert len(found) == 1, f"the OpenID Connect section shows the {name} block {len(found)} times, not once"
    return str(found[0])


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> ClientRegistry:
    path = tmp_path_factory.mktemp("oidc") / "clients.json"
    path.write_text(block("clients.json"))
    return load_clients(path)  # the loader the start runs: duplicate members and every mistake stop it


def client(clients: ClientRegistry, client_id: str) -> OidcClient:
    registered = clients.get(client_id)
    assert registered is not None, f"the snippet's client_id {client_id!r} is not in the README's clients file"
    return registered


def ini_section(text: str, name: str) -> dict[str, str]:
    """`key = value` lines of one `[name]` section of an INI file, as Grafana reads them."""
    values: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if header := re.fullmatch(r"\[(.+)\]", line.strip()):
            current = header.group(1)
        elif current == name and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def kcadm_settings(command: str) -> tuple[str, dict[str, str]]:
    """The realm and the `-s key=value` settings of the README's kcadm.sh command."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:3] == ["kcadm.sh", "create", "identity-provider/instances"]
    realm = words[words.index("-r") + 1]
    settings = dict(words[i + 1].split("=", 1) for i, word in enumerate(words) if word == "-s")
    return realm, settings


def grafana() -> dict[str, str]:
    return ini_section(block("grafana"), "auth.generic_oauth")


def oauth2_proxy() -> dict[str, object]:
    return tomllib.loads(block("oauth2-proxy"))


def test_the_clients_file_loads_with_the_three_relying_parties(clients: ClientRegistry) -> None:
    assert set(clients.by_id) == {"grafana", "oauth2-proxy", "keycloak"}
    assert all(not registered.is_public for registered in clients.by_id.values())


def test_the_setup_commands_run_as_written(tmp_path: Path) -> None:
    script = block("setup")
    assert script.count(".venv/bin/python -m app ") == 3
    result = subprocess.run(
        ["bash", "-eu", "-o", "pipefail", "-c", script.replace(".venv/bin/python", sys.executable)],
        cwd=tmp_path,
        env=clean_env(PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    made = json.loads(result.stdout.splitlines()[-1])
    assert set(made) == {"client_secret", "client_secret_hash"}
    assert secret_matches(made["client_secret"], made["client_secret_hash"])
    assert (tmp_path / "keys.json").stat().st_mode & 0o777 == 0o600
    keys = key_set_from_jwks(json.loads((tmp_path / "keys.json").read_text()), "ES256")
    assert keys.signing.algorithm == "ES256"
    assert keys.signing_for(discovery.REQUIRED_ID_TOKEN_ALGORITHM) is not None


def test_every_provider_path_the_section_shows_is_one_of_the_provider() -> None:
    served = {
        discovery.DISCOVERY_PATH,
        discovery.JWKS_PATH,
        discovery.AUTHORIZATION_PATH,
        discovery.TOKEN_PATH,
        discovery.USERINFO_PATH,
        discovery.REVOCATION_PATH,
        discovery.END_SESSION_PATH,
    }
    shown = set(re.findall(r"(?<!app)(/oidc/\w+|/\.well-known/[\w.-]+)", section()))  # not app/oidc/*.py
    assert shown - served == set(), "paths the provider does not serve"
    assert served - shown == set(), "endpoints the section leaves out"


def test_grafana_asks_for_what_its_client_is_registered_for(clients: ClientRegistry) -> None:
    settings = ini_section(block("grafana"), "server") | grafana()
    registered = client(clients, settings["client_id"])
    # Grafana's callback is root_url + login/generic_oauth
    assert settings["root_url"].rstrip("/") + "/login/generic_oauth" in registered.redirect_uris
    assert set(settings["scopes"].split()) <= registered.scopes
    assert settings["use_pkce"] == "true"
    assert (settings["auth_style"], registered.token_endpoint_auth_method) == ("InHeader", "client_secret_basic")
    assert ("offline_access" in registered.scopes) == (settings["use_refresh_token"] == "true")
    signout = urlsplit(settings["signout_redirect_url"])
    assert signout.path == discovery.END_SESSION_PATH
    query = parse_qs(signout.query)
    assert query["client_id"] == [registered.client_id]
    assert query["post_logout_redirect_uri"][0] in registered.post_logout_redirect_uris


def test_grafana_finds_its_login_name_and_an_email_in_the_profile_claims() -> None:
    settings = grafana()
    claims = profile_claims(ADDRESS, 1, [f"eip155:1:{ADDRESS}"])
    assert settings["login_attribute_path"] in claims
    assert settings["name_attribute_path"] in claims
    # join('@', [wallet_address, 'wallet.invalid']): the claim it reads is one `profile` grants
    email_path = re.fullmatch(r"join\('@', \[(\w+), '([\w.]+\.invalid)'\]\)", settings["email_attribute_path"])
    assert email_path is not None
    assert email_path.group(1) in claims
    assert "address" not in claims  # OpenID's postal address claim


def test_oauth2_proxy_asks_for_what_its_client_is_registered_for(clients: ClientRegistry) -> None:
    settings = oauth2_proxy()
    registered = client(clients, str(settings["client_id"]))
    assert settings["provider"] == "oidc"
    assert settings["redirect_url"] in registered.redirect_uris
    assert set(str(settings["scope"]).split()) <= registered.scopes
    assert settings["code_challenge_method"] == CODE_CHALLENGE_METHOD
    assert settings["insecure_oidc_skip_nonce"] is False
    # its "email" is a claim every ID token carries, whatever the scope
    assert settings["oidc_email_claim"] == "sub"
    assert settings["email_domains"] == ["*"]


def test_keycloak_brokers_with_the_registered_endpoint_and_logout_uris(clients: ClientRegistry) -> None:
    realm, settings = kcadm_settings(block("keycloak"))
    registered = client(clients, settings["config.clientId"])
    assert settings["providerId"] == "oidc"
    [redirect] = registered.redirect_uris
    broker = KEYCLOAK_BROKER.fullmatch(redirect)
    assert broker is not None
    assert (broker["realm"], broker["alias"]) == (realm, settings["alias"])
    assert registered.post_logout_redirect_uris == (redirect + "/logout_response",)
    assert redirect in section(), "the prose names another broker redirect URI than the one registered"
    assert settings["config.clientAuthMethod"] == registered.token_endpoint_auth_method
    assert (settings["config.pkceEnabled"], settings["config.pkceMethod"]) == ("true", CODE_CHALLENGE_METHOD)
    assert set(settings["config.defaultScope"].split()) <= registered.scopes
    assert settings["config.syncMode"] in {"IMPORT", "FORCE", "LEGACY"}


def test_every_provider_url_is_one_the_live_discovery_document_serves(tmp_path: Path) -> None:
    environment = dict(
        word.split("=", 1) for word in shlex.split(block("run").replace("\\\n", " ")) if word.startswith("AUTH_")
    )
    assert environment["AUTH_ISSUER"] == ISSUER
    assert urlsplit(ISSUER).netloc in environment["AUTH_DOMAINS"].split(",")
    (tmp_path / environment["AUTH_OIDC_CLIENTS_FILE"]).write_text(block("clients.json"))
    for command in ("keygen --alg ES256 --output", "keygen --alg RS256 --add"):
        made = subprocess.run(
            [sys.executable, "-m", "app", *command.split(), str(tmp_path / environment["AUTH_JWT_KEYS_FILE"])],
            cwd=ROOT,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
    for name in ("AUTH_OIDC_CLIENTS_FILE", "AUTH_JWT_KEYS_FILE"):
        environment[name] = str(tmp_path / environment[name])
    with started_app(**environment) as running:
        answer = httpx.get(running.url + discovery.DISCOVERY_PATH, timeout=10)
    assert answer.status_code == 200, answer.text
    metadata = answer.json()
    assert metadata["issuer"] == ISSUER
    served = {value for name, value in metadata.items() if name == "issuer" or name.endswith(("_endpoint", "_uri"))}
    shown = {url.split("?")[0] for url in re.findall(re.escape(ISSUER) + r"[^\s\"'`),]*", section())}
    assert shown - served == {ISSUER + discovery.DISCOVERY_PATH}, "URLs the discovery document does not list"
    _, keycloak = kcadm_settings(block("keycloak"))
    assert keycloak["config.issuer"] == oauth2_proxy()["oidc_issuer_url"] == metadata["issuer"]
    assert "S256" in metadata["code_challenge_methods_supported"]
    assert discovery.REQUIRED_ID_TOKEN_ALGORITHM in metadata["id_token_signing_alg_values_supported"]
    asked = set(grafana()["scopes"].split()) | set(str(oauth2_proxy()["scope"]).split())
    assert asked | set(keycloak["config.defaultScope"].split()) <= set(metadata["scopes_supported"])

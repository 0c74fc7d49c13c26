"""The OpenID Provider as a certified relying-party library sees it: openid-client 6
(clients/js/test/oidc-client.mjs) against `python -m app` with two registered clients, through the whole
authorization code flow — discovery, PKCE, the sign-in POST with a real signature, the code grant, UserInfo, a
refresh, revocation, RP-Initiated Logout.

Two runs, concurrently: an EOA (an ethers key) on chain 1 through a confidential client (client_secret_basic,
RS256 ID tokens), and an EIP-1271 contract wallet (OwnedWallet on ganache, chain 1337, signed for by its owner
key) through a public client (PKCE only, ES256 ID tokens). openid-client itself refuses a wrong iss, state, nonce,
at_hash, audience or signature, so a run that completes has passed those checks; the assertions here are on
what it printed.
"""

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from eth_utils.address import to_checksum_address

from app.oidc.clients import hash_secret
from tests.interop.node import results, start_node, web3_auth_on
from tests.support.chain import CONTRACTS_DIR, compile_contracts, running_ganache
from tests.support.redis_server import free_port
from tests.support.wallets import new_wallet

CONTRACT_CHAIN = 1337
SCOPES = ["openid", "profile", "offline_access"]
SECRET = "a-confidential-relying-party's-secret"
RUNS = ("eoa", "contract")
ENDPOINTS = {
    "authorization_endpoint": "/oidc/authorize",
    "token_endpoint": "/oidc/token",
    "userinfo_endpoint": "/oidc/userinfo",
    "jwks_uri": "/.well-known/jwks.json",
    "revocation_endpoint": "/oidc/revoke",
    "end_session_endpoint": "/oidc/logout",
}


def registered(client_id: str, **members: Any) -> dict[str, Any]:
    """A client of the clients file, its URIs on a loopback port no one listens on (the RP never needs to
    answer: the script reads the 303s itself)."""
    return {
        "client_id": client_id,
        "name": f"The {client_id} relying party",
        "redirect_uris": [f"http://127.0.0.1:9/{client_id}/callback"],
        "post_logout_redirect_uris": [f"http://127.0.0.1:9/{client_id}/signed-out"],
        "scopes": SCOPES,
        **members,
    }


CLIENTS = {
    "eoa": registered(
        "confidential", token_endpoint_auth_method="client_secret_basic", id_token_signed_response_alg="RS256"
    ),
    "contract": registered("public", token_endpoint_auth_method="none", id_token_signed_response_alg="ES256"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    compiled = compile_contracts(CONTRACTS_DIR / "OwnedWallet.sol")
    clients_file = tmp_path_factory.mktemp("oidc") / "clients.json"
    confidential = {**CLIENTS["eoa"], "client_secret_hash": hash_secret(SECRET)}
    clients_file.write_text(json.dumps({"clients": [confidential, CLIENTS["contract"]]}))
    port = free_port()
    with running_ganache(CONTRACT_CHAIN) as ganache:
        owner = new_wallet()
        wallet = ganache.deploy(compiled["OwnedWallet"], ("address", owner.address))
        settings = {
            "AUTH_ISSUER": f"http://127.0.0.1:{port}",
            "AUTH_DOMAINS": f"127.0.0.1:{port}",  # the provider's own domain, which its sign-in messages name
            "AUTH_CHAIN_IDS": f"1,{CONTRACT_CHAIN}",
            "AUTH_RPC_URLS": f"{CONTRACT_CHAIN}={ganache.url}",
            "AUTH_OIDC_CLIENTS_FILE": str(clients_file),
            "AUTH_RATE_LIMIT_IP": "100000/minute",
            "AUTH_RATE_LIMIT_ADDRESS": "100000/minute",
        }
        with web3_auth_on(port, **settings) as base_url:
            common = {"issuer": base_url}
            eoa = {**common, **client_settings("eoa"), "clientSecret": SECRET, "chainId": 1}
            eoa |= {"signerKey": None, "wallet": None}
            # the wallet's address in lower case: the EIP-55 form in the ID token is the provider's own
            contract = {**common, **client_settings("contract"), "clientSecret": None, "chainId": CONTRACT_CHAIN}
            contract |= {"signerKey": "0x" + owner.key.hex(), "wallet": wallet.lower()}
            with (
                start_node("oidc-client.mjs", json.dumps(eoa)) as eoa_run,
                start_node("oidc-client.mjs", json.dumps(contract)) as contract_run,
            ):
                observed = {"eoa": results(eoa_run, timeout=30), "contract": results(contract_run, timeout=30)}
    return {"eoa": {**observed["eoa"], "run": eoa}, "contract": {**observed["contract"], "run": contract}}


def client_settings(run: str) -> dict[str, str]:
    client = CLIENTS[run]
    return {
        "clientId": client["client_id"],
        "idTokenAlg": client["id_token_signed_response_alg"],
        "redirectUri": client["redirect_uris"][0],
        "postLogoutRedirectUri": client["post_logout_redirect_uris"][0],
    }


@pytest.fixture(params=RUNS)
def run(runs: dict[str, dict[str, Any]], request: pytest.FixtureRequest) -> dict[str, Any]:
    facts = runs[request.param]
    assert "crashed" not in facts, facts.get("crashed")
    return facts


def subject(run: dict[str, Any]) -> str:
    return f"eip155:{run['run']['chainId']}:{to_checksum_address(run['address'])}"


def query(url: str) -> tuple[str, dict[str, str]]:
    """A URL without its query, and the query's parameters (each once)."""
    parts = urlsplit(url)
    parameters = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parameters.values()), url
    return parts._replace(query="").geturl(), {name: values[0] for name, values in parameters.items()}


def test_discovery_names_the_endpoints_under_the_issuer(run: dict[str, Any]) -> None:
    issuer = run["run"]["issuer"]
    metadata = run["discovery"]
    assert metadata["issuer"] == issuer
    assert {name: metadata[name] for name in ENDPOINTS} == {name: issuer + path for name, path in ENDPOINTS.items()}
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert run["run"]["idTokenAlg"] in metadata["id_token_signing_alg_values_supported"]


def test_the_authorization_url_asks_for_a_code_with_pkce_state_and_nonce(run: dict[str, Any]) -> None:
    sign_in = run["signIn"]
    url = sign_in["authorizationUrl"]
    assert url["endpoint"] == run["run"]["issuer"] + "/oidc/authorize"
    assert url["params"] == {
        "client_id": run["run"]["clientId"],
        "response_type": "code",
        "redirect_uri": run["run"]["redirectUri"],
        "scope": " ".join(SCOPES),
        "code_challenge": url["params"]["code_challenge"],
        "code_challenge_method": "S256",
        "state": sign_in["state"],
        "nonce": sign_in["nonce"],
    }
    assert len(url["params"]["code_challenge"]) == 43  # base64url of a SHA-256
    assert sign_in["page"]["status"] == 200
    assert sign_in["page"]["contentType"].startswith("text/html")


def test_the_signed_message_names_the_provider_and_the_redirect_uri(run: dict[str, Any]) -> None:
    challenge = run["signIn"]["challenge"]
    host = urlsplit(run["run"]["issuer"]).netloc
    assert challenge["status"] == 200
    assert challenge["domain"] == host
    message: str = challenge["message"]
    address = to_checksum_address(run["address"])
    assert message.startswith(f"{host} wants you to sign in with your Ethereum account:\n{address}\n")
    assert f"\nChain ID: {run['run']['chainId']}\n" in message
    assert message.endswith(f"\nResources:\n- {run['run']['redirectUri']}")


def test_the_completion_redirects_to_the_client_with_code_state_and_iss(run: dict[str, Any]) -> None:
    completion = run["signIn"]["completion"]
    assert completion["status"] == 303, completion
    target, parameters = query(completion["location"])
    assert target == run["run"]["redirectUri"]
    assert set(parameters) == {"code", "state", "iss"}
    assert parameters["state"] == run["signIn"]["state"]
    assert parameters["iss"] == run["run"]["issuer"]


def test_the_id_token_names_the_caip10_account_for_the_client(run: dict[str, Any]) -> None:
    tokens = run["signIn"]["tokens"]
    assert tokens["tokenType"] == "bearer"  # as openid-client hands it on (lower-cased)
    assert set(tokens["scope"].split()) == set(SCOPES)
    assert tokens["hasRefreshToken"] is True
    assert tokens["idTokenAlg"] == run["run"]["idTokenAlg"]
    claims = tokens["claims"]
    assert claims["sub"] == subject(run)
    assert claims["aud"] in (run["run"]["clientId"], [run["run"]["clientId"]])
    assert claims["iss"] == run["run"]["issuer"]
    assert claims["nonce"] == run["signIn"]["nonce"]
    assert {"exp", "iat", "auth_time", "at_hash", "sid"} <= set(claims)
    assert claims["iat"] <= claims["exp"]


def test_userinfo_answers_the_account_and_the_profile_claims(run: dict[str, Any]) -> None:
    address, chain_id = to_checksum_address(run["address"]), run["run"]["chainId"]
    userinfo = run["userinfo"]
    assert userinfo["sub"] == subject(run)
    assert userinfo["preferred_username"] == address
    assert userinfo["wallet_address"] == address
    assert userinfo["chain_id"] == chain_id
    assert userinfo["accounts"] == [subject(run)]
    assert run["meStatus"] == 200  # an OIDC access token is one of the service's own


def test_a_refresh_rotates_both_tokens(run: dict[str, Any]) -> None:
    assert run["refresh"] == {
        "newAccessToken": True,
        "newRefreshToken": True,
        "userinfoSub": subject(run),
        "meStatus": 200,
    }


def test_revoking_the_refresh_token_ends_the_session_everywhere(run: dict[str, Any]) -> None:
    assert run["revoked"] == {
        "userinfo": {"status": 401, "error": "invalid_token"},
        "firstUserinfo": {"status": 401, "error": "invalid_token"},  # the access token before the refresh too
        "meStatus": 401,
        "refresh": {"status": 400, "error": "invalid_grant"},
    }


def test_end_session_returns_to_the_registered_uri_with_the_state_and_signs_out(run: dict[str, Any]) -> None:
    second = run["secondSignIn"]
    assert second["completion"]["status"] == 303, second["completion"]
    assert second["tokens"]["claims"]["sub"] == subject(run)
    assert second["tokens"]["claims"]["sid"] != run["signIn"]["tokens"]["claims"]["sid"]
    logout = run["logout"]
    assert logout["endSessionUrl"]["endpoint"] == run["run"]["issuer"] + "/oidc/logout"
    assert set(logout["endSessionUrl"]["params"]) == {"id_token_hint", "post_logout_redirect_uri", "state", "client_id"}
    assert logout["meBefore"] == 200
    assert logout["status"] == 303
    assert query(logout["location"]) == (run["run"]["postLogoutRedirectUri"], {"state": logout["state"]})
    assert logout["userinfo"] == {"status": 401, "error": "invalid_token"}
    assert logout["meStatus"] == 401
    assert logout["refresh"] == {"status": 400, "error": "invalid_grant"}

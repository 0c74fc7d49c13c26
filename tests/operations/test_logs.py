"""What `python -m app` writes: one JSON line per request with its id, and never a credential."""

import json
from pathlib import Path

import httpx
import pytest

from app.domain.keys import generate_private_key, private_jwk
from app.files import write_private_file
from tests.support.process import started_app
from tests.support.wallets import new_wallet, sign

INTROSPECTION_CREDENTIAL = "introspection-caller-secret-0123"
METRICS_CREDENTIAL = "metrics-scraper-secret-0123456"


@pytest.fixture
def private_key_set() -> dict[str, list[dict[str, str]]]:
    return {"keys": [private_jwk(generate_private_key("ES256"), "ES256")]}


def test_a_full_flow_logs_each_request_once_and_no_credential_ever(
    tmp_path: Path, private_key_set: dict[str, list[dict[str, str]]]
) -> None:
    keys_file = tmp_path / "keys.json"
    write_private_file(keys_file, json.dumps(private_key_set))
    wallet = new_wallet()
    environment = {
        "AUTH_JWT_KEYS_FILE": str(keys_file),
        "AUTH_INTROSPECT_TOKEN": INTROSPECTION_CREDENTIAL,
        "AUTH_METRICS_TOKEN": METRICS_CREDENTIAL,
        "AUTH_LOG_LEVEL": "debug",  # the most the service ever says
    }
    with started_app(**environment) as app, httpx.Client(base_url=app.url) as http:
        traced = http.post("/auth/challenge", json={"address": wallet.address}, headers={"X-Request-ID": "trace-42"})
        assert traced.headers["x-request-id"] == "trace-42"
        message = traced.json()["message"]
        signature = sign(wallet, message)
        tokens = http.post("/auth/verify", json={"message": message, "signature": signature}).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert http.get("/auth/me", headers=bearer).status_code == 200
        assert http.get("/auth/forward", headers=bearer).status_code == 200
        introspection = {"Authorization": f"Bearer {INTROSPECTION_CREDENTIAL}"}
        assert http.post("/auth/introspect", data={"token": tokens["access_token"]}, headers=introspection).is_success
        renewed = http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
        reused = http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert reused.json()["error"] == "refresh_reused"
        replayed = http.post("/auth/verify", json={"message": message, "signature": signature})
        assert replayed.json()["error"] == "invalid_nonce"
        assert http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_CREDENTIAL}"}).is_success
        generated = http.get("/healthz").headers["x-request-id"]
        requests_made = 11
        assert app.stop() == 0
        output = app.output()

    records = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is JSON
    access = [record for record in records if record["logger"] == "web3_auth.access"]
    assert len(access) >= requests_made
    traced = [record for record in access if record["request_id"] == "trace-42"]
    assert len(traced) == 1, traced  # once, not once per handler or worker
    traced_line = traced[0]
    assert (traced_line["method"], traced_line["route"], traced_line["status"]) == ("POST", "/auth/challenge", 200)
    assert {"time", "level", "duration_ms", "client", "outcome"} <= set(traced_line)
    assert any(record["request_id"] == generated and record["route"] == "/healthz" for record in access)
    outcomes = {(record["route"], record["outcome"]) for record in access}
    assert {("/auth/verify", "ok"), ("/auth/refresh", "refresh_reused"), ("/auth/verify", "invalid_nonce")} <= outcomes

    credentials = [
        signature,
        signature.removeprefix("0x"),
        tokens["access_token"],
        tokens["refresh_token"],
        renewed["access_token"],
        renewed["refresh_token"],
        private_key_set["keys"][0]["d"],
        INTROSPECTION_CREDENTIAL,
        METRICS_CREDENTIAL,
    ]
    for credential in credentials:
        assert credential not in output
    for token in (tokens["access_token"], tokens["refresh_token"]):  # not even a recognisable part of one
        assert token.split(".")[-1][:24] not in output


def test_text_logs_for_a_terminal() -> None:
    with started_app(AUTH_LOG_FORMAT="text") as app:
        httpx.get(f"{app.url}/healthz", headers={"X-Request-ID": "text-format-check"})
        assert app.stop() == 0
        output = app.output()
    line = next(line for line in output.splitlines() if "text-format-check" in line)
    assert "web3_auth.access: request" in line
    assert "route=/healthz" in line
    assert "status=200" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)

"""GET /metrics after scripted flows: the counters an operator watches move as they should, in one process
(over ASGI) and summed over two uvicorn workers (a real `python -m app` on Redis)."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.domain.keys import generate_private_key, private_jwk
from app.files import write_private_file
from app.main import create_app
from tests.support.app import GENEROUS_LIMITS, app_client, served, signed_challenge, signed_in
from tests.support.metrics import Samples, samples, value
from tests.support.process import serving
from tests.support.redis_server import delete_prefix
from tests.support.wallets import new_wallet, sign


async def metrics_page(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def test_a_scripted_flow_moves_the_counters(wallet: LocalAccount) -> None:
    async with app_client(Settings(**GENEROUS_LIMITS)) as client:
        before = await metrics_page(client)
        tokens = await signed_in(client, wallet)  # ok, issued
        forged = await signed_challenge(client, wallet)
        forged["signature"] = sign(new_wallet(), forged["message"])
        assert (await client.post("/auth/verify", json=forged)).json()["error"] == "invalid_signature"
        rotated = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert rotated.status_code == 200  # refreshed
        again = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert again.json()["error"] == "refresh_reused"  # reuse detected
        other = await signed_in(client, wallet)
        bearer = {"Authorization": f"Bearer {other['access_token']}"}
        assert (await client.post("/auth/logout", headers=bearer)).status_code == 204  # revoked
        assert (await client.get("/auth/no-such-thing")).status_code == 404
    async with app_client(Settings(rate_limit_ip="1/minute")) as client:
        pending = await signed_challenge(client, wallet)
        assert (await client.post("/auth/verify", json=pending)).json()["error"] == "rate_limited"
        after = await metrics_page(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("web3auth_sign_ins_total", outcome="ok") == 2
    assert moved("web3auth_sign_ins_total", outcome="invalid_signature") == 1
    assert moved("web3auth_sign_ins_total", outcome="rate_limited") == 1
    assert moved("web3auth_tokens_total", event="issued") == 2
    assert moved("web3auth_tokens_total", event="refreshed") == 1
    assert moved("web3auth_tokens_total", event="reuse_detected") == 1
    assert moved("web3auth_tokens_total", event="revoked") == 1
    assert moved("web3auth_rate_limited_total", limit="ip") == 1
    assert moved("web3auth_http_requests_total", method="POST", route="/auth/verify", status="200") == 2
    assert moved("web3auth_http_requests_total", method="POST", route="/auth/verify", status="401") == 1
    assert moved("web3auth_http_requests_total", route="unmatched", status="404") == 1  # no path as a label
    assert moved("web3auth_http_request_duration_seconds_count", route="/auth/challenge") == 4
    assert moved("web3auth_store_operation_duration_seconds_count", operation="redeem_challenge") == 2
    assert moved("web3auth_store_operation_duration_seconds_count", operation="save_challenge") == 4
    # each store operation counted once: save and find read the challenges without counting a read of their own
    assert moved("web3auth_store_operation_duration_seconds_count", operation="outstanding_challenges") == 0
    assert moved("web3auth_store_errors_total") == 0


async def test_metrics_may_require_their_own_token() -> None:
    token = "metrics-scraper-0123456789"
    async with app_client(Settings(metrics_token=token)) as client:
        before = await metrics_page(client, Authorization=f"Bearer {token}")
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-metrics-token"})
        assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_token")
        page = await metrics_page(client, Authorization=f"Bearer {token}")
        refused = [value(p, "web3auth_http_requests_total", route="/metrics", status="401") for p in (before, page)]
        assert refused[1] - refused[0] == 2


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    write_private_file(path, json.dumps({"keys": [private_jwk(generate_private_key("ES256"), "ES256")]}))
    return path


def test_with_two_workers_the_metrics_add_up_across_them(redis_url: str, keys_file: Path) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    environment = {
        "AUTH_WORKERS": "2",
        "AUTH_REDIS_URL": redis_url,
        "AUTH_REDIS_PREFIX": prefix,
        "AUTH_JWT_KEYS_FILE": str(keys_file),
        "AUTH_RATE_LIMIT_IP": "1000/minute",
        "AUTH_RATE_LIMIT_ADDRESS": "1000/minute",
    }
    try:
        with serving(**environment) as base_url:
            sign_ins = 12
            for _ in range(sign_ins):  # each on a new connection: the workers share them out
                wallet = new_wallet()
                message = httpx.post(f"{base_url}/auth/challenge", json={"address": wallet.address}).json()["message"]
                body = {"message": message, "signature": sign(wallet, message)}
                assert httpx.post(f"{base_url}/auth/verify", json=body).status_code == 200
            for _ in range(3):  # whichever worker answers, it reports both workers' counts
                page = samples(httpx.get(f"{base_url}/metrics").text)
                assert value(page, "web3auth_sign_ins_total", outcome="ok") == sign_ins
                assert value(page, "web3auth_tokens_total", event="issued") == sign_ins
                assert value(page, "web3auth_http_requests_total", route="/auth/challenge", status="200") == sign_ins
    finally:
        delete_prefix(redis_url, prefix)


async def test_invented_methods_and_paths_do_not_become_labels() -> None:
    async with app_client(Settings(**GENEROUS_LIMITS)) as client:
        other = {"method": "other", "route": "/auth/forward", "status": "401"}
        before = value(await metrics_page(client), "web3auth_http_requests_total", **other)
        for index in range(20):
            await client.request(f"BREW{index}", "/auth/forward")
            await client.get(f"/auth/made-up-{index}")
        page = await metrics_page(client)
    labels = {dict(sample_labels).get("method") for (name, sample_labels) in page if name.startswith("web3auth_http")}
    routes = {dict(sample_labels).get("route") for (name, sample_labels) in page if name.startswith("web3auth_http")}
    assert not any(str(method).startswith("BREW") for method in labels)
    assert value(page, "web3auth_http_requests_total", **other) == before + 20
    assert not any("made-up" in str(route) for route in routes)


def test_a_client_gone_before_its_body_is_whole_is_counted_as_499_not_as_a_bad_request() -> None:
    with served(create_app(Settings(**GENEROUS_LIMITS))) as url:
        before = samples(httpx.get(f"{url}/metrics").text)
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as connection:
            connection.sendall(
                b"POST /auth/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"message": "'  # ... and the rest never comes
            )
        deadline = time.monotonic() + 5
        while True:
            after = samples(httpx.get(f"{url}/metrics").text)
            closed = value(after, "web3auth_http_requests_total", route="/auth/verify", status="499")
            if closed > value(before, "web3auth_http_requests_total", route="/auth/verify", status="499"):
                break
            assert time.monotonic() < deadline, "the abandoned request was not counted"
            time.sleep(0.05)
        counted_as_400 = [
            value(page, "web3auth_http_requests_total", route="/auth/verify", status="400") for page in (before, after)
        ]
        assert counted_as_400[0] == counted_as_400[1]
        assert value(after, "web3auth_sign_ins_total", outcome="client_closed") == 1 + value(
            before, "web3auth_sign_ins_total", outcome="client_closed"
        )


def test_a_worker_that_exits_leaves_no_live_gauges_behind(tmp_path: Path) -> None:
    """Otherwise a replaced worker's last node health and breaker state go on counting in every scrape."""
    script = (
        "from app.observability import metrics\n"
        "metrics.RPC_NODE_HEALTHY.labels('1', 'node-a').set(0)\n"
        "metrics.RPC_BREAKER_STATE.labels('1', 'node-a').set(2)\n"
        "import os; print(sorted(os.listdir(os.environ['PROMETHEUS_MULTIPROC_DIR'])))\n"
        "metrics.forget_this_worker()\n"
        "print(sorted(os.listdir(os.environ['PROMETHEUS_MULTIPROC_DIR'])))\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.splitlines()
    assert "gauge_live" in before
    assert "gauge_live" not in after

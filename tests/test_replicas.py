"""Two `python -m app` processes on one real Redis, as two replicas behind a load balancer."""

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.support.process import serving, shared_state_settings
from tests.support.redis_server import delete_prefix
from tests.support.wallets import new_wallet, sign


@pytest.fixture(scope="module")
def replicas(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    settings = shared_state_settings(
        redis_url,
        tmp_path_factory.mktemp("keys"),
        AUTH_TRUSTED_PROXIES="127.0.0.1/32",  # the load balancer
        AUTH_RATE_LIMIT_IP="6/minute",
        AUTH_RATE_LIMIT_ADDRESS="4/minute",
    )
    with ExitStack() as running:
        first = running.enter_context(serving(**settings))
        second = running.enter_context(serving(**settings))
        yield first, second
    delete_prefix(redis_url, settings["AUTH_REDIS_PREFIX"])


def via(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def test_a_wallets_sign_in_budget_is_shared_by_the_replicas_whatever_the_ip_or_the_spelling(
    replicas: tuple[str, str],
) -> None:
    wallet = new_wallet()
    spellings = [wallet.address, wallet.address.lower(), "0x" + wallet.address[2:].upper(), wallet.address]
    signed = []
    for index, spelling in enumerate([*spellings, wallet.address]):  # one more challenge than the budget
        ip = via(f"198.51.100.{index}")
        issued = httpx.post(f"{replicas[index % 2]}/auth/challenge", json={"address": spelling}, headers=ip)
        assert issued.status_code == 200, issued.text
        message = issued.json()["message"]
        signed.append(({"message": message, "signature": sign(wallet, message)}, ip))
    for index, (body, ip) in enumerate(signed[:4]):  # alternating replicas, each sign-in from its own IP
        response = httpx.post(f"{replicas[(index + 1) % 2]}/auth/verify", json=body, headers=ip)
        assert response.status_code == 200, response.text
    for replica in replicas:
        body, ip = signed[4]
        response = httpx.post(f"{replica}/auth/verify", json=body, headers=ip)
        assert (response.status_code, response.json()["error"]) == (429, "rate_limited")


def test_a_clients_challenge_budget_for_a_wallet_is_shared_by_the_replicas_and_the_spellings(
    replicas: tuple[str, str],
) -> None:
    wallet = new_wallet()
    client = via("198.51.100.20")
    spellings = [wallet.address, wallet.address.lower(), "0x" + wallet.address[2:].upper(), wallet.address]
    for index, spelling in enumerate(spellings):
        response = httpx.post(f"{replicas[index % 2]}/auth/challenge", json={"address": spelling}, headers=client)
        assert response.status_code == 200, response.text
    for replica in replicas:
        response = httpx.post(f"{replica}/auth/challenge", json={"address": wallet.address}, headers=client)
        assert (response.status_code, response.json()["error"]) == (429, "rate_limited")
    # another client still gets its challenge: a flood from one client cannot lock the wallet out
    response = httpx.post(f"{replicas[0]}/auth/challenge", json={"address": wallet.address}, headers=via("192.0.2.9"))
    assert response.status_code == 200, response.text


def test_each_client_ip_has_one_budget_across_the_replicas(replicas: tuple[str, str]) -> None:
    for index in range(6):
        response = httpx.get(f"{replicas[index % 2]}/auth/me", headers=via("203.0.113.5"))
        assert response.status_code == 401  # past the limiter; no token
    for replica in replicas:
        assert httpx.get(f"{replica}/auth/me", headers=via("203.0.113.5")).status_code == 429
        assert httpx.get(f"{replica}/auth/me", headers=via("203.0.113.6")).status_code == 401


def test_challenge_on_one_replica_sign_in_on_the_other_logout_honoured_by_both(replicas: tuple[str, str]) -> None:
    first, second = replicas
    wallet = new_wallet()
    message = httpx.post(f"{first}/auth/challenge", json={"address": wallet.address}, headers=via("192.0.2.1")).json()[
        "message"
    ]
    response = httpx.post(
        f"{second}/auth/verify", json={"message": message, "signature": sign(wallet, message)}, headers=via("192.0.2.1")
    )
    assert response.status_code == 200, response.text
    bearer = {"Authorization": f"Bearer {response.json()['access_token']}", **via("192.0.2.1")}
    assert httpx.get(f"{first}/auth/me", headers=bearer).json()["address"] == wallet.address
    assert httpx.post(f"{first}/auth/logout", headers=bearer).status_code == 204
    assert httpx.get(f"{second}/auth/me", headers=bearer).status_code == 401
    assert httpx.get(f"{second}/auth/forward", headers=bearer).status_code == 401


def test_the_replicas_publish_the_same_keys(replicas: tuple[str, str]) -> None:
    first, second = (httpx.get(f"{replica}/.well-known/jwks.json").json() for replica in replicas)
    assert first == second


def test_a_logout_on_one_replica_is_honoured_by_the_other_that_had_checked_the_session(
    replicas: tuple[str, str],
) -> None:
    """The second replica answers its checks from its copy of the session; the logout on the first removes it.
    (Each request from an IP of its own: the replicas' per-IP budget here is 6 a minute.)"""
    first, second = replicas
    wallet = new_wallet()
    ips = (via(f"192.0.2.{index}") for index in range(100, 120))
    issued = httpx.post(f"{first}/auth/challenge", json={"address": wallet.address}, headers=next(ips))
    body = {"message": issued.json()["message"], "signature": sign(wallet, issued.json()["message"])}
    response = httpx.post(f"{first}/auth/verify", json=body, headers=next(ips))
    assert response.status_code == 200, response.text
    bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
    for _ in range(3):
        assert httpx.get(f"{second}/auth/me", headers={**bearer, **next(ips)}).status_code == 200
        assert httpx.get(f"{second}/auth/forward", headers={**bearer, **next(ips)}).status_code == 200
    assert httpx.post(f"{first}/auth/logout", headers={**bearer, **next(ips)}).status_code == 204
    assert httpx.get(f"{second}/auth/me", headers={**bearer, **next(ips)}).status_code == 401
    assert httpx.get(f"{second}/auth/forward", headers={**bearer, **next(ips)}).status_code == 401

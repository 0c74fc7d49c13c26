"""The pool of Ethereum nodes under faults: nodes that hang, fail, drop the connection or serve another chain,
in front of a real chain, while contract wallets sign in over HTTP."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.errors import RpcUnavailable
from app.policies import Policies
from app.rpc.breaker import BreakerState
from app.rpc.pool import ChainPool, hex_quantity
from tests.chain.conftest import CHAIN_ID
from tests.support.app import GENEROUS_LIMITS, app_client
from tests.support.chain import Ganache
from tests.support.fake_nodes import Behaviour, FakeNode, fake_nodes
from tests.support.wallets import new_wallet, sign

DEADLINE = 1.0  # AUTH_RPC_TIMEOUT in these tests
MARGIN = 0.5  # for HTTP and the event loop on a busy machine
# What a contract wallet's sign-in sends besides the validator call: the chain check, and the code check
NOT_VALIDATOR_CALLS = ("eth_chainId", "eth_getCode")


@pytest.fixture
def nodes(ganache: Ganache) -> Iterator[list[FakeNode]]:
    with fake_nodes(ganache.url, 2) as running:
        yield running


def settings(nodes: list[FakeNode], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "chain_ids": [CHAIN_ID],
        "rpc_urls": {CHAIN_ID: [node.url for node in nodes]},
        "rpc_timeout": DEADLINE,
        "rpc_breaker_cooldown": 0.5,
        "rpc_health_interval": 3600,  # only the check at start-up: the tests decide what happens next
        **GENEROUS_LIMITS,
    }
    return Settings(**{**values, **overrides})


async def all_verified(client: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    """The nodes' status once the start-up health check has verified `count` of them."""
    for _ in range(100):
        statuses: list[dict[str, Any]] = (await client.get("/readyz")).json()["rpc"][str(CHAIN_ID)]
        if sum(status["chain"] != "unverified" for status in statuses) >= count:
            return statuses
        await asyncio.sleep(0.05)
    raise AssertionError(f"the nodes were not checked: {statuses}")


async def signed_body(client: httpx.AsyncClient, wallet: tuple[str, Any]) -> dict[str, str]:
    address, owner = wallet
    response = await client.post("/auth/challenge", json={"address": address, "chain_id": CHAIN_ID})
    message = response.json()["message"]
    return {"message": message, "signature": sign(owner, message)}


async def timed_verify(client: httpx.AsyncClient, body: dict[str, str]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await client.post("/auth/verify", json=body)
    return response, time.monotonic() - started


async def test_with_one_node_hanging_the_other_answers_within_the_deadline(
    nodes: list[FakeNode], contract_wallet: tuple[str, Any]
) -> None:
    hanging, healthy = nodes
    healthy.delay = 0.1  # slower, so the pool prefers the other one
    async with app_client(settings(nodes)) as client:
        await all_verified(client, 2)
        hanging.behave(Behaviour.HANG)
        for _ in range(3):
            response, elapsed = await timed_verify(client, await signed_body(client, contract_wallet))
            assert response.status_code == 200, response.text
            assert elapsed < DEADLINE, f"{elapsed:.2f}s"
        assert hanging.count(excluding="eth_chainId") >= 1  # it was asked first, and the pool moved on


@pytest.mark.parametrize("fault", [Behaviour.HTTP_500, Behaviour.DROP, Behaviour.HANG])
async def test_with_every_node_down_a_contract_sign_in_is_503_within_the_deadline_then_works_again(
    nodes: list[FakeNode], contract_wallet: tuple[str, Any], fault: Behaviour
) -> None:
    async with app_client(settings(nodes)) as client:
        await all_verified(client, 2)
        for node in nodes:
            node.behave(fault)
        body = await signed_body(client, contract_wallet)
        for _ in range(2):
            response, elapsed = await timed_verify(client, body)
            assert response.status_code == 503, response.text
            assert response.json()["error"] == "rpc_unavailable"
            assert response.headers["retry-after"] == "1"
            assert elapsed < DEADLINE + MARGIN, f"{elapsed:.2f}s: the deadline is for the whole call"
        eoa = new_wallet()  # wallets with keys do not notice
        message = (await client.post("/auth/challenge", json={"address": eoa.address})).json()["message"]
        assert (
            await client.post("/auth/verify", json={"message": message, "signature": sign(eoa, message)})
        ).is_success
        for node in nodes:
            node.behave(Behaviour.FORWARD)
        await asyncio.sleep(0.6)  # the breakers' cool-down
        response, _ = await timed_verify(client, body)  # the nonce was not spent by the outage
        assert response.status_code == 200, response.text


async def test_a_node_on_another_chain_is_never_sent_anything_but_eth_chain_id(
    nodes: list[FakeNode], contract_wallet: tuple[str, Any]
) -> None:
    impostor, honest = nodes
    impostor.behave(Behaviour.WRONG_CHAIN, chain_id=1)
    honest.delay = 0.05
    async with app_client(settings(nodes)) as client:
        statuses = await all_verified(client, 2)
        assert [status["chain"] for status in statuses] == ["wrong_chain", "verified"]
        assert statuses[0]["healthy"] is False
        for _ in range(3):
            response, _ = await timed_verify(client, await signed_body(client, contract_wallet))
            assert response.status_code == 200, response.text
        assert impostor.count() == impostor.requests["eth_chainId"] >= 1
        assert impostor.count(excluding="eth_chainId") == 0


async def test_only_nodes_on_another_chain_is_503(nodes: list[FakeNode], contract_wallet: tuple[str, Any]) -> None:
    for node in nodes:
        node.behave(Behaviour.WRONG_CHAIN, chain_id=5)
    async with app_client(settings(nodes)) as client:
        await all_verified(client, 2)
        response, elapsed = await timed_verify(client, await signed_body(client, contract_wallet))
        assert (response.status_code, response.json()["error"]) == (503, "rpc_unavailable")
        assert elapsed < DEADLINE + MARGIN
        assert all(node.count(excluding="eth_chainId") == 0 for node in nodes)


async def test_a_breaker_opens_after_the_configured_failures_and_closes_after_recovery(
    nodes: list[FakeNode], contract_wallet: tuple[str, Any]
) -> None:
    cooldown = 1.0
    async with app_client(settings(nodes, rpc_breaker_failures=2, rpc_breaker_cooldown=cooldown)) as client:
        await all_verified(client, 2)
        for node in nodes:
            node.behave(Behaviour.HTTP_500)
        for _ in range(2):  # each call charges each node's breaker once, however many rounds it makes
            response, _ = await timed_verify(client, await signed_body(client, contract_wallet))
            assert response.status_code == 503
        opened_at = time.monotonic()
        statuses = (await client.get("/readyz")).json()["rpc"][str(CHAIN_ID)]
        assert [(status["breaker"], status["healthy"]) for status in statuses] == [("open", False)] * 2
        # the call went round until its deadline: the last failure seen may be a 500 or the deadline itself
        assert {status["last_error"] for status in statuses} <= {"http_500", "timeout"}
        asked = [node.count() for node in nodes]
        response, elapsed = await timed_verify(client, await signed_body(client, contract_wallet))
        assert (response.status_code, response.json()["error"]) == (503, "rpc_unavailable")
        assert elapsed < 0.2  # no usable node: no waiting
        assert [node.count() for node in nodes] == asked  # left alone while open

        for node in nodes:
            node.behave(Behaviour.FORWARD)
        await asyncio.sleep(max(0.0, cooldown + 0.1 - (time.monotonic() - opened_at)))  # the next call probes
        response, _ = await timed_verify(client, await signed_body(client, contract_wallet))
        assert response.status_code == 200, response.text
        statuses = (await client.get("/readyz")).json()["rpc"][str(CHAIN_ID)]
        probed = [status for status in statuses if status["last_error"] is None]
        assert probed
        assert all((status["breaker"], status["healthy"]) == ("closed", True) for status in probed)


@pytest.mark.parametrize(
    "error",
    [
        {"code": -32000, "message": "header not found"},
        {"code": -32000, "message": "context deadline exceeded"},
        {"code": -32005, "message": "project ID request rate exceeded"},
        {"code": -32603, "message": "Internal error"},
    ],
)
async def test_a_node_error_fails_over(
    nodes: list[FakeNode], contract_wallet: tuple[str, Any], error: dict[str, Any]
) -> None:
    first, second = nodes
    response = await verify_while_the_first_node_errs(nodes, contract_wallet, error)
    assert response.status_code == 200, response.text  # the other node answered
    assert first.count(excluding=NOT_VALIDATOR_CALLS) == 1
    assert second.count(excluding=NOT_VALIDATOR_CALLS) == 1


@pytest.mark.parametrize(
    "error",
    [
        {"code": 3, "message": "execution reverted", "data": "0x"},
        {"code": -32000, "message": "VM Exception while processing transaction: revert"},
        {"code": -32000, "message": "out of gas"},
    ],
)
async def test_an_execution_failure_is_the_chains_answer(
    nodes: list[FakeNode], contract_wallet: tuple[str, Any], error: dict[str, Any]
) -> None:
    _, second = nodes
    response = await verify_while_the_first_node_errs(nodes, contract_wallet, error)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_signature")
    # an answer, not a fault: no other node is asked the validator call (the code check goes to every node)
    assert second.count(excluding=NOT_VALIDATOR_CALLS) == 0


async def verify_while_the_first_node_errs(
    nodes: list[FakeNode], contract_wallet: tuple[str, Any], error: dict[str, Any]
) -> httpx.Response:
    """A contract wallet's sign-in while the first node answers every call with `error` (the second is
    slower, so that the first is asked first)."""
    first, second = nodes
    second.delay = 0.3
    async with app_client(settings(nodes)) as client:
        await all_verified(client, 2)
        first.behave(Behaviour.CALL_ERROR, error=error)
        response, _ = await timed_verify(client, await signed_body(client, contract_wallet))
    return response


async def test_node_urls_never_show_their_credentials(ganache: Ganache) -> None:
    with FakeNode(ganache.url).running() as node:
        secret_url = node.url.replace("http://", "http://user:hunter2@") + "/v3/0123456789abcdef"
        async with app_client(settings([], rpc_urls={CHAIN_ID: [secret_url]})) as client:
            statuses = await all_verified(client, 1)
            text = (await client.get("/readyz")).text
        assert statuses[0]["chain"] == "verified"
        assert "hunter2" not in text
        assert "0123456789abcdef" not in text
        assert statuses[0]["node"] == node.url + "/..."


async def test_calls_are_hedged_so_a_slow_node_behind_two_hanging_ones_still_answers_in_time(
    ganache: Ganache, contract_wallet: tuple[str, Any]
) -> None:
    with fake_nodes(ganache.url, 3) as (first, second, slow):
        slow.delay = 0.05
        async with app_client(settings([first, second, slow])) as client:
            await all_verified(client, 3)
            first.behave(Behaviour.HANG)
            second.behave(Behaviour.HANG)
            slow.delay = 0.15
            response, elapsed = await timed_verify(client, await signed_body(client, contract_wallet))
            assert response.status_code == 200, response.text
            assert elapsed < DEADLINE
            assert first.count(excluding="eth_chainId") == second.count(excluding="eth_chainId") == 1
            # the code check found the node that answers; the validator call went straight to it
            assert first.requests["eth_call"] == second.requests["eth_call"] == 0
            assert slow.requests["eth_getCode"] == slow.requests["eth_call"] == 1


async def test_a_hostile_reply_is_a_node_failure_and_the_health_checks_survive_it(
    nodes: list[FakeNode], contract_wallet: tuple[str, Any]
) -> None:
    hostile, honest = nodes
    honest.delay = 0.3
    async with app_client(settings(nodes, rpc_health_interval=1)) as client:
        await all_verified(client, 2)
        hostile.behave(Behaviour.GARBAGE)
        response, _ = await timed_verify(client, await signed_body(client, contract_wallet))
        assert response.status_code == 200, response.text
        status = (await client.get("/readyz")).json()["rpc"][str(CHAIN_ID)][0]
        assert status["last_error"] == "malformed_reply"
        honest.delay = 0  # health rounds at the interval, not slowed by the honest node
        await until_asked_again(hostile, hostile.requests["eth_chainId"])  # a health round met the garbage...
        hostile.behave(Behaviour.FORWARD)
        await until_asked_again(hostile, hostile.requests["eth_chainId"])  # ...and the loop is still running


async def until_asked_again(node: FakeNode, checks: int, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while node.requests["eth_chainId"] <= checks:
        assert time.monotonic() < deadline, "no health round reached the node"
        await asyncio.sleep(0.05)


async def test_a_probe_cancelled_midway_leaves_the_breaker_free_to_probe_again(nodes: list[FakeNode]) -> None:
    """The pool alone: a node's breaker opens; the call probing it is cancelled (the client went away, the
    server stops) while the node hangs. The breaker must let the next probe through, not stay stuck."""
    flaky = nodes[0]
    settings_ = settings(nodes, rpc_breaker_failures=1, rpc_breaker_cooldown=0.3)
    async with httpx.AsyncClient() as http:
        pool = ChainPool(CHAIN_ID, [flaky.url], http, Policies.from_settings(settings_).nodes)
        breaker = pool.nodes[0].breaker
        flaky.behave(Behaviour.HTTP_500)
        with pytest.raises(RpcUnavailable):
            await pool.call("eth_blockNumber", [], hex_quantity, time.monotonic() + DEADLINE)
        assert breaker.state is BreakerState.OPEN
        await asyncio.sleep(0.35)
        flaky.behave(Behaviour.HANG)
        probing = asyncio.create_task(pool.call("eth_blockNumber", [], hex_quantity, time.monotonic() + 5))
        await asyncio.sleep(0.2)
        assert (breaker.state, breaker.allows()) == (BreakerState.HALF_OPEN, False)  # the probe is out
        probing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await probing
        assert (breaker.state, breaker.allows()) == (BreakerState.HALF_OPEN, True)
        flaky.behave(Behaviour.FORWARD)
        assert await pool.call("eth_blockNumber", [], hex_quantity, time.monotonic() + DEADLINE) >= 0
        assert breaker.state is BreakerState.CLOSED

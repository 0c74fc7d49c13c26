"""What a node is trusted for, and what one forgery may cost it, on a real chain (ganache) behind nodes that
count every request, lie on demand, or both: keys' signatures never reach a node; a lying node cannot sign in
an address without code; with AUTH_RPC_QUORUM=2 one lying node of two signs in nobody; a forged request costs
at most one validator call whatever the number of outstanding challenges; oversized signatures and a
client's spent failure budget cost the nodes nothing."""

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from app.config import Settings, describe_errors
from tests.chain.conftest import CHAIN_ID
from tests.chain.test_contract_wallets import counterfactual, factory_calldata, wrap_6492
from tests.support.app import GENEROUS_LIMITS, app_client
from tests.support.chain import CompiledContract, Ganache
from tests.support.fake_nodes import Behaviour, FakeNode, fake_nodes
from tests.support.wallets import new_wallet, sign

OUTSTANDING = 8  # the most challenges an address holds (app.stores.base)


@pytest.fixture
def nodes(ganache: Ganache) -> Iterator[list[FakeNode]]:
    with fake_nodes(ganache.url, 2) as running:
        yield running


@pytest.fixture(scope="module")
def factory(ganache: Ganache, compiled: dict[str, CompiledContract]) -> str:
    return ganache.deploy(compiled["WalletFactory"])


def settings(nodes: list[FakeNode], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "chain_ids": [CHAIN_ID],
        "rpc_urls": {CHAIN_ID: [node.url for node in nodes]},
        "rpc_timeout": 5,
        "rpc_call_gas": 1_000_000,
        "rpc_health_interval": 3600,
        **GENEROUS_LIMITS,
    }
    return Settings(**{**values, **overrides})


async def challenge(client: httpx.AsyncClient, address: str, headers: dict[str, str] | None = None) -> str:
    response = await client.post("/auth/challenge", json={"address": address, "chain_id": CHAIN_ID}, headers=headers)
    assert response.status_code == 200, response.text
    message: str = response.json()["message"]
    return message


async def verify(
    client: httpx.AsyncClient, message: str, signature: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post("/auth/verify", json={"message": message, "signature": signature}, headers=headers)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, code), response.text


def calls(nodes: list[FakeNode], method: str) -> int:
    return sum(node.requests[method] for node in nodes)


def random_signature(length: int) -> str:
    return "0x" + os.urandom(length).hex()


async def test_a_node_that_says_valid_to_every_call_cannot_sign_in_a_wallet_with_a_key(
    nodes: list[FakeNode],
) -> None:
    liar = nodes[0]
    liar.behave(Behaviour.LIE)
    eoa = new_wallet()
    async with app_client(settings([liar])) as client:
        for signature in (random_signature(65), random_signature(20), "0x"):
            message = await challenge(client, eoa.address)
            assert_error(await verify(client, message, signature), 401, "invalid_signature")
            response = await client.post("/auth/verify", json={"address": eoa.address, "signature": signature})
            assert_error(response, 401, "invalid_signature")
        assert liar.requests["eth_call"] == 0  # no code there: the validator call is never made
        assert liar.requests["eth_getCode"] == 1  # asked once, then cached
        message = await challenge(client, eoa.address)
        assert (await verify(client, message, sign(eoa, message))).status_code == 200  # the key: no node at all
        assert liar.count(excluding="eth_chainId") == 1


async def test_with_quorum_1_a_node_lying_about_code_too_is_trusted_and_quorum_2_is_not(
    nodes: list[FakeNode],
) -> None:
    """What the README says remains trusted: a node that lies about eth_getCode *and* eth_call, alone,
    signs in a forgery for any address; a second, honest node with AUTH_RPC_QUORUM=2 stops it."""
    liar, honest = nodes
    liar.behave(Behaviour.LIE_ABOUT_CODE)
    eoa = new_wallet()
    async with app_client(settings([liar])) as client:
        message = await challenge(client, eoa.address)
        assert (await verify(client, message, random_signature(65))).status_code == 200
    async with app_client(settings([liar, honest], rpc_quorum=2)) as client:
        message = await challenge(client, eoa.address)
        assert_error(await verify(client, message, random_signature(65)), 401, "invalid_signature")
        assert honest.requests["eth_getCode"] == 1  # the honest node's "no code" was enough
        assert honest.requests["eth_call"] == 0


async def test_an_erc6492_envelope_is_judged_by_the_validator_call_alone_so_quorum_1_trusts_the_node_with_it(
    nodes: list[FakeNode], factory: str
) -> None:
    """What the README says remains trusted with AUTH_RPC_QUORUM=1: an undeployed wallet has no code to
    check, so an ERC-6492 envelope (here around junk, for an address with a key) is the validator call's to
    judge, and a node that lies about that call alone signs it in; with a second, honest node it does not."""
    liar, honest = nodes
    liar.behave(Behaviour.LIE)
    eoa = new_wallet()
    envelope = "0x" + wrap_6492(factory, b"\x00" * 4, os.urandom(65)).hex()
    async with app_client(settings([liar])) as client:
        message = await challenge(client, eoa.address)
        assert (await verify(client, message, envelope)).status_code == 200
    async with app_client(settings([liar, honest], rpc_quorum=2)) as client:
        message = await challenge(client, eoa.address)
        assert_error(await verify(client, message, envelope), 401, "invalid_signature")


async def test_with_quorum_2_one_lying_node_of_two_signs_in_no_forgery_and_genuine_wallets_still_sign_in(
    nodes: list[FakeNode], contract_wallet: tuple[str, LocalAccount], factory: str, ganache: Ganache
) -> None:
    liar, honest = nodes
    liar.behave(Behaviour.LIE)
    wallet, owner = contract_wallet
    async with app_client(settings([liar, honest], rpc_quorum=2)) as client:
        message = await challenge(client, wallet)
        assert_error(await verify(client, message, sign(new_wallet(), message)), 401, "invalid_signature")
        assert liar.requests["eth_call"] == honest.requests["eth_call"] == 1  # both were asked
        response = await client.post("/auth/verify", json={"address": wallet, "signature": sign(new_wallet(), message)})
        assert_error(response, 401, "invalid_signature")
        assert (await verify(client, message, sign(owner, message))).status_code == 200
        # a counterfactual wallet's forged ERC-6492 envelope: the lie does not carry it either
        stranger, salt = new_wallet(), bytes(31) + b"\x21"
        undeployed = counterfactual(ganache, factory, stranger, salt)
        message = await challenge(client, undeployed)
        forged = wrap_6492(factory, factory_calldata(stranger, salt), bytes.fromhex(sign(new_wallet(), message)[2:]))
        assert_error(await verify(client, message, "0x" + forged.hex()), 401, "invalid_signature")
        genuine = wrap_6492(factory, factory_calldata(stranger, salt), bytes.fromhex(sign(stranger, message)[2:]))
        assert (await verify(client, message, "0x" + genuine.hex())).status_code == 200


async def test_with_quorum_2_and_one_node_down_a_contract_wallet_is_503_not_a_lone_answer(
    nodes: list[FakeNode], contract_wallet: tuple[str, LocalAccount]
) -> None:
    down, honest = nodes
    wallet, owner = contract_wallet
    async with app_client(settings([down, honest], rpc_quorum=2, rpc_timeout=1)) as client:
        down.behave(Behaviour.HTTP_500)
        message = await challenge(client, wallet)
        assert_error(await verify(client, message, sign(owner, message)), 503, "rpc_unavailable")
        down.behave(Behaviour.FORWARD)  # one failed call charged its breaker once: still closed (3 needed)
        assert (await verify(client, message, sign(owner, message))).status_code == 200  # the nonce was kept


async def test_a_forged_address_form_verify_with_8_challenges_makes_one_validator_call(
    nodes: list[FakeNode], factory: str, ganache: Ganache, contract_wallet: tuple[str, LocalAccount]
) -> None:
    node = nodes[0]
    owner, salt = new_wallet(), bytes(31) + b"\x22"
    undeployed = counterfactual(ganache, factory, owner, salt)
    async with app_client(settings([node])) as client:
        messages = [await challenge(client, undeployed) for _ in range(OUTSTANDING)]
        # a stranger's signature in an envelope as big as the cap allows, its calldata padded
        padded = factory_calldata(owner, salt) + bytes(3000)
        forged = wrap_6492(factory, padded, bytes.fromhex(sign(new_wallet(), messages[0])[2:]))
        assert 3000 < len(forged) <= Settings().rpc_max_signature_bytes
        before = node.requests.copy()
        response = await client.post("/auth/verify", json={"address": undeployed, "signature": "0x" + forged.hex()})
        assert_error(response, 401, "invalid_signature")
        assert node.requests["eth_call"] - before["eth_call"] == 1
        assert node.requests["eth_getCode"] == before["eth_getCode"]  # an envelope: the factory may deploy it
        # the same one call finds the genuine signature of the oldest of the 8
        oldest = messages[0]
        genuine = wrap_6492(factory, factory_calldata(owner, salt), bytes.fromhex(sign(owner, oldest)[2:]))
        response = await client.post("/auth/verify", json={"address": undeployed, "signature": "0x" + genuine.hex()})
        assert response.status_code == 200, response.text
        assert node.requests["eth_call"] - before["eth_call"] == 2

        # a deployed wallet and a bare forgery: one code check, one validator call
        wallet, _ = contract_wallet
        for _ in range(OUTSTANDING):
            await challenge(client, wallet)
        before = node.requests.copy()
        response = await client.post("/auth/verify", json={"address": wallet, "signature": random_signature(65)})
        assert_error(response, 401, "invalid_signature")
        assert node.requests["eth_call"] - before["eth_call"] == 1
        assert node.requests["eth_getCode"] - before["eth_getCode"] == 1


async def test_a_signature_over_the_cap_is_refused_before_any_call(
    nodes: list[FakeNode], factory: str, ganache: Ganache
) -> None:
    node = nodes[0]
    owner, salt = new_wallet(), bytes(31) + b"\x23"
    undeployed = counterfactual(ganache, factory, owner, salt)
    async with app_client(settings([node])) as client:
        message = await challenge(client, undeployed)
        # the 7.7 KB envelope, even around the owner's own signature
        envelope = wrap_6492(
            factory, factory_calldata(owner, salt) + bytes(7400), bytes.fromhex(sign(owner, message)[2:])
        )
        before = node.count(excluding="eth_chainId")
        for response in (
            await verify(client, message, "0x" + envelope.hex()),
            await client.post("/auth/verify", json={"address": undeployed, "signature": "0x" + envelope.hex()}),
        ):
            assert_error(response, 401, "invalid_signature")
            assert "AUTH_RPC_MAX_SIGNATURE_BYTES" in response.json()["detail"]
            assert f"{len(envelope)} bytes" in response.json()["detail"]
        assert node.count(excluding="eth_chainId") == before
    async with app_client(settings([node], rpc_max_signature_bytes=8192)) as client:  # raised: it signs in
        message = await challenge(client, undeployed)
        envelope = wrap_6492(
            factory, factory_calldata(owner, salt) + bytes(7400), bytes.fromhex(sign(owner, message)[2:])
        )
        assert (await verify(client, message, "0x" + envelope.hex())).status_code == 200


async def test_a_clients_contract_wallet_refusals_are_budgeted_and_then_cost_the_nodes_nothing(
    nodes: list[FakeNode], contract_wallet: tuple[str, LocalAccount]
) -> None:
    node = nodes[0]
    wallet, owner = contract_wallet
    limited = settings([node], rate_limit_rpc_failures_ip="3/minute", trusted_proxies=["127.0.0.1/32"])
    attacker, other = {"X-Forwarded-For": "198.51.100.7"}, {"X-Forwarded-For": "198.51.100.8"}
    async with app_client(limited) as client:
        message = await challenge(client, wallet, attacker)
        for _ in range(3):
            assert_error(await verify(client, message, random_signature(65), attacker), 401, "invalid_signature")
        asked = node.count(excluding="eth_chainId")
        for signature in (random_signature(65), sign(owner, message)):
            response = await verify(client, message, signature, attacker)
            assert_error(response, 429, "rate_limited")
            assert "rpc-failures" in response.json()["detail"]
            assert "retry-after" in response.headers
        response = await client.post("/auth/verify", json={"address": wallet, "signature": "0x"}, headers=attacker)
        assert_error(response, 429, "rate_limited")
        assert node.count(excluding="eth_chainId") == asked  # spent: not one more call
        eoa = new_wallet()  # keys never touch the budget
        eoa_message = await challenge(client, eoa.address, attacker)
        assert (await verify(client, eoa_message, sign(eoa, eoa_message), attacker)).status_code == 200
        # another client has its own budget; the owner signs in from there
        assert (await verify(client, message, sign(owner, message), other)).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8545",
        "http://[::1]:8545",
        "http://localhost:8545",
        "http://10.0.0.5:8545",
        "http://192.168.1.2",
        "http://[fd00::5]:8545",
        "https://rpc.example/v3/key",
    ],
)
def test_loopback_private_and_https_node_urls_are_accepted(url: str) -> None:
    assert Settings(rpc_urls={CHAIN_ID: [url]}).rpc_urls == {CHAIN_ID: [url]}


@pytest.mark.parametrize(
    "url", ["http://rpc.example/v3/secret-key", "http://8.8.8.8:8545", "http://geth:8545", "http://[2606:4700::1111]"]
)
def test_plain_http_to_a_public_or_named_host_needs_the_opt_in(url: str) -> None:
    with pytest.raises(ValidationError, match="AUTH_RPC_ALLOW_HTTP") as refused:
        Settings(rpc_urls={CHAIN_ID: [url]})
    assert "secret-key" not in describe_errors(refused.value)  # the start error's one line
    assert Settings(rpc_urls={CHAIN_ID: [url]}, rpc_allow_http=True).rpc_urls == {CHAIN_ID: [url]}


def test_a_quorum_needs_that_many_distinct_nodes_per_chain() -> None:
    with pytest.raises(ValidationError, match="AUTH_RPC_QUORUM=2 needs at least 2 node hosts"):
        Settings(rpc_urls={CHAIN_ID: ["https://a.example"]}, rpc_quorum=2)
    # one provider written twice (or with another path, case or its default port) would count twice
    for twice in (
        ["https://a.example", "https://a.example"],
        ["https://a.example/v1", "https://A.example:443/v2"],
        ["https://a.example", "https://a.example", "https://b.example"],
    ):
        with pytest.raises(ValidationError, match="names one node host twice"):
            Settings(rpc_urls={CHAIN_ID: twice}, rpc_quorum=2)
    assert Settings(rpc_urls={CHAIN_ID: ["http://127.0.0.1:8545", "http://127.0.0.1:8546"]}, rpc_quorum=2)
    two = Settings(rpc_urls={CHAIN_ID: ["https://a.example", "https://b.example"]}, rpc_quorum=2)
    assert two.rpc_quorum == 2

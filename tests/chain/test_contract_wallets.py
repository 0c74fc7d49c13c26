"""Sign-in by smart-contract wallets over HTTP, against real contracts on a real local chain (ganache): EIP-1271
for deployed wallets, EIP-6492 for counterfactual ones, and the wallets that must not pass."""

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from eth_abi.abi import encode
from eth_account.messages import _hash_eip191_message, encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from siwe import SiweMessage as ClientMessage

from app.config import Settings
from app.domain.challenges import rfc3339
from tests.chain.conftest import CHAIN_ID
from tests.support.app import GENEROUS_LIMITS, app_client
from tests.support.chain import CompiledContract, Ganache, encode_call, running_ganache
from tests.support.fake_nodes import FakeNode
from tests.support.wallets import new_wallet, sign

OTHER_CHAIN_ID = 31337
ERC6492_SUFFIX = bytes.fromhex("6492" * 16)  # as the ERC writes it


def wrap_6492(factory: str, factory_calldata: bytes, signature: bytes) -> bytes:
    return encode(["address", "bytes", "bytes"], [factory, factory_calldata, signature]) + ERC6492_SUFFIX


def digest_of(message: str) -> bytes:
    return bytes(_hash_eip191_message(encode_defunct(text=message)))


@pytest.fixture(scope="module")
def node(ganache: Ganache) -> Iterator[FakeNode]:
    """The service's node for chain 1337: ganache behind a counter of requests."""
    with FakeNode(ganache.url).running() as counted:
        yield counted


@pytest.fixture(scope="module")
def factory(ganache: Ganache, compiled: dict[str, CompiledContract]) -> str:
    return ganache.deploy(compiled["WalletFactory"])


def settings(**overrides: Any) -> Settings:
    return Settings(
        chain_ids=[CHAIN_ID, OTHER_CHAIN_ID],
        rpc_timeout=5,  # ganache runs a gas-burning call slowly; deadlines have tests of their own
        rpc_call_gas=1_000_000,
        rpc_health_interval=3600,
        **{**GENEROUS_LIMITS, **overrides},
    )


@pytest.fixture
async def client(node: FakeNode) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings(rpc_urls={CHAIN_ID: [node.url]})) as http:
        yield http


async def challenge(client: httpx.AsyncClient, address: str, chain_id: int = CHAIN_ID) -> str:
    response = await client.post("/auth/challenge", json={"address": address, "chain_id": chain_id})
    assert response.status_code == 200, response.text
    message: str = response.json()["message"]
    return message


async def verify(client: httpx.AsyncClient, message: str, signature: bytes | str) -> httpx.Response:
    hex_signature = signature if isinstance(signature, str) else "0x" + signature.hex()
    return await client.post("/auth/verify", json={"message": message, "signature": hex_signature})


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_signature"


def deploy_owned_wallet(ganache: Ganache, compiled: dict[str, CompiledContract], owner: LocalAccount) -> str:
    return ganache.deploy(compiled["OwnedWallet"], ("address", owner.address))


def factory_calldata(owner: LocalAccount, salt: bytes) -> bytes:
    return encode_call("deploy(address,bytes32)", ["address", "bytes32"], [owner.address, salt])


def counterfactual(ganache: Ganache, factory: str, owner: LocalAccount, salt: bytes) -> str:
    """Where the factory will deploy the owner's wallet (CREATE2)."""
    query = encode_call("addressOf(address,bytes32)", ["address", "bytes32"], [owner.address, salt])
    return to_checksum_address(ganache.call(factory, query)[-20:])


async def test_a_deployed_erc1271_wallet_signs_in(
    client: httpx.AsyncClient, ganache: Ganache, compiled: dict[str, CompiledContract]
) -> None:
    owner = new_wallet()
    wallet = deploy_owned_wallet(ganache, compiled, owner)
    message = await challenge(client, wallet)
    response = await verify(client, message, sign(owner, message))
    assert response.status_code == 200, response.text
    assert response.json()["address"] == wallet
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.json()["address"] == wallet


async def test_the_address_form_works_for_a_contract_wallet_too(
    client: httpx.AsyncClient, ganache: Ganache, compiled: dict[str, CompiledContract]
) -> None:
    owner = new_wallet()
    wallet = deploy_owned_wallet(ganache, compiled, owner)
    message = await challenge(client, wallet)
    await challenge(client, wallet)  # a newer one it did not sign
    response = await client.post("/auth/verify", json={"address": wallet, "signature": sign(owner, message)})
    assert response.status_code == 200, response.text


async def test_a_contract_wallet_refuses_a_key_that_is_not_its_owner(
    client: httpx.AsyncClient, ganache: Ganache, compiled: dict[str, CompiledContract]
) -> None:
    wallet = deploy_owned_wallet(ganache, compiled, new_wallet())
    message = await challenge(client, wallet)
    assert_refused(await verify(client, message, sign(new_wallet(), message)))


@pytest.mark.parametrize(
    "contract", ["WrongMagicWallet", "TrailingGarbageWallet", "LongAnswerWallet", "RevertingWallet", "GasBurningWallet"]
)
async def test_wallets_whose_answer_is_not_exactly_the_magic_word_are_refused(
    client: httpx.AsyncClient, ganache: Ganache, compiled: dict[str, CompiledContract], contract: str
) -> None:
    wallet = ganache.deploy(compiled[contract])
    message = await challenge(client, wallet)
    assert_refused(await verify(client, message, sign(new_wallet(), message)))


async def test_the_identity_precompile_which_echoes_the_selector_is_refused(client: httpx.AsyncClient) -> None:
    identity = "0x0000000000000000000000000000000000000004"
    message = await challenge(client, identity)
    for signature in (b"", bytes(65), b"\x16\x26\xba\x7e" + bytes(28)):
        assert_refused(await verify(client, message, signature))


async def test_safe_style_empty_signature_only_once_the_wallet_approved_the_message(
    client: httpx.AsyncClient, ganache: Ganache, compiled: dict[str, CompiledContract]
) -> None:
    owner = new_wallet()
    wallet = deploy_owned_wallet(ganache, compiled, owner)
    message = await challenge(client, wallet)
    assert_refused(await verify(client, message, "0x"))
    approve = encode_call("approveHash(bytes32)", ["bytes32"], [digest_of(message)])
    ganache.transact(wallet, approve, sender=owner)
    response = await verify(client, message, "0x")
    assert response.status_code == 200, response.text


async def test_a_counterfactual_wallet_signs_in_through_erc6492_and_stays_undeployed(
    client: httpx.AsyncClient, ganache: Ganache, factory: str
) -> None:
    owner, salt = new_wallet(), bytes(31) + b"\x01"
    wallet = counterfactual(ganache, factory, owner, salt)
    assert ganache.code_at(wallet) == b""
    message = await challenge(client, wallet)
    inner = bytes.fromhex(sign(owner, message)[2:])
    transactions = ganache.transaction_count()
    response = await verify(client, message, wrap_6492(factory, factory_calldata(owner, salt), inner))
    assert response.status_code == 200, response.text
    assert response.json()["address"] == wallet
    assert ganache.code_at(wallet) == b""  # verified in an eth_call: nothing was deployed...
    assert ganache.transaction_count() == transactions  # ...and no transaction was sent


async def test_an_erc6492_envelope_around_another_keys_signature_is_refused(
    client: httpx.AsyncClient, ganache: Ganache, factory: str
) -> None:
    owner, salt = new_wallet(), bytes(31) + b"\x02"
    wallet = counterfactual(ganache, factory, owner, salt)
    message = await challenge(client, wallet)
    inner = bytes.fromhex(sign(new_wallet(), message)[2:])
    assert_refused(await verify(client, message, wrap_6492(factory, factory_calldata(owner, salt), inner)))
    # a factory call that deploys a wallet at another address does not make this one valid
    other_salt = bytes(31) + b"\x03"
    signed = bytes.fromhex(sign(owner, message)[2:])
    assert_refused(await verify(client, message, wrap_6492(factory, factory_calldata(owner, other_salt), signed)))
    # nor does a malformed envelope, which is refused without a 500
    assert_refused(await verify(client, message, b"\x01\x02" + ERC6492_SUFFIX))


async def test_an_erc6492_signature_still_verifies_once_the_wallet_is_deployed_and_the_live_wallet_decides(
    client: httpx.AsyncClient, ganache: Ganache, factory: str
) -> None:
    owner, salt = new_wallet(), bytes(31) + b"\x04"
    wallet = counterfactual(ganache, factory, owner, salt)
    ganache.transact(factory, factory_calldata(owner, salt))
    assert ganache.code_at(wallet) != b""
    message = await challenge(client, wallet)
    envelope = wrap_6492(factory, factory_calldata(owner, salt), bytes.fromhex(sign(owner, message)[2:]))
    response = await verify(client, message, envelope)
    assert response.status_code == 200, response.text
    # the owner rotates its key: the envelope's factory call would make a wallet of the old owner, but the
    # deployed wallet answers for itself and no longer accepts the old key
    successor = new_wallet()
    ganache.transact(wallet, encode_call("setOwner(address)", ["address"], [successor.address]), sender=owner)
    message = await challenge(client, wallet)
    stale = wrap_6492(factory, factory_calldata(owner, salt), bytes.fromhex(sign(owner, message)[2:]))
    assert_refused(await verify(client, message, stale))
    fresh = wrap_6492(factory, factory_calldata(owner, salt), bytes.fromhex(sign(successor, message)[2:]))
    assert (await verify(client, message, fresh)).status_code == 200


async def test_an_erc6492_signature_fails_on_a_chain_where_the_factory_is_not(
    ganache: Ganache, factory: str, node: FakeNode
) -> None:
    owner, salt = new_wallet(), bytes(31) + b"\x05"
    wallet = counterfactual(ganache, factory, owner, salt)
    with running_ganache(OTHER_CHAIN_ID) as other_chain:
        nodes = {CHAIN_ID: [node.url], OTHER_CHAIN_ID: [other_chain.url]}
        async with app_client(settings(rpc_urls=nodes)) as client:
            message = await challenge(client, wallet, chain_id=OTHER_CHAIN_ID)
            envelope = wrap_6492(factory, factory_calldata(owner, salt), bytes.fromhex(sign(owner, message)[2:]))
            assert_refused(await verify(client, message, envelope))
            # the same wallet, the same kind of envelope, on the chain of its factory: accepted
            message = await challenge(client, wallet)
            envelope = wrap_6492(factory, factory_calldata(owner, salt), bytes.fromhex(sign(owner, message)[2:]))
            assert (await verify(client, message, envelope)).status_code == 200


async def test_a_chain_without_nodes_refuses_contract_wallets_and_says_what_is_missing(
    node: FakeNode, ganache: Ganache, compiled: dict[str, CompiledContract]
) -> None:
    owner = new_wallet()
    wallet = deploy_owned_wallet(ganache, compiled, owner)
    async with app_client(settings(rpc_urls={CHAIN_ID: [node.url]})) as client:
        message = await challenge(client, wallet, chain_id=OTHER_CHAIN_ID)
        response = await verify(client, message, sign(owner, message))
        assert_refused(response)
        assert f"chain {OTHER_CHAIN_ID}" in response.json()["detail"]
        assert "AUTH_RPC_URLS" in response.json()["detail"]


async def test_a_wallet_with_a_key_signs_in_without_any_rpc_call(client: httpx.AsyncClient, node: FakeNode) -> None:
    eoa = new_wallet()
    before = node.count(excluding="eth_chainId")
    for _ in range(3):
        message = await challenge(client, eoa.address)
        assert (await verify(client, message, sign(eoa, message))).status_code == 200
        response = await client.post("/auth/verify", json={"address": eoa.address, "signature": sign(eoa, message)})
        assert response.json()["error"] == "invalid_nonce"  # used: still no RPC call, the nonce is looked up first
    assert node.count(excluding="eth_chainId") == before
    # a contract wallet's sign-in is what makes one: the counter counts
    message = await challenge(client, "0x0000000000000000000000000000000000000004")
    assert_refused(await verify(client, message, "0x"))
    assert node.count(excluding="eth_chainId") == before + 1


@pytest.mark.parametrize("factory_kind", ["RevertingWallet", "GasBurningWallet"])
async def test_an_erc6492_envelope_whose_factory_fails_is_refused_promptly(
    client: httpx.AsyncClient, ganache: Ganache, compiled: dict[str, CompiledContract], factory_kind: str
) -> None:
    broken_factory = ganache.deploy(compiled[factory_kind])
    owner = new_wallet()
    wallet = "0x" + "5e" * 20  # no code there, and no working factory to put any
    message = await challenge(client, to_checksum_address(wallet))
    burn = encode_call("isValidSignature(bytes32,bytes)", ["bytes32", "bytes"], [bytes(32), b""])
    envelope = wrap_6492(broken_factory, burn, bytes.fromhex(sign(owner, message)[2:]))
    assert_refused(await verify(client, message, envelope))


async def test_while_the_wallets_limit_refuses_its_sign_ins_no_rpc_call_is_made(
    node: FakeNode, ganache: Ganache, compiled: dict[str, CompiledContract]
) -> None:
    """THREATS.md 121: the per-wallet limit is checked before the signature, so a contract wallet whose
    sign-ins are spent costs the nodes nothing more, forged or genuine, in either form of verify."""
    owner = new_wallet()
    wallet = deploy_owned_wallet(ganache, compiled, owner)
    limited = settings(rpc_urls={CHAIN_ID: [node.url]}, rate_limit_address="2/minute", trusted_proxies=["127.0.0.1/32"])
    async with app_client(limited) as client:
        messages = []
        for ip in ("198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2"):  # 2 challenges per client
            response = await client.post("/auth/challenge", json={"address": wallet}, headers={"X-Forwarded-For": ip})
            assert response.status_code == 200, response.text
            messages.append(response.json()["message"])
        pending = messages[2]
        forged = sign(new_wallet(), pending)
        before = node.count(excluding="eth_chainId")
        assert_refused(await verify(client, pending, forged))  # within the budget a forgery is checked...
        assert node.count(excluding="eth_chainId") > before  # ...on the node: the counter sees it
        for message in messages[:2]:
            assert (await verify(client, message, sign(owner, message))).status_code == 200
        spent = node.count(excluding="eth_chainId")
        for _ in range(5):
            for response in (
                await verify(client, pending, forged),
                await verify(client, pending, sign(owner, pending)),
                await client.post("/auth/verify", json={"address": wallet, "signature": forged}),
                await client.post("/auth/verify", json={"address": wallet, "signature": sign(owner, messages[3])}),
            ):
                assert response.status_code == 429, response.text
                assert response.json()["error"] == "rate_limited"
        assert node.count(excluding="eth_chainId") == spent


def written_message(address: str, nonce: str, chain_id: int) -> str:
    """What a frontend writes around an open nonce (POST /auth/nonce), with the siwe library."""
    return ClientMessage(
        domain="localhost:8000",
        address=address,
        uri="http://localhost:8000",
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=rfc3339(time.time()),
    ).prepare_message()


async def test_a_contract_wallet_signs_in_around_an_open_nonce_and_each_chain_answers_for_itself(
    client: httpx.AsyncClient, ganache: Ganache, compiled: dict[str, CompiledContract]
) -> None:
    owner = new_wallet()
    wallet = deploy_owned_wallet(ganache, compiled, owner)
    nonce = (await client.post("/auth/nonce", json={})).json()["nonce"]
    texts = [written_message(wallet, nonce, chain_id) for chain_id in (CHAIN_ID, OTHER_CHAIN_ID)]
    both = {"messages": [{"message": text, "signature": sign(owner, text)} for text in texts]}
    refused = await client.post("/auth/verify", json=both)  # no node for the other chain: it cannot vouch
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_signature"
    one = {"messages": both["messages"][:1]}
    response = await client.post("/auth/verify", json=one)  # the nonce was left outstanding
    assert response.status_code == 200, response.text
    assert response.json()["accounts"] == [f"eip155:{CHAIN_ID}:{wallet}"]

"""The chain harness itself: solc-js compiles the contracts, ganache runs them, and the wallets answer ERC-1271."""

import subprocess
from pathlib import Path

import pytest
from eth_abi.abi import decode, encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from tests.chain.conftest import CHAIN_ID
from tests.support.chain import (
    COMPILE_SCRIPT,
    ERC1271_MAGIC_VALUE,
    CompiledContract,
    Ganache,
    JsonRpcError,
    encode_call,
)
from tests.support.node import node_binary

INVALID = bytes.fromhex("ffffffff")
IS_VALID_SIGNATURE = "isValidSignature(bytes32,bytes)"


def is_valid_signature(ganache: Ganache, wallet: str, hash_: bytes, signature: bytes) -> bytes:
    """The wallet's raw ERC-1271 answer (all of it, not only the first four bytes)."""
    return ganache.call(wallet, encode_call(IS_VALID_SIGNATURE, ["bytes32", "bytes"], [hash_, signature]))


def magic_word(selector: bytes) -> bytes:
    return selector.ljust(32, b"\0")


def sign_hash(owner: LocalAccount, hash_: bytes) -> bytes:
    return bytes(Account.unsafe_sign_hash(hash_, owner.key).signature)


def test_every_contract_compiles(compiled: dict[str, CompiledContract]) -> None:
    assert set(compiled) == {
        "OwnedWallet",
        "WalletFactory",
        "WrongMagicWallet",
        "TrailingGarbageWallet",
        "RevertingWallet",
        "GasBurningWallet",
        "LongAnswerWallet",
        "SignatureValidator",
    }
    for name, contract in compiled.items():
        assert contract.bytecode, name
        assert contract.abi, name
    assert compiled["OwnedWallet"].deployed_bytecode
    assert {entry.get("name") for entry in compiled["OwnedWallet"].abi} >= {"owner", "approveHash", "isValidSignature"}


def test_compile_errors_fail_the_script(tmp_path: Path) -> None:
    broken = tmp_path / "Broken.sol"
    broken.write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\ncontract Broken { uint x = ; }\n")
    out = tmp_path / "out.json"
    result = subprocess.run(
        [node_binary(), str(COMPILE_SCRIPT), str(out), str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "ParserError" in result.stderr
    assert not out.exists()


def test_ganache_answers_with_its_chain_id_and_accounts(ganache: Ganache) -> None:
    assert int(ganache.rpc("eth_chainId"), 16) == ganache.chain_id == CHAIN_ID
    assert len(ganache.accounts) == 10
    assert ganache.accounts[0] == to_checksum_address(ganache.accounts[0])
    with pytest.raises(JsonRpcError) as error:
        ganache.rpc("no_such_method")
    # ganache 7.9.2 answers an unknown method with code -32700 (not JSON-RPC's -32601).
    assert "does not exist" in error.value.message


def test_owned_wallet_answers_for_its_owner(ganache: Ganache, compiled: dict[str, CompiledContract]) -> None:
    owner, stranger = Account.create(), Account.create()
    wallet = ganache.deploy(compiled["OwnedWallet"], ("address", owner.address))
    assert ganache.code_at(wallet) == compiled["OwnedWallet"].deployed_bytecode
    hash_ = keccak(b"a sign-in message")

    signature = sign_hash(owner, hash_)
    assert signature[64] in (27, 28)
    assert is_valid_signature(ganache, wallet, hash_, signature) == magic_word(ERC1271_MAGIC_VALUE)
    with_v_0_or_1 = signature[:64] + bytes((signature[64] - 27,))
    assert is_valid_signature(ganache, wallet, hash_, with_v_0_or_1) == magic_word(ERC1271_MAGIC_VALUE)

    assert is_valid_signature(ganache, wallet, hash_, sign_hash(stranger, hash_)) == magic_word(INVALID)
    assert is_valid_signature(ganache, wallet, keccak(b"another"), signature) == magic_word(INVALID)
    assert is_valid_signature(ganache, wallet, hash_, signature + b"\0") == magic_word(INVALID)


def test_on_chain_approval_and_key_rotation(ganache: Ganache, compiled: dict[str, CompiledContract]) -> None:
    owner, successor = Account.create(), Account.create()
    wallet = ganache.deploy(compiled["OwnedWallet"], ("address", owner.address))
    hash_ = keccak(b"approved on chain")
    assert is_valid_signature(ganache, wallet, hash_, b"") == magic_word(INVALID)

    # The owner's own transactions: signed locally, the gas paid by a transfer from accounts[0].
    ganache.transact(wallet, encode_call("approveHash(bytes32)", ["bytes32"], [hash_]), sender=owner)
    assert is_valid_signature(ganache, wallet, hash_, b"") == magic_word(ERC1271_MAGIC_VALUE)

    signature = sign_hash(owner, hash_)
    ganache.transact(wallet, encode_call("setOwner(address)", ["address"], [successor.address]), sender=owner)
    assert is_valid_signature(ganache, wallet, hash_, signature) == magic_word(INVALID)
    assert is_valid_signature(ganache, wallet, hash_, sign_hash(successor, hash_)) == magic_word(ERC1271_MAGIC_VALUE)

    # Anybody else is refused: the transaction is mined, and fails.
    with pytest.raises(AssertionError, match="failed"):
        ganache.transact(wallet, encode_call("setOwner(address)", ["address"], [ganache.accounts[0]]))


def test_factory_deploys_at_the_address_it_announces(ganache: Ganache, compiled: dict[str, CompiledContract]) -> None:
    owner = Account.create()
    factory = ganache.deploy(compiled["WalletFactory"])
    salt = keccak(b"salt")
    announced = decode(
        ["address"],
        ganache.call(factory, encode_call("addressOf(address,bytes32)", ["address", "bytes32"], [owner.address, salt])),
    )[0]
    assert ganache.code_at(announced) == b""

    deploy = encode_call("deploy(address,bytes32)", ["address", "bytes32"], [owner.address, salt])
    mined_before = ganache.transaction_count()
    ganache.transact(factory, deploy)
    assert ganache.transaction_count() == mined_before + 1
    assert ganache.code_at(announced) == compiled["OwnedWallet"].deployed_bytecode
    owner_of = decode(["address"], ganache.call(announced, encode_call("owner()", [], [])))[0]
    assert to_checksum_address(owner_of) == owner.address

    # Deploying again neither reverts nor moves the wallet.
    assert decode(["address"], ganache.call(factory, deploy))[0] == announced
    ganache.transact(factory, deploy)


def test_deploy_less_call_leaves_nothing_behind(ganache: Ganache, compiled: dict[str, CompiledContract]) -> None:
    """An eth_call without `to` runs creation code: the app's validator deploys a counterfactual wallet inside
    the call and answers one byte; afterwards the wallet still has no code and nothing was mined."""
    owner = Account.create()
    factory = ganache.deploy(compiled["WalletFactory"])
    salt = keccak(b"counterfactual")
    wallet = decode(
        ["address"],
        ganache.call(factory, encode_call("addressOf(address,bytes32)", ["address", "bytes32"], [owner.address, salt])),
    )[0]
    deploy = encode_call("deploy(address,bytes32)", ["address", "bytes32"], [owner.address, salt])
    hash_ = keccak(b"signed before the wallet exists")
    mined_before = ganache.transaction_count()

    def validate(signature: bytes) -> bytes:
        arguments = encode(
            ["address", "bytes32[]", "address", "bytes", "bytes"], [wallet, [hash_], factory, deploy, signature]
        )
        return ganache.call(None, compiled["SignatureValidator"].bytecode + arguments)

    assert validate(sign_hash(owner, hash_)) == b"\x01"
    assert validate(sign_hash(Account.create(), hash_)) == b"\x00"
    assert ganache.code_at(wallet) == b""
    assert ganache.transaction_count() == mined_before

"""The ERC-6492 validator the service ships as bytecode is the compiled form of the Solidity beside it, and
one call of it asks a wallet about several digests."""

from eth_account import Account
from eth_hash.auto import keccak

from app.domain.signatures.contract_wallets import VALIDATOR_CREATION_CODE, accepted_digest, validation_call
from tests.support.chain import CompiledContract, Ganache

OUTSTANDING = 8  # the most challenges an address holds: the most digests one sign-in asks about
GAS = 1_000_000  # the gas the chain tests give a verification call (AUTH_RPC_CALL_GAS)


def test_the_shipped_bytecode_is_the_compiled_source(compiled: dict[str, CompiledContract]) -> None:
    assert compiled["SignatureValidator"].bytecode == VALIDATOR_CREATION_CODE, (
        "recompile: node tests/chain/compile.js out.json app/domain/signatures/SignatureValidator.sol, and write "
        "SignatureValidator's bytecode (without 0x) to app/domain/signatures/SignatureValidator.bin"
    )


def test_one_call_answers_which_digest_the_wallet_accepts(
    ganache: Ganache, compiled: dict[str, CompiledContract]
) -> None:
    owner = Account.create()
    wallet = ganache.deploy(compiled["OwnedWallet"], ("address", owner.address))
    digests = [keccak(f"message {i}".encode()) for i in range(OUTSTANDING)]
    for signed in (0, 2, OUTSTANDING - 1):
        signature = bytes(Account.unsafe_sign_hash(digests[signed], owner.key).signature)
        answer = ganache.call(None, validation_call(wallet, digests, signature), gas=GAS)
        assert accepted_digest(answer, len(digests)) == signed
    stranger = bytes(Account.unsafe_sign_hash(digests[0], Account.create().key).signature)
    assert ganache.call(None, validation_call(wallet, digests, stranger), gas=GAS) == b"\x00"


def test_a_wallet_that_burns_its_gas_on_every_digest_still_gets_an_answer_not_an_error(
    ganache: Ganache, compiled: dict[str, CompiledContract]
) -> None:
    burner = ganache.deploy(compiled["GasBurningWallet"])
    digests = [keccak(f"message {i}".encode()) for i in range(OUTSTANDING)]
    signature = bytes(4000)  # the biggest a default AUTH_RPC_MAX_SIGNATURE_BYTES lets through, about
    assert ganache.call(None, validation_call(burner, digests, signature), gas=GAS) == b"\x00"

"""The ERC-6492 validator the service ships as bytecode is the compiled form of the Solidity beside it."""

from app.domain.signatures.contract_wallets import VALIDATOR_CREATION_CODE
from tests.support.chain import CompiledContract


def test_the_shipped_bytecode_is_the_compiled_source(compiled: dict[str, CompiledContract]) -> None:
    assert compiled["SignatureValidator"].bytecode == VALIDATOR_CREATION_CODE, (
        "recompile: node tests/chain/compile.js out.json app/domain/signatures/SignatureValidator.sol, and write "
        "SignatureValidator's bytecode (without 0x) to app/domain/signatures/SignatureValidator.bin"
    )

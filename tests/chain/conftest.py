from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount

from tests.support.chain import (
    CONTRACTS_DIR,
    SIGNATURE_VALIDATOR_SOL,
    CompiledContract,
    Ganache,
    compile_contracts,
    running_ganache,
)
from tests.support.wallets import new_wallet

CHAIN_ID = 1337


@pytest.fixture(scope="session")
def compiled() -> dict[str, CompiledContract]:
    """The test wallets of tests/chain/contracts and the app's SignatureValidator, by contract name."""
    return compile_contracts(*CONTRACTS_DIR.glob("*.sol"), SIGNATURE_VALIDATOR_SOL)


@pytest.fixture(scope="module")
def ganache() -> Iterator[Ganache]:
    """A ganache of the test module's own, chain id 1337."""
    with running_ganache(CHAIN_ID) as chain:
        yield chain


@pytest.fixture(scope="module")
def contract_wallet(ganache: Ganache, compiled: dict[str, CompiledContract]) -> tuple[str, LocalAccount]:
    """An OwnedWallet (EIP-1271) deployed on the module's ganache, and the key that owns it."""
    owner = new_wallet()
    return ganache.deploy(compiled["OwnedWallet"], ("address", owner.address)), owner

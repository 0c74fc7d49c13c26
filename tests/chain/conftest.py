from collections.abc import Iterator

import pytest

from tests.support.chain import (
    CONTRACTS_DIR,
    SIGNATURE_VALIDATOR_SOL,
    CompiledContract,
    Ganache,
    compile_contracts,
    running_ganache,
)

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

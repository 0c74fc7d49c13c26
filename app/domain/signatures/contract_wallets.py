"""Smart-contract wallets: the one eth_call that asks a wallet (EIP-1271) about one or several digests,
deploying it first if it is counterfactual (ERC-6492).

The call's data is the creation code of SignatureValidator.sol (beside this file; SignatureValidator.bin is
its compiled form) followed by its constructor arguments, and no `to`: a deploy-less call. It answers one
byte: k when the wallet's isValidSignature returned exactly the 32-byte magic word for the k-th digest (the
first such), 0x00 when for none, whatever the wallet does (revert, run out of gas, echo its input back like
the identity precompile). So a node never reports an execution error for it: any JSON-RPC error is the
node's own trouble.
"""

from collections.abc import Sequence
from importlib.resources import files

from eth_abi.abi import encode

NO_FACTORY = "0x0000000000000000000000000000000000000000"
MAX_DIGESTS = 255  # the answer is one byte
# Compiled from SignatureValidator.sol by tests/chain/compile.js (solc 0.8.28, evmVersion paris, see
# tests/chain/package.json); tests/chain/test_validator.py compiles the source again and compares.
VALIDATOR_CREATION_CODE = bytes.fromhex(files(__package__).joinpath("SignatureValidator.bin").read_text().strip())


def validation_call(
    signer: str,
    digests: Sequence[bytes],
    signature: bytes,
    *,
    factory: str = NO_FACTORY,
    factory_calldata: bytes = b"",
) -> bytes:
    """The data of the deploy-less eth_call that answers which of `digests` (1-based) `signer` accepts
    `signature` for, 0 for none."""
    if not 1 <= len(digests) <= MAX_DIGESTS:
        raise ValueError(f"between 1 and {MAX_DIGESTS} digests, not {len(digests)}")
    arguments = encode(
        ["address", "bytes32[]", "address", "bytes", "bytes"],
        [signer, list(digests), factory, factory_calldata, signature],
    )
    return VALIDATOR_CREATION_CODE + arguments


def accepted_digest(answer: bytes | None, digests: int) -> int | None:
    """The 0-based index of the digest the validator's `answer` names, or None: no digest, a failed
    execution (None), or anything that is not one byte within range (not the validator's answer)."""
    if answer is None or len(answer) != 1 or not 1 <= answer[0] <= digests:
        return None
    return answer[0] - 1

"""Smart-contract wallets: the one eth_call that asks a wallet (EIP-1271), deploying it first if it is
counterfactual (ERC-6492).

The call's data is the creation code of SignatureValidator.sol (beside this file; SignatureValidator.bin is
its compiled form) followed by its constructor arguments, and no `to`: a deploy-less call. It answers 0x01
when the wallet's isValidSignature returned exactly the 32-byte magic word, 0x00 otherwise, whatever the
wallet does (revert, run out of gas, echo its input back like the identity precompile). So a node never
reports an execution error for it: any JSON-RPC error is the node's own trouble.
"""

from importlib.resources import files

from eth_abi.abi import encode

VALID = b"\x01"
NO_FACTORY = "0x0000000000000000000000000000000000000000"
# Compiled from SignatureValidator.sol by tests/chain/compile.js (solc 0.8.28, evmVersion paris, see
# tests/chain/package.json); tests/chain/test_validator.py compiles the source again and compares.
VALIDATOR_CREATION_CODE = bytes.fromhex(files(__package__).joinpath("SignatureValidator.bin").read_text().strip())


def validation_call(
    signer: str, digest: bytes, signature: bytes, *, factory: str = NO_FACTORY, factory_calldata: bytes = b""
) -> bytes:
    """The data of the deploy-less eth_call that answers VALID when `signer` accepts `signature` for `digest`."""
    arguments = encode(
        ["address", "bytes32", "address", "bytes", "bytes"], [signer, digest, factory, factory_calldata, signature]
    )
    return VALIDATOR_CREATION_CODE + arguments

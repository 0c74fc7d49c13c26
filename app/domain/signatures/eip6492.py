"""EIP-6492: signatures of smart-contract wallets that are not deployed yet (counterfactual).

The wallet wraps its ERC-1271 signature as abi.encode(factory, factory calldata, signature) followed by a
32-byte magic suffix. Verification is an eth_call without `to` whose data is the creation code of
SignatureValidator.sol (beside this file; its compiled form is SignatureValidator.bin) followed by its
constructor arguments: inside that one call it deploys the wallet through the factory if the address has
no code yet, asks the wallet's isValidSignature, and returns one byte, 0x01 for valid. Nothing is ever
sent as a transaction; the deployment lives only inside the call.
"""

from dataclasses import dataclass
from importlib.resources import files

from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError

from app.errors import InvalidSignature

MAGIC_SUFFIX = bytes.fromhex("64926492" * 8)
VALID = b"\x01"
# Compiled from SignatureValidator.sol by tests/chain/compile.js (solc 0.8.28, see tests/chain/package.json);
# tests/chain/test_validator.py compiles the source again and compares.
VALIDATOR_CREATION_CODE = bytes.fromhex(files(__package__).joinpath("SignatureValidator.bin").read_text().strip())


@dataclass(frozen=True, slots=True)
class Wrapped:
    factory: str
    factory_calldata: bytes
    signature: bytes


def has_magic_suffix(signature: bytes) -> bool:
    """Shorter than 32 bytes (Safe's empty signature, say) simply has no suffix."""
    return len(signature) >= len(MAGIC_SUFFIX) and signature.endswith(MAGIC_SUFFIX)


def unwrap(signature: bytes) -> Wrapped:
    """The envelope of a signature that has the magic suffix; InvalidSignature when it is malformed."""
    try:
        factory, calldata, inner = decode(["address", "bytes", "bytes"], signature[: -len(MAGIC_SUFFIX)])
    except (DecodingError, ValueError, OverflowError):
        raise InvalidSignature("the ERC-6492 envelope is not abi.encode(address, bytes, bytes)") from None
    return Wrapped(factory, calldata, inner)


def validation_call(signer: str, digest: bytes, wrapped: Wrapped) -> bytes:
    """The data of the deploy-less eth_call that answers VALID when the wallet accepts the signature."""
    arguments = encode(
        ["address", "bytes32", "address", "bytes", "bytes"],
        [signer, digest, wrapped.factory, wrapped.factory_calldata, wrapped.signature],
    )
    return VALIDATOR_CREATION_CODE + arguments

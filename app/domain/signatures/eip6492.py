"""ERC-6492: signatures of smart-contract wallets that are not deployed yet (counterfactual).

The wallet wraps its ERC-1271 signature as abi.encode(factory, factory calldata, signature) followed by a
32-byte magic suffix; app.domain.signatures.contract_wallets deploys it through the factory inside the
verifying eth_call. Nothing is ever sent as a transaction.
"""

from dataclasses import dataclass

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError

from app.errors import InvalidSignature

MAGIC_SUFFIX = bytes.fromhex("64926492" * 8)


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

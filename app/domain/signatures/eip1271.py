"""EIP-1271: a contract wallet says whether a signature is its own, through isValidSignature(bytes32,bytes).

The answer counts only when it is exactly one 32-byte word holding the magic value 0x1626ba7e followed by
zeros. Comparing just the first four bytes would accept a contract that echoes its input back (the
identity precompile at 0x...04 returns the call data, whose first four bytes are the selector itself).
"""

from eth_abi.abi import encode

MAGIC_VALUE = bytes.fromhex("1626ba7e")  # also the selector of isValidSignature(bytes32,bytes)
MAGIC_WORD = MAGIC_VALUE + bytes(28)


def is_valid_signature_call(digest: bytes, signature: bytes) -> bytes:
    """The call data of isValidSignature(digest, signature)."""
    return MAGIC_VALUE + encode(["bytes32", "bytes"], [digest, signature])


def is_magic_word(answer: bytes) -> bool:
    return answer == MAGIC_WORD

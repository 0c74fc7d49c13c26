"""Ethereum addresses and their EIP-55 mixed-case checksum encoding."""

import functools

from eth_hash.auto import keccak

from app.domain.grammar import address_re


def to_checksum_address(address: str) -> str:
    """The EIP-55 form of a `0x` + 40 hex digit address, whatever its case.

    A hex digit is upper-cased where the matching nibble of keccak256(lower-case hex) is 8 or more.
    """
    return _checksummed(address[2:].lower())


@functools.lru_cache(maxsize=16384)  # a request checks its address more than once; wallets come back
def _checksummed(lower: str) -> str:
    digest = keccak(lower.encode("ascii")).hex()
    return "0x" + "".join(
        char.upper() if nibble in "89abcdef" else char for char, nibble in zip(lower, digest[:40], strict=True)
    )


def is_checksum_address(address: str) -> bool:
    """True when `address` is `0x` + 40 hex digits written exactly in its EIP-55 form."""
    return address_re.fullmatch(address) is not None and to_checksum_address(address) == address


def normalize_address(address: str) -> str:
    """The EIP-55 form of an address given by a client.

    All-lower-case and all-upper-case hex carry no checksum and are converted; mixed case is a checksum,
    so it must be the right one. Raises ValueError otherwise.
    """
    if address_re.fullmatch(address) is None:
        raise ValueError("address must be 0x followed by 40 hexadecimal digits")
    digits = address[2:]
    checksummed = to_checksum_address(address)
    if digits in (digits.lower(), digits.upper()) or checksummed == address:
        return checksummed
    raise ValueError("address has mixed case but is not a valid EIP-55 checksum")

"""ERC-6492 envelopes: only a signature that ends with the whole 32-byte magic suffix is one."""

import pytest

from app.domain.signatures import eip6492


@pytest.mark.parametrize("length", [0, 1, 31])
def test_a_signature_shorter_than_the_suffix_has_none(length: int) -> None:
    tail = eip6492.MAGIC_SUFFIX[-length:] if length else b""  # even the suffix's own last bytes
    assert not eip6492.has_magic_suffix(tail)


def test_the_whole_suffix_at_the_end_makes_an_envelope() -> None:
    assert eip6492.has_magic_suffix(b"\x01" * 65 + eip6492.MAGIC_SUFFIX)
    assert not eip6492.has_magic_suffix(eip6492.MAGIC_SUFFIX + b"\x01")

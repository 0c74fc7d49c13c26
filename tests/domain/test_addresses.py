import pytest
from eth_utils import to_checksum_address as reference_checksum

from app.domain.addresses import is_checksum_address, normalize_address, to_checksum_address
from tests.support.wallets import new_wallet

# The EIP-55 specification's own examples.
EIP55_EXAMPLES = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55_EXAMPLES)
def test_the_eip55_examples(address: str) -> None:
    assert to_checksum_address(address.lower()) == address
    assert to_checksum_address(address.upper().replace("0X", "0x")) == address
    assert is_checksum_address(address)


def test_agrees_with_eth_utils_on_random_addresses() -> None:
    for _ in range(200):
        address = new_wallet().address
        assert to_checksum_address(address.lower()) == reference_checksum(address.lower()) == address


@pytest.mark.parametrize("address", EIP55_EXAMPLES)
def test_normalize_accepts_unchecksummed_case_and_valid_checksums(address: str) -> None:
    assert normalize_address(address.lower()) == address
    assert normalize_address("0x" + address[2:].upper()) == address
    assert normalize_address(address) == address


@pytest.mark.parametrize(
    "bad",
    [
        "0xE5A12547fe4E872D192E3eCecb76F2Ce1aeA4946",  # mixed case, wrong checksum (first letter upper-cased)
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",  # 39 digits
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed0",  # 41 digits
        "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  # 0X
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  # no prefix
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",  # not hex
        "0x５aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",  # a full-width digit
        "",
    ],
)
def test_normalize_refuses_what_is_not_an_address(bad: str) -> None:
    with pytest.raises(ValueError, match="address"):
        normalize_address(bad)
    assert not is_checksum_address(bad)


def test_unchecksummed_forms_are_not_checksum_addresses() -> None:
    address = EIP55_EXAMPLES[0]
    assert not is_checksum_address(address.lower())
    assert is_checksum_address("0x" + "0" * 40)  # no letters: every case is the checksum case

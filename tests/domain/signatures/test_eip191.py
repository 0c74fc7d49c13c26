import pytest
from coincurve import PrivateKey
from eth_account import Account
from eth_account.messages import encode_defunct

from app.domain.signatures.eip191 import ensure_fast_backend, is_signed_by, message_hash, recover_signer
from tests.support.wallets import new_wallet, sign

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
TEXT = "example.com wants you to sign in with your Ethereum account:\n..."


def with_v(signature: bytes, v: int) -> bytes:
    return signature[:64] + bytes((v,))


def test_recovers_what_eth_account_recovers() -> None:
    for index in range(50):
        wallet = new_wallet()
        text = f"message {index} ünïcödé: the length prefix counts bytes"
        signature = bytes.fromhex(sign(wallet, text)[2:])
        reference = Account.recover_message(encode_defunct(text=text), signature=signature)
        assert recover_signer(message_hash(text), signature) == bytes.fromhex(reference[2:])
        assert is_signed_by(text, signature, wallet.address)


def test_v_may_be_27_28_or_0_1() -> None:
    wallet = new_wallet()
    signature = bytes.fromhex(sign(wallet, TEXT)[2:])
    assert signature[64] in (27, 28)
    assert is_signed_by(TEXT, with_v(signature, signature[64] - 27), wallet.address)


@pytest.mark.parametrize("v", [2, 3, 26, 29, 35, 36, 37, 38, 255])
def test_other_v_values_are_refused(v: int) -> None:
    wallet = new_wallet()
    signature = bytes.fromhex(sign(wallet, TEXT)[2:])
    assert not is_signed_by(TEXT, with_v(signature, v), wallet.address)


def test_the_high_s_twin_is_accepted_like_eth_keys_does() -> None:
    wallet = new_wallet()
    signature = bytes.fromhex(sign(wallet, TEXT)[2:])
    s = int.from_bytes(signature[32:64], "big")
    twin = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes((((signature[64] - 27) ^ 1) + 27,))
    assert is_signed_by(TEXT, twin, wallet.address)


def test_another_key_or_another_text_is_refused() -> None:
    wallet, other = new_wallet(), new_wallet()
    signature = bytes.fromhex(sign(other, TEXT)[2:])
    assert not is_signed_by(TEXT, signature, wallet.address)
    assert not is_signed_by(TEXT + " ", bytes.fromhex(sign(wallet, TEXT)[2:]), wallet.address)
    assert not is_signed_by(TEXT.replace("\n", "\r\n"), bytes.fromhex(sign(wallet, TEXT)[2:]), wallet.address)


@pytest.mark.parametrize(
    "signature",
    [
        b"",
        bytes(64),
        bytes(65),
        bytes(66),
        bytes(32) + (1).to_bytes(32, "big") + b"\x1b",  # r = 0
        (1).to_bytes(32, "big") + bytes(32) + b"\x1b",  # s = 0
        SECP256K1_N.to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x1b",  # r = n
        (1).to_bytes(32, "big") + SECP256K1_N.to_bytes(32, "big") + b"\x1b",  # s = n
        b"\xff" * 65,
    ],
)
def test_degenerate_signatures_recover_nothing(signature: bytes) -> None:
    assert recover_signer(message_hash(TEXT), signature) is None


def test_a_compact_eip2098_signature_is_refused() -> None:
    wallet = new_wallet()
    raw = PrivateKey(bytes(wallet.key)).sign_recoverable(message_hash(TEXT), hasher=None)
    assert recover_signer(message_hash(TEXT), raw[:64]) is None


def test_the_coincurve_backend_is_in_use() -> None:
    ensure_fast_backend()


def test_the_pure_python_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECC_BACKEND_CLASS", "eth_keys.backends.native.NativeECCBackend")
    with pytest.raises(RuntimeError, match="coincurve"):
        ensure_fast_backend()

"""EIP-191 `personal_sign` signatures (version 0x45), recovered with libsecp256k1 through coincurve.

eth-account does the same, ~0.1 ms slower per call; tests/domain/signatures/test_eip191.py checks that
both recover the same signer. A signature is the 65 bytes r || s || v with v in {0, 1, 27, 28}; the
EIP-155 style v >= 35 belongs to transactions and is refused, as is anything not 65 bytes long (an
EIP-2098 64-byte compact signature included). High-s signatures are accepted, as eth-keys accepts them:
replay protection keys on the nonce, never on signature bytes.
"""

from coincurve import PublicKey
from eth_hash.auto import keccak
from eth_keys.backends import get_backend
from eth_keys.backends.coincurve import CoinCurveECCBackend

_PREFIX = b"\x19Ethereum Signed Message:\n"
SIGNATURE_LENGTH = 65


def message_hash(text: str) -> bytes:
    """keccak256("\\x19Ethereum Signed Message:\\n" + byte length + message), over the UTF-8 bytes."""
    data = text.encode("utf-8")
    return keccak(_PREFIX + str(len(data)).encode("ascii") + data)


def recover_signer(digest: bytes, signature: bytes) -> bytes | None:
    """The 20-byte address whose key made `signature` over `digest`, or None if it is not a valid one."""
    if len(signature) != SIGNATURE_LENGTH:
        return None
    v = signature[64]
    recovery_id = v - 27 if v >= 27 else v
    if recovery_id not in (0, 1):
        return None
    try:
        public_key = PublicKey.from_signature_and_message(signature[:64] + bytes((recovery_id,)), digest, hasher=None)
    except ValueError:  # r or s out of range, or no point recovers
        return None
    return keccak(public_key.format(compressed=False)[1:])[-20:]


def is_signed_by(text: str, signature: bytes, address: str) -> bool:
    """True when `signature` is an EIP-191 signature of `text` by the key of `address` (0x + 40 hex)."""
    return recover_signer(message_hash(text), signature) == bytes.fromhex(address[2:])


def ensure_fast_backend() -> None:
    """Refuse to run on eth-keys' pure-Python fallback, ~200 times slower and chosen silently."""
    backend = get_backend()
    if not isinstance(backend, CoinCurveECCBackend):
        raise RuntimeError(
            f"eth-keys uses {type(backend).__name__}, not the coincurve (libsecp256k1) backend: "
            "install coincurve (pip install coincurve) and unset ECC_BACKEND_CLASS"
        )

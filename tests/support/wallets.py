"""Real keys and real EIP-191 signatures, made with eth-account (the reference implementation)."""

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount


def new_wallet() -> LocalAccount:
    return Account.create()


def sign(wallet: LocalAccount, text: str) -> str:
    """personal_sign: the 0x-hex 65-byte signature of `text`, with v as 27/28."""
    return wallet.sign_message(encode_defunct(text=text)).signature.to_0x_hex()

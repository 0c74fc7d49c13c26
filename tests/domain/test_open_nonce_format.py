"""Open nonces: 128 random bits behind a keyed tag of the client (THREATS 37: unique, alphanumeric, >= 96 bits)."""

import hashlib
import re

from app.domain.challenges import new_open_nonce
from app.stores.base import CLIENT_TAG_HEX, OPEN_NONCE_HEX, challenge_key


def test_open_nonces_are_unique_hex_and_carry_their_clients_tag() -> None:
    nonces = [new_open_nonce("198.51.100.1") for _ in range(100_000)]
    assert len(set(nonces)) == len(nonces)
    assert all(re.fullmatch(rf"[0-9a-f]{{{OPEN_NONCE_HEX}}}", nonce) for nonce in nonces)
    assert {nonce[:CLIENT_TAG_HEX] for nonce in nonces} == {nonces[0][:CLIENT_TAG_HEX]}  # one client, one tag
    assert len({nonce[CLIENT_TAG_HEX:] for nonce in nonces}) == len(nonces)  # the random part alone is unique
    tags = {new_open_nonce(f"203.0.113.{host}")[:CLIENT_TAG_HEX] for host in range(256)}
    assert len(tags) == 256  # clients apart (a collision among 256 of 2**32 tags: odds about 1 in 130,000)


def test_the_tag_is_keyed_not_a_plain_hash_of_the_client() -> None:
    client = "198.51.100.1"
    tag = new_open_nonce(client)[:CLIENT_TAG_HEX]
    assert tag != hashlib.sha256(client.encode()).hexdigest()[:CLIENT_TAG_HEX]


def test_open_nonces_are_kept_by_tag_and_challenges_by_address() -> None:
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    nonce = new_open_nonce("198.51.100.1")
    assert challenge_key(address, nonce) == challenge_key("", nonce) == f"~{nonce[:CLIENT_TAG_HEX]}"
    assert challenge_key(address, "ab" * 16) == address

"""Authorization codes: 256 random bits, kept as their SHA-256, the record a JSON round trip."""

import base64
import hashlib
import time

from app.oidc.codes import CODE_TTL, AuthorizationCode, code_hash, new_code


def test_a_code_is_256_random_bits_urlsafe_and_kept_as_its_sha256_hex() -> None:
    codes = [new_code() for _ in range(100)]
    assert len({code for code, _ in codes}) == 100
    for code, hashed in codes:
        assert len(base64.urlsafe_b64decode(code + "=")) == 32
        assert hashed == hashlib.sha256(code.encode()).hexdigest() == code_hash(code)
    assert CODE_TTL == 60


def test_a_record_comes_back_from_its_json_unchanged() -> None:
    now = int(time.time())
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    record = AuthorizationCode(
        client_id="grafana",
        redirect_uri="https://grafana.example.com/login/generic_oauth?x=1",
        code_challenge=None,
        nonce='ñonce "quoted"',
        scope=("openid", "offline_access", "siwe"),
        session_id="s1",
        address=address,
        chain_id=8453,
        accounts=(f"eip155:8453:{address}", f"eip155:1:{address}"),
        auth_time=now,
        siwe_message="example.com wants you to sign in with your Ethereum account:\n" + address + "\n\nURI: ...",
        siwe_signature="0x" + "12" * 65,
        expires_at=now + CODE_TTL,
    )
    assert AuthorizationCode.from_json(record.to_json()) == record
    assert not record.is_expired(now + CODE_TTL - 1)
    assert record.is_expired(now + CODE_TTL)

"""In-process cost of the verify path, beside the cryptography it cannot avoid.

    python benchmarks/verify_path.py [--messages 2000]

The verify path is what POST /auth/verify does apart from store I/O and HTTP: parse and check the message
(app.domain.signin.checked_message), recover the EIP-191 signer (check_signatures), create the session and
its refresh token (new_session, new_refresh_token) and mint the ES256 access token (grant). Each of the
--messages distinct messages is signed by its own key and verified once. The floor is one libsecp256k1 recovery through
coincurve plus one ES256 signature; the script prints the path's median beside that floor and their ratio,
plus, for comparison, the siwe package's parser and eth-account's recovery (what a naive service runs).
Figures are medians of per-call timings in this process: compare ratios, not absolute numbers.
"""

import argparse
import asyncio
import gc
import platform
import statistics
import time
from collections.abc import Awaitable, Callable

from coincurve import PublicKey
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from eth_account import Account
from eth_account.messages import encode_defunct
from siwe import SiweMessage as ReferenceMessage

from app.config import Settings
from app.domain.challenges import issue_challenge
from app.domain.keys import generate_key_set
from app.domain.signatures.eip191 import message_hash
from app.domain.signatures.verifier import SignatureVerifier
from app.domain.signin import Signed, SignInContext, check_signatures, checked_message, grant, new_session
from app.domain.tokens import TokenService, new_refresh_token
from app.policies import Policies
from app.rpc.pool import NodePools
from app.stores.memory import MemoryStore


class NoLimit:
    """A wallet's sign-in budget and a client's failure budget that never run out (limits are not measured)."""

    async def ensure_available(self, *_key: str) -> None:
        return None

    async def spend(self, *_key: str) -> None:
        return None


def median_microseconds(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


async def time_each_awaited(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


def time_each(calls: list[Callable[[], object]], repeat: int = 1) -> list[float]:
    samples = []
    for _ in range(repeat):
        for call in calls:
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()

    settings = Settings()
    policies = Policies.from_settings(settings)
    keys = generate_key_set("ES256")
    tokens = TokenService(keys, policies.tokens)
    now = time.time()
    signed = []
    for _ in range(args.messages):
        wallet = Account.create()
        text = issue_challenge(policies.sign_in, address=wallet.address, now=now, client="benchmark").challenge.message
        signed.append((text, wallet.sign_message(encode_defunct(text=text)).signature.to_0x_hex()))

    nodes = NodePools(policies.nodes)  # none configured: a wallet with a key needs no node
    verifier = SignatureVerifier(
        nodes,
        rpc_timeout=settings.rpc_timeout,
        call_gas=settings.rpc_call_gas,
        max_signature_bytes=settings.rpc_max_signature_bytes,
    )
    context = SignInContext(MemoryStore(), tokens, policies.sign_in, policies.sessions, NoLimit(), verifier, NoLimit())

    async def verify_path(text: str, signature: str) -> None:
        message = checked_message(text, policies.sign_in, now)
        await check_signatures(context, [Signed(text, message, signature)])
        session = new_session([message], policies.sessions, now)
        refresh_token, _ = new_refresh_token(session.session_id)
        grant(session, refresh_token, tokens, now)

    digests = [(message_hash(text), bytes.fromhex(signature[2:])) for text, signature in signed]

    def raw_recovery(digest: bytes, signature: bytes) -> None:
        PublicKey.from_signature_and_message(signature[:64] + bytes((signature[64] - 27,)), digest, hasher=None)

    es256_key = ec.generate_private_key(ec.SECP256R1())
    jwt_sized_input = b"x" * 400

    gc.collect()
    path = asyncio.run(time_each_awaited([lambda t=text, s=sig: verify_path(t, s) for text, sig in signed]))
    asyncio.run(nodes.close())
    recovery = time_each([lambda d=digest, s=sig: raw_recovery(d, s) for digest, sig in digests])
    es256 = time_each([lambda: es256_key.sign(jwt_sized_input, ec.ECDSA(hashes.SHA256()))] * len(signed))
    sample = signed[: max(1, min(100, len(signed) // 20))]
    siwe_parse = time_each([lambda t=text: ReferenceMessage.from_message(t) for text, _ in sample])
    eth_account = time_each(
        [lambda t=text, s=sig: Account.recover_message(encode_defunct(text=t), signature=s) for text, sig in signed]
    )

    floor = median_microseconds(recovery) + median_microseconds(es256)
    path_median = median_microseconds(path)
    print(f"web3-auth verify path, in process ({len(signed)} distinct signed messages, {platform.python_version()})")
    rows = [
        ("verify path (parse, policy, recovery, session, ES256 token)", path_median),
        ("verify path, 99th percentile", statistics.quantiles(path, n=100)[98] * 1e6),
        ("raw libsecp256k1 recovery (coincurve)", median_microseconds(recovery)),
        ("raw ES256 signature (cryptography)", median_microseconds(es256)),
        ("floor: recovery + ES256 signature", floor),
        ("for comparison: eth-account recover_message", median_microseconds(eth_account)),
        (f"for comparison: siwe SiweMessage.from_message ({len(sample)} messages)", median_microseconds(siwe_parse)),
    ]
    for label, microseconds in rows:
        print(f"  {label:<66} {microseconds / 1000:8.3f} ms")
    print(f"  {'verify path / floor':<66} {path_median / floor:8.2f} x")
    print(f"  {'budget: 0.5 ms median':<66} {'met' if path_median <= 500 else 'MISSED':>8}")


if __name__ == "__main__":
    main()

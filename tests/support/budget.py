"""Stand-ins for what sign-in depends on but its logic tests do not exercise: a budget that never runs out
(limits have tests of their own), and a verifier without Ethereum nodes (contract wallets have theirs)."""

from app.domain.signatures.verifier import SignatureVerifier


class Unlimited:
    async def ensure_available(self, _address: str) -> None:
        return None

    async def spend(self, _address: str) -> None:
        return None


class NoNodes:
    """A ChainReader with no chain configured (AUTH_RPC_URLS unset): contract wallets cannot be asked."""

    def serves(self, chain_id: int) -> bool:  # noqa: ARG002
        return False

    async def eth_call(
        self,
        chain_id: int,  # noqa: ARG002
        *,
        to: str | None,  # noqa: ARG002
        data: bytes,  # noqa: ARG002
        gas: int,  # noqa: ARG002
        deadline: float,  # noqa: ARG002
    ) -> bytes | None:
        raise AssertionError("no chain is served, so nothing may be called")


def eoa_only() -> SignatureVerifier:
    return SignatureVerifier(NoNodes(), rpc_timeout=2.0, call_gas=2_000_000)

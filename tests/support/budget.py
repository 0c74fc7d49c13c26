"""Stand-ins for what sign-in depends on but its logic tests do not exercise: a budget that never runs out
(limits have tests of their own), and a verifier without Ethereum nodes (contract wallets have theirs)."""

from app.domain.signatures.verifier import ChainSession, SignatureVerifier


class Unlimited:
    """A wallet's sign-in budget, or a client's failure budget, that never runs out."""

    async def ensure_available(self, *_key: str) -> None:
        return None

    async def spend(self, *_key: str) -> None:
        return None


class NoNodes:
    """A ChainReader with no chain configured (AUTH_RPC_URLS unset): contract wallets cannot be asked."""

    def serves(self, chain_id: int) -> bool:  # noqa: ARG002
        return False

    def session(self, deadline: float) -> ChainSession:  # noqa: ARG002
        raise AssertionError("no chain is served, so nothing may be called")


def eoa_only() -> SignatureVerifier:
    return SignatureVerifier(NoNodes(), rpc_timeout=2.0, call_gas=2_000_000, max_signature_bytes=4096)

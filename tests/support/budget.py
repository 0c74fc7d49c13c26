"""A sign-in budget that never runs out, for tests of the sign-in logic itself (limits have tests of their own)."""


class Unlimited:
    async def ensure_available(self, _address: str) -> None:
        return None

    async def spend(self, _address: str) -> None:
        return None

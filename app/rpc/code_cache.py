"""Whether an address has code, as the nodes last said, for a while: a forged signature for an address
without code (a wallet with a key) is refused without the validator call, and repeating it does not even
cost an eth_getCode each time.

"Has code" is kept longer than "no code": a counterfactual wallet gets deployed (so "no code" goes stale),
while code, once there, stays (and if it went, the validator call finds out anyway: it checks the code
itself). Bounded: past MAX_ENTRIES the oldest entry goes. Per process.
"""

import time
from collections import OrderedDict
from collections.abc import Callable

HAS_CODE_TTL = 600.0  # seconds
NO_CODE_TTL = 10.0
MAX_ENTRIES = 10_000


class CodeCache:
    def __init__(
        self,
        *,
        has_code_ttl: float = HAS_CODE_TTL,
        no_code_ttl: float = NO_CODE_TTL,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = {True: has_code_ttl, False: no_code_ttl}
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[int, str], tuple[bool, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, chain_id: int, address: str) -> bool | None:
        """Whether the address has code, or None when that is not known (or no longer)."""
        key = (chain_id, address.lower())
        entry = self._entries.get(key)
        if entry is None:
            return None
        has_code, expires_at = entry
        if self._clock() >= expires_at:
            del self._entries[key]
            return None
        return has_code

    def put(self, chain_id: int, address: str, has_code: bool) -> None:
        key = (chain_id, address.lower())
        self._entries.pop(key, None)
        self._entries[key] = (has_code, self._clock() + self._ttl[has_code])
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

"""`limits`' moving window, in this process, at O(1) per hit.

limits' own MemoryStorage keeps each key's hits in a list it inserts at the front of (O(hits in the window)
per hit), and after every hit schedules a sweep task that visits every key through asyncio.to_thread: with
many clients and wallets, the event loop spends its time sweeping. This storage keeps, per key, the last
`limit` hit times (at most twice that between trims) as 8-byte floats in one bytearray, which the cycle
collector does not track at all (a deque per key doubled the objects it walks per client and wallet, and the
time of a full collection with them: 14 ms with 20,000 wallets; an `array` is tracked too, although it holds no
references), and
sweeps a few idle keys at each hit: keys are kept in order of their last hit, so the idle ones are at the
front and a sweep stops at the first key still in use (with windows of different lengths, an idle key may
wait behind a longer window's key, at most that longer window).

Same semantics as limits' storage (the tests of the limits run on it): a hit is admitted when fewer than
`limit` hits lie in the last `expiry` seconds.
"""

from __future__ import annotations

import struct
import time
from collections import OrderedDict
from typing import Any

from limits.aio.storage import MovingWindowSupport, Storage

_SWEPT_PER_HIT = 8  # idle keys examined at each hit: enough to keep up, little enough to be free
# A key's bytearray: its window's length and its limit, then its hit times, oldest first; all doubles.
_FLOAT = struct.Struct("d")
_HEADER = struct.Struct("dd")
_FIRST_HIT = _HEADER.size


def _new_hits(limit: int, expiry: int) -> bytearray:
    return bytearray(_HEADER.pack(expiry, limit))


def _hit_count(hits: bytearray) -> int:
    return (len(hits) - _FIRST_HIT) // _FLOAT.size


def _newest(hits: bytearray, depth: int) -> float:
    """The `depth`-th newest hit time (1: the newest); there must be that many."""
    value: float = _FLOAT.unpack_from(hits, len(hits) - depth * _FLOAT.size)[0]
    return value


def _header(hits: bytearray) -> tuple[float, float]:
    expiry, limit = _HEADER.unpack_from(hits)
    return expiry, limit


class InProcessMovingWindow(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["async+web3auth-moving-window"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        # In order of last hit, idle first. An OrderedDict, not a dict: a dict leaves a hole at the front for
        # each key swept or moved, and finding its first key walks every hole (until the next resize), which
        # made a hit cost 440 µs instead of 4 with 200,000 keys coming and going (benchmarks/moving_window.py).
        self._keys: OrderedDict[str, bytearray] = OrderedDict()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def __len__(self) -> int:
        return len(self._keys)

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return self.take(key, limit, expiry, amount)

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:  # noqa: ARG002
        return self.window(key, expiry)

    # Synchronous, for callers in this process that need not go through limits' async layers.
    def take(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count `amount` hits if fewer than `limit - amount + 1` lie in the last `expiry` seconds."""
        if amount > limit:
            return False
        now = time.time()
        self._sweep(now)
        hits = self._keys.get(key)
        if hits is None or _header(hits) != (expiry, limit):
            hits = self._keys[key] = _new_hits(limit, expiry)
        self._keys.move_to_end(key)  # now the most recently hit
        # admitted unless the (limit - amount + 1)-th newest hit is still inside the window
        depth = limit - amount + 1
        if _hit_count(hits) >= depth and _newest(hits, depth) >= now - expiry:
            return False
        hits += _FLOAT.pack(now) * amount
        if _hit_count(hits) > 2 * limit:  # keep the newest `limit`: older ones never decide again
            del hits[_FIRST_HIT : len(hits) - limit * _FLOAT.size]
        return True

    def admits(self, key: str, limit: int, expiry: int) -> bool:
        """Whether a hit would be counted now (fewer than `limit` hits in the last `expiry` seconds), in O(1)."""
        hits = self._keys.get(key)
        if hits is None or _hit_count(hits) < limit:
            return True
        return _newest(hits, limit) <= time.time() - expiry  # as `window` counts: a hit exactly `expiry` old is out

    def window(self, key: str, expiry: int) -> tuple[float, int]:
        """The time of the oldest hit inside the window, and how many hits it holds."""
        now = time.time()
        hits = self._keys.get(key)
        start, count = now, 0
        if hits is not None:
            limit = _header(hits)[1]
            for depth in range(1, _hit_count(hits) + 1):
                hit = _newest(hits, depth)
                if hit <= now - expiry or count == limit:
                    break
                start, count = hit, count + 1
        return start, count

    def _sweep(self, now: float) -> None:
        for _ in range(_SWEPT_PER_HIT):
            key = next(iter(self._keys), None)
            if key is None:
                return
            hits = self._keys[key]
            if _hit_count(hits) and _newest(hits, 1) >= now - _header(hits)[0]:
                # The least recently hit key is still in use: with one window length, so are all the others;
                # with several, an idle key behind it waits at most the longest window to be swept.
                return
            del self._keys[key]

    # The rest of limits' Storage interface, which the moving window does not use.
    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("only the moving window is stored here")

    async def get(self, key: str) -> int:
        hits = self._keys.get(key)
        return 0 if hits is None else min(_hit_count(hits), int(_header(hits)[1]))

    async def get_expiry(self, key: str) -> float:
        hits = self._keys.get(key)
        return time.time() if hits is None or not _hit_count(hits) else _newest(hits, 1) + _header(hits)[0]

    async def check(self) -> bool:
        return True

    async def reset(self) -> int | None:
        count = len(self._keys)
        self._keys.clear()
        return count

    async def clear(self, key: str) -> None:
        self._keys.pop(key, None)

"""Rate-limit checks run inside the Redis store's scripts (app.stores.pending_limits): each folded script is
the store's own script made a function, after the moving-window checks (lua/moving_windows.lua), so that
a request's limits and its store operation take one round trip.

The windows are `limits`' own keys (<prefix>:limits:<RateLimitItem.key_for>), counted as its moving window
counts them, so that folded checks and those `limits`' storage runs (app.stores.limits) share every window.
Only where all keys live on one server: on a cluster the windows and the records lie in other slots.
"""

import time
from collections.abc import Sequence
from typing import Any

from app.stores import lua
from app.stores.pending_limits import LimitCheck, Verdict

_BEFORE = lua.source("moving_windows")
_AFTER = lua.source("after_limits")
LIMITS_ONLY = _BEFORE + "local function operation() return 1 end\n" + _AFTER


def folded(operation: str) -> str:
    """The script `operation` run after the checks of moving_windows.lua (see after_limits.lua)."""
    return f"{_BEFORE}local function operation(KEYS, ARGV)\n{operation}\nend\n{_AFTER}"


def window_keys(prefix: str, checks: Sequence[LimitCheck]) -> list[str]:
    return [f"{prefix}:limits:{check.limit.key_for(*check.key)}" for check in checks]


def window_arguments(checks: Sequence[LimitCheck]) -> list[Any]:
    arguments: list[Any] = [len(checks), time.time()]
    for check in checks:
        arguments += [check.limit.amount, check.limit.get_expiry(), 1 if check.counts else 0]
    return arguments


def operation_reply(reply: list[Any], checks: Sequence[LimitCheck]) -> Any:
    """What the operation answered; for a refusal, raises through the refused check's `refused`."""
    index = int(reply[0])
    if index == 0:
        return reply[1] if len(reply) > 1 else None
    check = checks[index - 1]
    oldest, hits = float(reply[1]), int(reply[2])
    limit = check.limit
    check.refused(Verdict(False, time.time(), limit.amount - hits, oldest + limit.get_expiry()))

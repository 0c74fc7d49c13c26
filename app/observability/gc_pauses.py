"""Garbage-collection pauses at GET /metrics: web3auth_gc_pause_seconds, a histogram by generation.

prometheus-client already counts collections (python_gc_collections_total); what it lacks is how long they
took, and a full collection is what a latency tail at steady load is often made of (benchmarks/load.py reads
these figures around each measurement). A gc.callbacks hook times every collection into plain numbers (no lock:
a collection can start inside any allocation, also while a metric's lock is held) and a collector reports them
at each scrape. One worker only: with several, /metrics shows prometheus-client's multiprocess files, which a
custom collector does not reach, so the pauses are absent there.
"""

import bisect
import gc
import time
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
GENERATIONS = 3

_started = 0.0
_counts = [[0] * (len(BUCKETS) + 1) for _ in range(GENERATIONS)]  # per bucket, not cumulative; last: +Inf
_sums = [0.0] * GENERATIONS


def _time_collection(phase: str, info: dict[str, int]) -> None:
    global _started
    if phase == "start":
        _started = time.perf_counter()
        return
    pause = time.perf_counter() - _started
    generation = info["generation"]
    _sums[generation] += pause
    _counts[generation][bisect.bisect_left(BUCKETS, pause)] += 1


class GcPauses(Collector):
    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(
            "web3auth_gc_pause_seconds",
            "Garbage collections of this process, by generation (2: full).",
            labels=["generation"],
        )
        for generation in range(GENERATIONS):
            counts, cumulative, buckets = _counts[generation], 0, []
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), counts, strict=True):
                cumulative += count
                buckets.append((bound, float(cumulative)))
            family.add_metric([str(generation)], buckets, sum_value=_sums[generation])
        yield family


def install() -> None:
    """Time this process's collections from now on and report them in the default registry (once)."""
    if _time_collection not in gc.callbacks:
        gc.callbacks.append(_time_collection)
        REGISTRY.register(GcPauses())

"""The in-process rate window's cost per hit while clients come and go (app.stores.moving_window).

    .venv/bin/python benchmarks/moving_window.py [--keys 10000 60000 200000] [--hits 100000]

For each key count: N keys each take a hit, then wait out their window (idle), then --hits hits arrive from
new keys, so that every hit also sweeps idle keys from the front. The cost per hit should not grow with N:
it did with a plain dict (each swept key left a hole that finding the first key walked: 3, 30 and 438 µs per
hit for 10k, 60k and 200k keys in one run), and stays at 3-4 µs with the OrderedDict.
"""

import argparse
import time

from app.stores.moving_window import InProcessMovingWindow

WINDOW = 1  # seconds: short, so the first keys go idle quickly


def per_hit_microseconds(keys: int, hits: int) -> tuple[float, int]:
    window = InProcessMovingWindow()
    for index in range(keys):
        window.take(f"old {index}", 10, WINDOW)
    time.sleep(WINDOW + 0.1)  # every old key is idle now, and sweepable
    started = time.perf_counter()
    for index in range(hits):
        window.take(f"new {index}", 10, WINDOW)
    return (time.perf_counter() - started) / hits * 1e6, len(window)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, nargs="+", default=[10_000, 60_000, 200_000])
    parser.add_argument("--hits", type=int, default=100_000)
    options = parser.parse_args()
    costs = []
    for keys in options.keys:
        cost, left = per_hit_microseconds(keys, options.hits)
        costs.append(cost)
        print(f"  {keys:>8,} idle keys, {options.hits:,} hits from new keys: {cost:6.2f} µs per hit", end="")
        print(f" ({left:,} keys left)")
    print(f"  cost per hit, most keys / fewest keys: {costs[-1] / costs[0]:.2f} x (O(1) per hit: about 1)")


if __name__ == "__main__":
    main()

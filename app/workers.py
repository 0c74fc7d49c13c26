"""How many worker processes `python -m app` runs: AUTH_WORKERS, or unset one per core this process may use
where the workers can share state (a Redis store and one signing key set for all of them), else one."""

import contextlib
import math
import os
from pathlib import Path

from app.config import Settings


def worker_count(settings: Settings) -> int:
    if settings.workers is not None:
        return settings.workers
    shares_state = settings.redis_url is not None and bool(settings.jwt_keys_file or settings.jwt_secret)
    return available_cores() if shares_state else 1


def available_cores(proc_cgroup: Path = Path("/proc/self/cgroup"), sysfs: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process may run on: its CPU affinity, capped by the CPU quota of its cgroup or any
    cgroup above it (a container's `cpus` limit, a systemd CPUQuota), which os.cpu_count() ignores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for quota, period in _cgroup_cpu_quotas(proc_cgroup, sysfs):
        cores = min(cores, max(1, math.ceil(quota / period)))
    return cores


def _cgroup_cpu_quotas(proc_cgroup: Path, sysfs: Path) -> list[tuple[int, int]]:
    """(quota, period) of every cgroup from this process's own up to the root: v2 `cpu.max`, v1 `cpu.cfs_*`."""
    try:
        memberships = proc_cgroup.read_text().splitlines()
    except OSError:
        return []
    quotas = []
    files: tuple[str, ...]
    for line in memberships:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            roots, files = [sysfs, sysfs / "unified"], ("cpu.max",)
        elif "cpu" in controllers.split(","):
            roots = [sysfs / controllers, sysfs / "cpu"]
            files = ("cpu.cfs_quota_us", "cpu.cfs_period_us")
        else:
            continue
        for root in roots:
            directory = root / path.lstrip("/")
            while directory.is_relative_to(root):
                with contextlib.suppress(OSError, ValueError):
                    values = " ".join(directory.joinpath(name).read_text() for name in files).split()
                    if values[0] not in ("max", "-1"):
                        quotas.append((int(values[0]), int(values[1])))
                if directory == root:
                    break
                directory = directory.parent
    return quotas

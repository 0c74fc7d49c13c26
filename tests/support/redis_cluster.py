"""Real Redis topologies on loopback for the tests: a Redis Cluster of masters, and a primary, replicas and
sentinels. Every process writes to a log file in a temporary directory of its own (shown if start-up fails)
and is stopped, then the directory removed, when the context manager exits."""

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
import redis
import redis.exceptions
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.redis_server import free_port, redis_server_binary
from tests.support.replication_link import ReplicationLink

HOST = "127.0.0.1"
SERVICE_NAME = "web3auth"
# The first sentinel sees a dead primary down after 1 s, and each further one 1 s later: with identical timeouts
# they start their elections together, each votes for itself, and the failover waits out 2 x failover-timeout
# (10 s) before a second election (a split vote, seen in 1 run of 5 here).
DOWN_AFTER_MS, STAGGER_MS = 1000, 1000
FAILOVER_TIMEOUT_MS, RELAYED_FAILOVER_TIMEOUT_MS = 5000, 120_000
STARTUP_TIMEOUT = 20.0  # seconds, for a whole topology to be ready
RESERVED_PORTS = frozenset({6379, 26379, 16379})  # the shared Redis (and its conventional sentinel/bus ports)
POLL_TIMEOUT = 0.5  # seconds, for every connection and answer while polling


def loopback_port(taken: set[int]) -> int:
    """A free loopback port that is neither reserved nor already handed out to this topology."""
    while True:
        port = free_port()
        if port not in RESERVED_PORTS and port not in taken:
            taken.add(port)
            return port


def log_tail(directory: Path, lines: int = 15) -> str:
    parts = []
    for log in sorted(directory.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {log.name}\n" + "\n".join(tail))
    return "\n".join(parts)


def node_client(port: int) -> redis.Redis:
    """A client of 127.0.0.1:port (a server or a sentinel) with short timeouts and no retries."""
    return redis.Redis(
        host=HOST,
        port=port,
        decode_responses=True,
        socket_timeout=POLL_TIMEOUT,
        socket_connect_timeout=POLL_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


def info_field(port: int, section: str, name: str) -> str | None:
    """One field of INFO <section> on 127.0.0.1:port, or None if the node does not answer."""
    client = node_client(port)
    try:
        value = client.info(section).get(name)
        return None if value is None else str(value)
    except redis.exceptions.RedisError:
        return None
    finally:
        client.close()


class Processes:
    """Redis processes of one topology, keyed by port; output to <directory>/<name>.log."""

    def __init__(self, directory: Path, stack: ExitStack) -> None:
        self.directory = directory
        self._stack = stack
        self.by_port: dict[int, subprocess.Popen[bytes]] = {}
        stack.callback(self.stop_all)

    def start(self, name: str, port: int, arguments: list[str]) -> subprocess.Popen[bytes]:
        log = self._stack.enter_context((self.directory / f"{name}.log").open("wb"))
        command = [redis_server_binary(), *arguments]
        process = subprocess.Popen(command, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT)
        self.by_port[port] = process
        return process

    def stop_all(self) -> None:
        """Terminate everything, then kill what is still running 5 s later."""
        for process in self.by_port.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 5
        for process in self.by_port.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def wait_until(self, ready: Callable[[], bool], what: str, deadline: float) -> None:
        """Poll `ready` until it holds; pytest.fail with the logs' tails on timeout or if a process died."""
        while not ready():
            dead = [port for port, process in self.by_port.items() if process.poll() is not None]
            if dead or time.monotonic() > deadline:
                reason = f"process on port(s) {dead} exited" if dead else "timed out"
                pytest.fail(f"Redis topology: waiting for {what}: {reason}\n{log_tail(self.directory)}")
            time.sleep(0.05)


@contextmanager
def topology_directory(prefix: str) -> Iterator[tuple[Path, ExitStack]]:
    with ExitStack() as stack:
        directory = Path(tempfile.mkdtemp(prefix=prefix))
        stack.callback(shutil.rmtree, directory, ignore_errors=True)  # runs last: after the processes stop
        yield directory, stack


def answers(port: int) -> Callable[[], bool]:
    return lambda: info_field(port, "server", "tcp_port") is not None


def in_sync(replica_port: int) -> Callable[[], bool]:
    return lambda: info_field(replica_port, "replication", "master_link_status") == "up"


def acknowledging_replicas(primary_port: int, count: int) -> bool:
    """Whether `count` replicas acknowledge a write on the primary (a harness key) within POLL_TIMEOUT: what
    the service's WAIT needs. `state=online` in INFO is not enough: after a diskless sync the primary streams
    a replica nothing, and WAIT does not count it, until the replica's first REPLCONF ACK (once a second)."""
    client = node_client(primary_port)
    try:
        client.set("harness:acknowledged", "1")
        return int(client.wait(count, int(POLL_TIMEOUT * 1000 / 2))) >= count
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


# --- Redis Cluster ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisClusterNodes:
    ports: list[int]
    directory: Path  # the nodes' files and logs

    @property
    def url(self) -> str:
        """The form the service accepts: redis+cluster://host:port,host:port,..."""
        return "redis+cluster://" + ",".join(f"{HOST}:{port}" for port in self.ports)

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        return [(HOST, port) for port in self.ports]

    @property
    def node_urls(self) -> list[str]:
        """A plain redis:// URL per node, to look at one node alone."""
        return [f"redis://{HOST}:{port}" for port in self.ports]


def cluster_state_ok(port: int) -> bool:
    client = node_client(port)
    try:
        info = client.execute_command("CLUSTER INFO")  # type: ignore[no-untyped-call]  # a dict, parsed by redis-py
        return isinstance(info, dict) and info.get("cluster_state") == "ok"
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


@contextmanager
def running_cluster(masters: int = 3) -> Iterator[RedisClusterNodes]:
    """`masters` cluster-enabled redis-servers (no replicas), joined with `redis-cli --cluster create` and
    each reporting cluster_state:ok. The cluster bus port of each node is a free port of its own
    (--cluster-port), not port + 10000, which may be taken or above 65535."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with topology_directory("web3auth-cluster-") as (directory, stack):
        processes = Processes(directory, stack)
        taken: set[int] = set()
        ports = [loopback_port(taken) for _ in range(masters)]
        for port in ports:
            arguments = ["--port", str(port), "--bind", HOST, "--cluster-enabled", "yes"]
            arguments += ["--cluster-config-file", f"nodes-{port}.conf", "--cluster-node-timeout", "2000"]
            arguments += ["--cluster-port", str(loopback_port(taken)), "--save", "", "--appendonly", "no"]
            arguments += ["--dir", str(directory), "--daemonize", "no"]
            processes.start(f"node-{port}", port, arguments)
        for port in ports:
            processes.wait_until(answers(port), f"cluster node {port} to answer", deadline)
        create_cluster(ports, directory, deadline)
        for port in ports:
            processes.wait_until(partial(cluster_state_ok, port), f"cluster_state:ok on {port}", deadline)
        yield RedisClusterNodes(ports, directory)


def create_cluster(ports: list[int], directory: Path, deadline: float) -> None:
    redis_cli = shutil.which("redis-cli")
    if redis_cli is None:
        pytest.fail("redis-cli is not installed: the cluster tests need it (apt-get install redis-tools)")
    command = [redis_cli, "--cluster", "create", *(f"{HOST}:{port}" for port in ports)]
    command += ["--cluster-replicas", "0", "--cluster-yes"]
    with (directory / "cluster-create.log").open("wb") as log:
        try:
            returncode = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, timeout=max(deadline - time.monotonic(), 1)
            ).returncode
        except subprocess.TimeoutExpired:
            returncode = -1
    if returncode != 0:
        pytest.fail(f"redis-cli --cluster create failed ({returncode})\n{log_tail(directory, 40)}")


# --- Sentinel ----------------------------------------------------------------------------------------------------


@dataclass
class SentinelSetup:
    primary_port: int
    replica_ports: list[int]
    sentinel_ports: list[int]
    processes: Processes
    links: list[ReplicationLink]  # each replica's relay to the first primary, if relayed
    service_name: str = SERVICE_NAME
    killed_port: int | None = None  # the primary kill_primary() killed last

    @property
    def replica_port(self) -> int:
        return self.replica_ports[0]

    def hold_replication(self) -> None:
        """From now on the first primary's writes reach no replica (running_sentinel(relayed=True) only)."""
        assert self.links, "hold_replication needs running_sentinel(relayed=True)"
        for port, link in zip(self.replica_ports, self.links, strict=True):
            assert info_field(port, "replication", "master_port") == str(link.port), f"{port} left its relay"
            link.hold()

    def cut_replication(self) -> None:
        """Close the relays: what they held is lost."""
        for link in self.links:
            link.cut()

    def wait_for_replicas(self, primary_port: int, count: int, timeout: float = 20) -> None:
        """Wait until `count` replicas acknowledge writes on `primary_port`."""
        ready = partial(acknowledging_replicas, primary_port, count)
        what = f"{count} replica(s) acknowledging writes on {primary_port}"
        self.processes.wait_until(ready, what, time.monotonic() + timeout)

    @property
    def url(self) -> str:
        """redis+sentinel://host:port,host:port/service_name"""
        hosts = ",".join(f"{HOST}:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{self.service_name}"

    @property
    def sentinel_nodes(self) -> list[tuple[str, int]]:
        return [(HOST, port) for port in self.sentinel_ports]

    def current_primary_port(self) -> int:
        """The primary's port according to the first sentinel that answers."""
        for port in self.sentinel_ports:
            address = master_address(port)
            if address is not None:
                return address
        raise RuntimeError("no sentinel answers")

    def kill_primary(self) -> int:
        """SIGKILL the current primary process (as a crash would); returns its port."""
        port = self.current_primary_port()
        process = self.processes.by_port.pop(port)  # dead on purpose: wait_until is not to fail on it
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.killed_port = port
        return port

    def wait_for_failover(self, timeout: float = 20) -> int:
        """Wait until the first sentinel names another primary than the one killed (by kill_primary) and that node
        reports role:master; returns its port."""
        killed = self.killed_port
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            address = master_address(self.sentinel_ports[0])
            if address is not None and address != killed and info_field(address, "replication", "role") == "master":
                return address
            time.sleep(0.05)
        pytest.fail(f"no failover within {timeout} s\n{log_tail(self.processes.directory)}")


def master_address(sentinel_port: int) -> int | None:
    client = node_client(sentinel_port)
    try:
        address = client.sentinel_get_master_addr_by_name(SERVICE_NAME)
        return int(address[1]) if isinstance(address, tuple | list) else None
    except redis.exceptions.RedisError:
        return None
    finally:
        client.close()


def sentinel_knows(sentinel_port: int, primary_port: int, replica_ports: list[int], sentinels: int) -> bool:
    """The sentinel monitors the primary, sees the replicas, and knows every other sentinel."""
    client = node_client(sentinel_port)
    try:
        if master_address(sentinel_port) != primary_port:
            return False
        replicas = client.sentinel_slaves(SERVICE_NAME)  # SENTINEL REPLICAS, parsed into dicts
        others = client.sentinel_sentinels(SERVICE_NAME)
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()
    seen = {entry["port"] for entry in replicas if not entry.get("is_disconnected")}
    return seen >= set(replica_ports) and isinstance(others, list) and len(others) == sentinels - 1


def sentinel_conf(port: int, primary_port: int, directory: Path, down_after_ms: int, failover_timeout_ms: int) -> str:
    return "\n".join(
        [
            f"port {port}",
            f"bind {HOST}",
            f"dir {directory}",
            "sentinel resolve-hostnames no",
            "sentinel announce-hostnames no",
            f"sentinel announce-ip {HOST}",  # what the sentinels tell each other (and clients) about themselves
            f"sentinel monitor {SERVICE_NAME} {HOST} {primary_port} 1",
            f"sentinel down-after-milliseconds {SERVICE_NAME} {down_after_ms}",
            f"sentinel failover-timeout {SERVICE_NAME} {failover_timeout_ms}",
            f"sentinel parallel-syncs {SERVICE_NAME} 1",
            "",
        ]
    )


@contextmanager
def running_sentinel(sentinels: int = 1, replicas: int = 1, relayed: bool = False) -> Iterator[SentinelSetup]:
    """A primary, `replicas` replicas acknowledging its writes, and `sentinels` sentinels
    (quorum 1) monitoring "web3auth". `relayed`: each replica reaches the primary through a ReplicationLink,
    so that a test can hold and cut replication (SentinelSetup.hold_replication)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with topology_directory("web3auth-sentinel-") as (directory, stack):
        processes = Processes(directory, stack)
        taken: set[int] = set()
        primary_port = loopback_port(taken)
        replica_ports = [loopback_port(taken) for _ in range(replicas)]
        sentinel_ports = [loopback_port(taken) for _ in range(sentinels)]
        common = ["--bind", HOST, "--save", "", "--appendonly", "no", "--dir", str(directory), "--daemonize", "no"]
        common += ["--repl-diskless-sync-delay", "0"]  # a full sync at once, not after the default 5 s
        processes.start("primary", primary_port, ["--port", str(primary_port), *common])
        # the replica only once the primary answers: a refused first connection delays the sync by a second
        processes.wait_until(answers(primary_port), "the primary to answer", deadline)
        links = [ReplicationLink(primary_port, loopback_port(taken)) for _ in replica_ports] if relayed else []
        stack.callback(lambda: [link.cut() for link in links])
        for index, replica_port in enumerate(replica_ports):  # all at once: they sync in parallel
            upstream = links[index].port if relayed else primary_port
            replica_arguments = ["--port", str(replica_port), "--replicaof", HOST, str(upstream), *common]
            processes.start(f"replica-{replica_port}", replica_port, replica_arguments)
        for replica_port in replica_ports:
            processes.wait_until(in_sync(replica_port), f"replica {replica_port} to sync", deadline)
        acknowledged = partial(acknowledging_replicas, primary_port, len(replica_ports))
        processes.wait_until(acknowledged, "the replicas to acknowledge writes", deadline)
        for index, port in enumerate(sentinel_ports):
            conf = directory / f"sentinel-{port}.conf"
            down_after = DOWN_AFTER_MS + index * STAGGER_MS
            # a sentinel points a replica that replicates another address (a relay) at the primary itself once
            # failover-timeout has passed (+fix-slave-config): relayed, not within a test's time
            failover_timeout = RELAYED_FAILOVER_TIMEOUT_MS if relayed else FAILOVER_TIMEOUT_MS
            conf.write_text(sentinel_conf(port, primary_port, directory, down_after, failover_timeout))
            processes.start(f"sentinel-{port}", port, [str(conf), "--sentinel"])
        for port in sentinel_ports:
            knows = partial(sentinel_knows, port, primary_port, replica_ports, sentinels)
            processes.wait_until(knows, f"sentinel {port} to see primary, replica and sentinels", deadline)
        yield SentinelSetup(primary_port, replica_ports, sentinel_ports, processes, links)

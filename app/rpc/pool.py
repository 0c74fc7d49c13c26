"""The nodes of each configured chain, and how a call finds one that answers.

Selection is least-latency: among the nodes whose breaker lets a request through and that are not on
another chain, the one with the lowest moving-average latency is asked first (a node whose chain id is not
verified yet comes after the verified ones, and is asked eth_chainId before anything else). Calls are
hedged: if the node asked does not answer within a few times its usual latency (at least HEDGE_AFTER), the
next node is asked too, and the first answer wins; a node failure moves on to the next node at once. When
every node failed, the pool waits an exponential backoff with jitter and goes round again. All of it within
one deadline for the whole call; when it passes, or no node is usable, the call raises RpcUnavailable.

A call may need the answers of several distinct nodes (AUTH_RPC_QUORUM): as many are asked at once, and a
node that failed or lags is replaced as above. The reads of one verification (ReadSession: the code check,
then the validator call) share its deadline; the code check, a cheap state read, is asked of every usable
node at once, and the nodes that answered one read are asked first for the next, so that the validator call
does not wait again behind a node that hung on the code check.

Each node's circuit breaker counts at most one failure per call (a retry round must not open the breakers
of a whole pool at once), and a request cancelled because another node answered first is not a failure.

A background task asks every node eth_chainId every AUTH_RPC_HEALTH_INTERVAL seconds: it verifies the
chain and measures latency; breakers are judged by real calls only (providers often answer eth_chainId
from their edge even while eth_call fails). Nothing else is ever sent on its own: a sign-in by a wallet
with a key makes no RPC call at all.
"""

import asyncio
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from app.errors import RpcUnavailable
from app.observability import metrics
from app.rpc import jsonrpc
from app.rpc.breaker import BreakerState, CircuitBreaker
from app.rpc.code_cache import CodeCache
from app.rpc.jsonrpc import ExecutionFailed, NodeFailure
from app.rpc.node import ChainCheck, Node

logger = logging.getLogger("web3_auth.rpc")
Result = TypeVar("Result")
HEDGE_AFTER = 0.2  # seconds: the least a node is given before the next one is asked too
HEDGE_LATENCIES = 3  # ...or this many times its usual latency
FAILURE_LATENCY = 1.0  # seconds a failure counts as, so that a node failing fast does not look fast
_BACKOFF_BASE = 0.05  # seconds before the second round; doubled each round, with jitter
BREAKER_LEVELS = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}
_HEX = re.compile(r"0x[0-9a-fA-F]*")


@dataclass(frozen=True, slots=True)
class NodePolicy:
    """The nodes of each chain (AUTH_RPC_URLS) and how they are used: one verification's timeout, the
    breakers' failures and cooldown, the health checks' interval and the quorum of agreeing nodes."""

    urls: Mapping[int, tuple[str, ...]]
    timeout: float
    breaker_failures: int
    breaker_cooldown: float
    health_interval: float
    quorum: int


def hex_quantity(value: Any) -> int:
    if not isinstance(value, str) or len(value) < 3 or _HEX.fullmatch(value) is None:
        raise NodeFailure("malformed_reply")
    return int(value, 16)


def hex_data(value: Any) -> bytes:
    if not isinstance(value, str) or _HEX.fullmatch(value) is None or len(value) % 2:
        raise NodeFailure("malformed_reply")
    return bytes.fromhex(value[2:])


class _Call:
    """The attempts of one call: which nodes were asked, which are still out, which answered."""

    def __init__(self, needed: int, prefer: Sequence[Node], at_once: int) -> None:
        self.needed = needed
        self.prefer = prefer
        self.at_once = at_once
        self.outstanding: dict[asyncio.Task[Any], Node] = {}
        self.asked_this_round: set[Node] = set()
        self.charged: set[Node] = set()  # nodes whose breaker already counted a failure of this call
        self.answers: dict[Node, Any] = {}  # a result, or the ExecutionFailed that is the chain's answer

    def first_failure_of(self, node: Node) -> bool:
        """Whether this failure of `node` is the first of this call (and so counts for its breaker)."""
        first = node not in self.charged
        self.charged.add(node)
        return first

    def missing(self) -> int:
        return self.needed - len(self.answers)


class ChainPool:
    """The nodes of one chain."""

    def __init__(self, chain_id: int, urls: Sequence[str], client: httpx.AsyncClient, policy: NodePolicy) -> None:
        self.chain_id = chain_id
        self._client = client
        self.nodes = [
            Node(url, chain_id, CircuitBreaker(policy.breaker_failures, policy.breaker_cooldown)) for url in urls
        ]

    def candidates(self, prefer: Sequence[Node] = ()) -> list[Node]:
        """The usable nodes, best first: those in `prefer` (the nodes that answered the same verification
        already), then the verified ones by latency, then the unverified."""
        usable = [node for node in self.nodes if node.usable()]
        return sorted(
            usable,
            key=lambda node: (node not in prefer, node.check is not ChainCheck.VERIFIED, node.latency or 0.0),
        )

    async def call(self, method: str, params: list[Any], parse: Callable[[Any], Result], deadline: float) -> Result:
        """`method`'s parsed result from the first node that answers before `deadline` (time.monotonic()).
        Raises ExecutionFailed when the chain's answer is a failed execution, RpcUnavailable otherwise."""
        (answer,) = await self.call_many(method, params, parse, deadline)
        if isinstance(answer, ExecutionFailed):
            raise answer
        return answer

    async def call_many(
        self,
        method: str,
        params: list[Any],
        parse: Callable[[Any], Result],
        deadline: float,
        *,
        needed: int = 1,
        prefer: Sequence[Node] = (),
        at_once: int = 1,
        answered: list[Node] | None = None,
    ) -> list[Result | ExecutionFailed]:
        """The answers of `needed` distinct nodes, in the order they came, each a parsed result or the
        ExecutionFailed that is the chain's answer (and the nodes that gave them in `answered`); the nodes
        in `prefer` are asked first, and `at_once` nodes (or `needed`, if more) from the start. Hedging,
        failover and retry rounds as for one answer; RpcUnavailable when fewer than `needed` nodes
        answered before `deadline`, or fewer are usable."""
        attempt = _Call(needed, prefer, at_once)
        rounds = 0
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._time_out(attempt)
                    raise RpcUnavailable(f"no Ethereum node for chain {self.chain_id} answered in time")
                wanted_out = max(attempt.missing(), attempt.at_once - len(attempt.answers))
                while len(attempt.outstanding) < wanted_out and self._ask_next(attempt, method, params, parse):
                    pass
                if not attempt.outstanding:
                    if len([node for node in self.candidates() if node not in attempt.answers]) < attempt.missing():
                        wanted = "a usable Ethereum node" if needed == 1 else f"{needed} usable Ethereum nodes"
                        raise RpcUnavailable(f"not {wanted} for chain {self.chain_id}")
                    rounds += 1  # every usable node failed: back off, then go round again
                    attempt.asked_this_round.clear()
                    await asyncio.sleep(min(left, _BACKOFF_BASE * 2 ** (rounds - 1) * random.uniform(0.5, 1.5)))
                    continue
                done, _ = await asyncio.wait(
                    attempt.outstanding, timeout=min(left, self._hedge_delay(attempt)), return_when="FIRST_COMPLETED"
                )
                for task in done:
                    node = attempt.outstanding.pop(task)
                    failure = task.exception()
                    if isinstance(failure, ExecutionFailed):  # an answer too
                        attempt.answers[node] = failure
                    elif failure is None:
                        attempt.answers[node] = task.result()
                    elif not isinstance(failure, NodeFailure):
                        raise failure
                if attempt.missing() <= 0:
                    if answered is not None:
                        answered[:] = attempt.answers
                    return list(attempt.answers.values())
                if not done:  # no answer yet: ask another node as well
                    self._ask_next(attempt, method, params, parse)
        finally:
            for task in attempt.outstanding:
                task.cancel()
            await asyncio.gather(*attempt.outstanding, return_exceptions=True)

    def _ask_next(self, attempt: _Call, method: str, params: list[Any], parse: Callable[[Any], Result]) -> bool:
        busy = set(attempt.outstanding.values())
        node = next(
            (
                n
                for n in self.candidates(attempt.prefer)
                if n not in attempt.asked_this_round and n not in busy and n not in attempt.answers
            ),
            None,
        )
        if node is None:
            return False
        attempt.asked_this_round.add(node)
        task = asyncio.create_task(self._ask(node, method, params, parse, attempt))
        attempt.outstanding[task] = node
        return True

    @staticmethod
    def _hedge_delay(attempt: _Call) -> float:
        latest = list(attempt.outstanding.values())[-1]
        return max(HEDGE_AFTER, HEDGE_LATENCIES * (latest.latency or 0.0))

    def _time_out(self, attempt: _Call) -> None:
        for node in attempt.outstanding.values():
            self._failed(node, FAILURE_LATENCY, "timeout", attempt.first_failure_of(node))

    async def _ask(
        self, node: Node, method: str, params: list[Any], parse: Callable[[Any], Result], attempt: _Call
    ) -> Result:
        node.breaker.attempt()
        started = time.monotonic()
        try:
            if node.check is not ChainCheck.VERIFIED:
                await self._check_chain(node)
            result = parse(await jsonrpc.request(self._client, node.url, method, params))
        except ExecutionFailed:
            self._answered(node, time.monotonic() - started, "execution_failed")
            raise
        except NodeFailure as failure:
            self._failed(node, time.monotonic() - started, failure.kind, attempt.first_failure_of(node))
            raise
        except asyncio.CancelledError:
            node.breaker.release()
            raise
        self._answered(node, time.monotonic() - started, "ok")
        return result

    async def _check_chain(self, node: Node) -> None:
        try:
            answered = hex_quantity(await jsonrpc.request(self._client, node.url, "eth_chainId", []))
        except ExecutionFailed as exc:  # nothing executes in eth_chainId: the node is confused
            raise NodeFailure("malformed_reply") from exc
        node.answered_chain_id = answered
        if answered != self.chain_id:
            if node.check is not ChainCheck.WRONG_CHAIN:
                logger.error(
                    "RPC node %s answers chain id %d, configured for %d: it will not be used",
                    node.label,
                    answered,
                    self.chain_id,
                    extra={"fields": {"node": node.label, "chain": self.chain_id, "answered": answered}},
                )
            node.check = ChainCheck.WRONG_CHAIN
            raise NodeFailure("wrong_chain")
        node.check = ChainCheck.VERIFIED

    async def check_health(self, timeout: float) -> None:
        """Ask every node its chain id (verifying it) and measure its latency, concurrently."""

        async def check(node: Node) -> None:
            started = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    await self._check_chain(node)
            except (NodeFailure, TimeoutError) as exc:
                node.observe(FAILURE_LATENCY)
                node.last_error = exc.kind if isinstance(exc, NodeFailure) else "timeout"
            else:
                node.observe(time.monotonic() - started)
            self._report(node)

        await asyncio.gather(*(check(node) for node in self.nodes))

    def _answered(self, node: Node, seconds: float, outcome: str) -> None:
        node.observe(seconds)
        node.breaker.succeeded()
        node.last_error = None
        metrics.RPC_CALLS.labels(str(self.chain_id), node.label, outcome).inc()
        self._report(node)

    def _failed(self, node: Node, seconds: float, kind: str, charge: bool) -> None:
        node.observe(max(seconds, FAILURE_LATENCY))
        if charge:
            node.breaker.failed()
        else:
            node.breaker.release()
        node.last_error = kind
        metrics.RPC_CALLS.labels(str(self.chain_id), node.label, "node_failure").inc()
        self._report(node)

    def _report(self, node: Node) -> None:
        chain, label = str(self.chain_id), node.label
        metrics.RPC_NODE_HEALTHY.labels(chain, label).set(1 if node.status()["healthy"] else 0)
        metrics.RPC_BREAKER_STATE.labels(chain, label).set(BREAKER_LEVELS[node.breaker.state])


class NodePools:
    """Every configured chain's pool, on one HTTP client (connections are reused)."""

    def __init__(self, policy: NodePolicy) -> None:
        self._policy = policy
        self.quorum = policy.quorum
        self._client = httpx.AsyncClient(
            timeout=policy.timeout,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            headers={"Content-Type": "application/json"},
            verify=True,  # https node URLs: the certificate and host name are checked (httpx's default, said)
        )
        # httpx logs every request's full URL at INFO, and node URLs hold API keys.
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self.chains = {
            chain_id: ChainPool(chain_id, urls, self._client, policy) for chain_id, urls in policy.urls.items()
        }
        self.code = CodeCache()

    def serves(self, chain_id: int) -> bool:
        return chain_id in self.chains

    def session(self, deadline: float) -> "ReadSession":
        """The reads of one verification, all before `deadline` (time.monotonic())."""
        return ReadSession(self, deadline)

    async def check_health(self) -> None:
        await asyncio.gather(*(pool.check_health(self._policy.timeout) for pool in self.chains.values()))

    async def keep_checking_health(self) -> None:
        while True:
            try:
                await self.check_health()
            except Exception:  # the loop must outlive anything one round meets
                logger.exception("RPC health check failed")
            await asyncio.sleep(self._policy.health_interval)

    def status(self) -> dict[str, list[dict[str, Any]]]:
        return {str(chain_id): [node.status() for node in pool.nodes] for chain_id, pool in self.chains.items()}

    async def close(self) -> None:
        await self._client.aclose()


class ReadSession:
    """The read-only calls of one verification: one deadline for all of them, AUTH_RPC_QUORUM distinct nodes
    answering each, and the nodes that answered one call asked first for the next (so a second call does
    not wait again behind the node that hung on the first)."""

    def __init__(self, pools: NodePools, deadline: float) -> None:
        self._pools = pools
        self.deadline = deadline
        self._answered: dict[int, list[Node]] = {}

    async def _read(self, chain_id: int, method: str, params: list[Any], *, at_once: int = 1) -> list[bytes | None]:
        pool = self._pools.chains[chain_id]
        prefer = self._answered.get(chain_id, [])
        attempt_nodes: list[Node] = []
        answers = await pool.call_many(
            method,
            params,
            hex_data,
            self.deadline,
            needed=self._pools.quorum,
            prefer=prefer,
            at_once=at_once,
            answered=attempt_nodes,
        )
        self._answered[chain_id] = attempt_nodes
        results = [None if isinstance(answer, ExecutionFailed) else answer for answer in answers]
        if len(set(results)) > 1:
            logger.warning(
                "RPC nodes of chain %d disagree on %s",
                chain_id,
                method,
                extra={"fields": {"chain": chain_id, "method": method, "nodes": [n.label for n in attempt_nodes]}},
            )
        return results

    async def has_code(self, chain_id: int, address: str) -> bool:
        """Whether `address` has code at the latest block: with a quorum, only when every node says so.
        Cached (app.rpc.code_cache)."""
        cache = self._pools.code
        known = cache.get(chain_id, address)
        if known is not None:
            return known
        # A cheap state read, asked of every usable node at once: the first to answer (the quorum's first)
        # are then asked the validator call, so the two reads cost about one node's round trip each.
        nodes = len(self._pools.chains[chain_id].nodes)
        answers = await self._read(chain_id, "eth_getCode", [address, "latest"], at_once=nodes)
        has_code = all(answers)  # empty code, or (never seen) a failed execution: no code
        cache.put(chain_id, address, has_code)
        return has_code

    async def eth_call(self, chain_id: int, *, data: bytes, gas: int) -> list[bytes | None]:
        """The return data of a read-only deploy-less call at the latest block from each of AUTH_RPC_QUORUM
        nodes, None for a failed execution (the chain's answer). Raises RpcUnavailable when not enough
        nodes answer in time."""
        return await self._read(chain_id, "eth_call", [{"data": "0x" + data.hex(), "gas": hex(gas)}, "latest"])

"""The nodes of each configured chain, and how a call finds one that answers.

Selection is least-latency: among the nodes whose breaker lets a request through and that are not on
another chain, the one with the lowest moving-average latency is asked first (a node whose chain id is
not verified yet comes after the verified ones, and is asked eth_chainId before anything else). A node
failure moves on to the next node at once; when every node failed once, the pool waits an exponential
backoff with jitter and goes round again. All of it within one deadline for the whole call: each attempt
gets an equal share of what is left among the nodes still to try, so one hanging node cannot use it all.
When the deadline passes, or no node is usable, the call raises RpcUnavailable.

A background task asks every node eth_chainId every AUTH_RPC_HEALTH_INTERVAL seconds: it verifies the
chain, measures latency, and probes nodes whose breaker is open. Nothing else is ever sent on its own:
a sign-in by a wallet with a key makes no RPC call at all.
"""

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from app.config import Settings
from app.errors import RpcUnavailable
from app.rpc import jsonrpc
from app.rpc.breaker import CircuitBreaker
from app.rpc.jsonrpc import ExecutionFailed, NodeFailure
from app.rpc.node import ChainCheck, Node

logger = logging.getLogger("web3_auth.rpc")
Result = TypeVar("Result")
_BACKOFF_BASE = 0.05  # seconds before the second round; doubled each round, with jitter


def hex_quantity(value: Any) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise NodeFailure(f"not a hex quantity: {str(value)[:40]!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise NodeFailure(f"not a hex quantity: {value[:40]!r}") from None


def hex_data(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise NodeFailure(f"not hex data: {str(value)[:40]!r}")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise NodeFailure(f"not hex data: {value[:40]!r}") from None


class ChainPool:
    """The nodes of one chain."""

    def __init__(self, chain_id: int, urls: list[str], client: httpx.AsyncClient, settings: Settings) -> None:
        self.chain_id = chain_id
        self._client = client
        self.nodes = [
            Node(url, chain_id, CircuitBreaker(settings.rpc_breaker_failures, settings.rpc_breaker_cooldown))
            for url in urls
        ]

    def candidates(self) -> list[Node]:
        usable = [node for node in self.nodes if node.usable()]
        return sorted(usable, key=lambda node: (node.check is not ChainCheck.VERIFIED, node.latency or 0.0))

    async def call(self, method: str, params: list[Any], parse: Callable[[Any], Result], deadline: float) -> Result:
        """`method`'s parsed result from the first node that answers before `deadline` (time.monotonic()).
        Raises ExecutionFailed when the chain's answer is a failed execution, RpcUnavailable otherwise."""
        rounds = 0
        while True:
            candidates = self.candidates()
            if not candidates:
                raise RpcUnavailable(f"no usable Ethereum node for chain {self.chain_id}")
            for position, node in enumerate(candidates):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if not node.usable():  # its breaker opened while this round went on
                    continue
                try:
                    return await self._ask(node, method, params, parse, left / (len(candidates) - position))
                except NodeFailure:
                    continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise RpcUnavailable(f"no Ethereum node for chain {self.chain_id} answered in time")
            rounds += 1
            await asyncio.sleep(min(left, _BACKOFF_BASE * 2 ** (rounds - 1) * random.uniform(0.5, 1.5)))

    async def _ask(
        self, node: Node, method: str, params: list[Any], parse: Callable[[Any], Result], timeout: float
    ) -> Result:
        node.breaker.attempt()
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                if node.check is not ChainCheck.VERIFIED:
                    await self._check_chain(node)
                result = parse(await jsonrpc.request(self._client, node.url, method, params))
        except ExecutionFailed:
            self._answered(node, started)
            raise
        except (NodeFailure, TimeoutError) as exc:
            self._failed(node, started, exc)
            raise NodeFailure(str(exc)) from exc
        self._answered(node, started)
        return result

    async def _check_chain(self, node: Node) -> None:
        answered = hex_quantity(await jsonrpc.request(self._client, node.url, "eth_chainId", []))
        node.answered_chain_id = answered
        if answered != self.chain_id:
            if node.check is not ChainCheck.WRONG_CHAIN:
                logger.error(
                    "RPC node %s answers chain id %d, configured for %d: it will not be used",
                    node.label,
                    answered,
                    self.chain_id,
                )
            node.check = ChainCheck.WRONG_CHAIN
            raise NodeFailure(f"the node is on chain {answered}, not {self.chain_id}")
        node.check = ChainCheck.VERIFIED

    async def check_health(self, timeout: float) -> None:
        """Ask every node its chain id (also verifying it), concurrently."""

        async def check(node: Node) -> None:
            started = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    await self._check_chain(node)
            except (NodeFailure, ExecutionFailed, TimeoutError) as exc:
                if node.check is not ChainCheck.WRONG_CHAIN:
                    self._failed(node, started, exc)
                return
            self._answered(node, started)

        await asyncio.gather(*(check(node) for node in self.nodes))

    @staticmethod
    def _answered(node: Node, started: float) -> None:
        node.observe(time.monotonic() - started)
        node.breaker.succeeded()
        node.last_error = None

    @staticmethod
    def _failed(node: Node, started: float, error: BaseException) -> None:
        node.observe(time.monotonic() - started)
        node.breaker.failed()
        node.last_error = str(error) or type(error).__name__


class NodePools:
    """Every configured chain's pool, on one HTTP client (connections are reused)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client = httpx.AsyncClient(
            timeout=settings.rpc_timeout,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            headers={"Content-Type": "application/json"},
        )
        self.chains = {
            chain_id: ChainPool(chain_id, urls, self._client, settings) for chain_id, urls in settings.rpc_urls.items()
        }

    def serves(self, chain_id: int) -> bool:
        return chain_id in self.chains

    async def eth_call(self, chain_id: int, *, to: str | None, data: bytes, gas: int, deadline: float) -> bytes | None:
        """The return data of a read-only call at the latest block, or None when its execution failed (the
        chain's answer). Raises RpcUnavailable when no node answers in time."""
        call: dict[str, str] = {"data": "0x" + data.hex(), "gas": hex(gas)}
        if to is not None:
            call["to"] = to
        try:
            return await self.chains[chain_id].call("eth_call", [call, "latest"], hex_data, deadline)
        except ExecutionFailed:
            return None

    async def check_health(self) -> None:
        await asyncio.gather(*(pool.check_health(self._settings.rpc_timeout) for pool in self.chains.values()))

    async def keep_checking_health(self) -> None:
        while True:
            await self.check_health()
            await asyncio.sleep(self._settings.rpc_health_interval)

    def status(self) -> dict[str, list[dict[str, Any]]]:
        return {str(chain_id): [node.status() for node in pool.nodes] for chain_id, pool in self.chains.items()}

    async def close(self) -> None:
        await self._client.aclose()

"""One JSON-RPC request to one node, and what its outcome means.

Three outcomes: a result; an execution failure, which is the chain's answer (a revert, out of gas: asking
another node would give the same answer); or a node failure (transport error, timeout, HTTP error, a
malformed or oversized reply, any other JSON-RPC error), worth asking another node.

The verification call (app.domain.signatures.contract_wallets) is built so that the chain never fails it,
so an execution failure should never come back; it is recognised anyway, narrowly: JSON-RPC code 3 (geth's
revert), or -32000 whose message names an execution failure (ganache uses -32000 for every execution
failure). -32000 is also geth's code for the node's own states ("header not found", "missing trie node",
"context deadline exceeded"...), which are node failures, as is every message not recognised.
"""

import itertools
import re
from typing import Any

import httpx
import orjson

EXECUTION_REVERTED = 3
SERVER_ERROR = -32000
MAX_REPLY_BYTES = 64 * 1024  # the replies we ask for are a few bytes; anything bigger is not an answer
_EXECUTION_FAILURE = re.compile(
    r"execution reverted|^revert|VM Exception|out of gas|invalid opcode|stack (?:under|over)flow|invalid jump",
    re.IGNORECASE,
)
_ids = itertools.count(1)


class NodeFailure(Exception):
    """The node did not answer usefully: ask another one. `kind` is a short fixed label, safe to show."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class ExecutionFailed(Exception):
    """The call ran and failed on chain: an answer, not a fault."""


def is_execution_failure(error: dict[str, Any]) -> bool:
    code, message = error.get("code"), str(error.get("message", ""))
    if code == EXECUTION_REVERTED:
        return True
    return code == SERVER_ERROR and _EXECUTION_FAILURE.search(message) is not None


async def request(client: httpx.AsyncClient, url: str, method: str, params: list[Any]) -> Any:
    """The `result` of `method` on the node at `url`; raises NodeFailure or ExecutionFailed. The caller
    bounds the time (asyncio.timeout or cancellation)."""
    request_id = next(_ids)
    body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    try:
        reply = await _post(client, url, body)
    except (NodeFailure, ExecutionFailed):
        raise
    except Exception as exc:  # httpx.InvalidURL, a RecursionError from hostile JSON...: never a 500
        raise NodeFailure(type(exc).__name__) from exc
    if not isinstance(reply, dict) or reply.get("id") != request_id:
        raise NodeFailure("malformed_reply")
    error = reply.get("error")
    if isinstance(error, dict):
        if is_execution_failure(error):
            raise ExecutionFailed(str(error.get("message", ""))[:200])
        code = error.get("code")
        raise NodeFailure(f"jsonrpc_{code}" if isinstance(code, int) else "jsonrpc_error")
    if "result" not in reply:
        raise NodeFailure("malformed_reply")
    return reply["result"]


async def _post(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> Any:
    try:
        async with client.stream("POST", url, json=body) as response:
            if response.status_code != 200:
                raise NodeFailure(f"http_{response.status_code}")
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > MAX_REPLY_BYTES:
                    raise NodeFailure("reply_too_large")
    except httpx.TimeoutException as exc:
        raise NodeFailure("timeout") from exc
    except httpx.HTTPError as exc:
        raise NodeFailure("transport") from exc
    try:
        return orjson.loads(content)
    except ValueError as exc:
        raise NodeFailure("malformed_reply") from exc

"""One JSON-RPC request to one node, and what its outcome means.

Three outcomes: a result; an execution failure, which is the chain's answer (a revert, out of gas, an
invalid opcode: the node did its job, and asking another node would give the same answer); or a node
failure (transport error, timeout, HTTP error, malformed reply, a JSON-RPC error about the node itself),
which is worth asking another node.

Nodes report execution failures as JSON-RPC errors: geth answers a revert with code 3 and other execution
errors with -32000; ganache uses -32000 for both. But -32000 is also geth's code for "header not found",
"missing trie node" and other states of the node, so a -32000 whose message names one of those is a node
failure, and any other -32000 an execution failure.
"""

import itertools
import re
from typing import Any

import httpx

EXECUTION_REVERTED = 3
SERVER_ERROR = -32000
_NODE_STATE = re.compile(
    r"header not found|block not found|missing trie node|timeout|timed out|rate limit|too many requests|"
    r"capacity|busy|unavailable|syncing|limit exceeded|upstream|backend",
    re.IGNORECASE,
)
_ids = itertools.count(1)


class NodeFailure(Exception):
    """The node did not answer usefully: ask another one."""


class ExecutionFailed(Exception):
    """The call ran and failed on chain (revert, out of gas, invalid opcode): an answer, not a fault."""


def _is_execution_failure(error: dict[str, Any]) -> bool:
    code, message = error.get("code"), str(error.get("message", ""))
    if code == EXECUTION_REVERTED:
        return True
    if code == SERVER_ERROR:
        return "revert" in message.lower() or _NODE_STATE.search(message) is None
    return False


async def request(client: httpx.AsyncClient, url: str, method: str, params: list[Any]) -> Any:
    """The `result` of `method` on the node at `url`; raises NodeFailure or ExecutionFailed. The caller
    bounds the time (asyncio.timeout)."""
    request_id = next(_ids)
    try:
        response = await client.post(url, json={"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    except httpx.HTTPError as exc:
        raise NodeFailure(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise NodeFailure(f"HTTP {response.status_code}")
    try:
        reply = response.json()
    except ValueError as exc:
        raise NodeFailure("the reply is not JSON") from exc
    if not isinstance(reply, dict) or reply.get("id") != request_id:
        raise NodeFailure("the reply is not a JSON-RPC response to this request")
    error = reply.get("error")
    if isinstance(error, dict):
        if _is_execution_failure(error):
            raise ExecutionFailed(str(error.get("message", "")))
        raise NodeFailure(f"JSON-RPC error {error.get('code')}: {str(error.get('message', ''))[:200]}")
    if "result" not in reply:
        raise NodeFailure("the reply has neither result nor error")
    return reply["result"]

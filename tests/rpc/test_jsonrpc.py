"""Which JSON-RPC errors are the chain's answer, and which the node's own trouble, as real nodes word them."""

import pytest

from app.rpc.jsonrpc import is_execution_failure

CHAINS_ANSWER = [
    {"code": 3, "message": "execution reverted", "data": "0x08c379a0"},  # geth, erigon, reth: a revert
    {"code": -32000, "message": "execution reverted"},  # older geth
    {"code": -32000, "message": "VM Exception while processing transaction: revert"},  # ganache
    {"code": -32000, "message": "VM Exception while processing transaction: out of gas"},  # ganache
    {"code": -32000, "message": "VM Exception while processing transaction: invalid opcode"},  # ganache
    {"code": -32000, "message": "out of gas"},  # geth
    {"code": -32000, "message": "invalid opcode: INVALID"},  # geth
]
NODES_TROUBLE = [
    {"code": -32000, "message": "header not found"},  # geth, behind on blocks
    {"code": -32000, "message": "missing trie node 1f2e... (path )"},  # geth, pruned state
    {"code": -32000, "message": "context deadline exceeded"},  # geth, RPC timeout
    {"code": -32000, "message": "leveldb: closed"},
    {"code": -32000, "message": "exceeds block gas limit"},
    {"code": -32000, "message": "request limit reached"},
    {"code": -32003, "message": "EVM error OutOfGas"},  # reth: never met by our validator; retried elsewhere
    {"code": -32015, "message": "VM execution error."},  # nethermind: likewise
    {"code": -32005, "message": "project ID request rate exceeded"},  # infura
    {"code": -32603, "message": "Internal error"},
    {"code": -32602, "message": "invalid argument 0: json: cannot unmarshal"},
    {"code": -32601, "message": "the method eth_call does not exist/is not available"},
    {"code": 429, "message": "Too Many Requests"},
    {"code": -32000, "message": "Must be authenticated!"},  # alchemy without a key
    {"message": "no code at all"},
]


@pytest.mark.parametrize("error", CHAINS_ANSWER, ids=lambda error: f"{error.get('code')} {error['message']}")
def test_execution_failures_are_answers(error: dict[str, object]) -> None:
    assert is_execution_failure(error)


@pytest.mark.parametrize("error", NODES_TROUBLE, ids=lambda error: f"{error.get('code')} {error['message']}")
def test_everything_else_is_the_nodes_trouble(error: dict[str, object]) -> None:
    assert not is_execution_failure(error)

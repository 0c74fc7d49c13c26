"""A real local EVM for the smart-contract-wallet tests: ganache and solc-js, both pinned in tests/chain.

Install them once with `npm ci --prefix tests/chain --no-audit --no-fund`. The contracts are compiled for the
paris EVM: ganache 7.9.2 knows hardforks up to shanghai, so cancun code (solc's default) would not run.
"""

import functools
import json
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from tests.support.node import node_binary
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
CHAIN_DIR = ROOT / "tests" / "chain"
CONTRACTS_DIR = CHAIN_DIR / "contracts"
NODE_MODULES = CHAIN_DIR / "node_modules"
COMPILE_SCRIPT = CHAIN_DIR / "compile.js"
SIGNATURE_VALIDATOR_SOL = ROOT / "app" / "domain" / "signatures" / "SignatureValidator.sol"
INSTALL_COMMAND = "npm ci --prefix tests/chain --no-audit --no-fund"

ERC1271_MAGIC_VALUE = bytes.fromhex("1626ba7e")
DEPLOY_GAS = 6_000_000
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def node_modules_ready() -> Path:
    """tests/chain/node_modules, once ganache and solc are installed in it."""
    missing = [package for package in ("ganache", "solc") if not (NODE_MODULES / package / "package.json").is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing from {NODE_MODULES}: run `{INSTALL_COMMAND}` first")
    return NODE_MODULES


@dataclass(frozen=True)
class CompiledContract:
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes


def compile_contracts(*sol_files: Path) -> dict[str, CompiledContract]:
    """Every contract of the given files (by default tests/chain/contracts/*.sol), by name. Compiled once per
    set of files in a pytest session."""
    files = sol_files or tuple(CONTRACTS_DIR.glob("*.sol"))
    return dict(_compile(tuple(sorted(path.resolve() for path in files))))


@functools.cache
def _compile(sol_files: tuple[Path, ...]) -> dict[str, CompiledContract]:
    node_modules_ready()
    with tempfile.TemporaryDirectory(prefix="web3auth-solc-") as directory:
        out = Path(directory) / "contracts.json"
        command = [node_binary(), str(COMPILE_SCRIPT), str(out), *map(str, sol_files)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            pytest.fail(f"solc failed on {[path.name for path in sol_files]}:\n{result.stderr}{result.stdout}")
        artifacts: dict[str, dict[str, Any]] = json.loads(out.read_text())
    return {
        name: CompiledContract(
            abi=artifact["abi"],
            bytecode=bytes.fromhex(artifact["bytecode"].removeprefix("0x")),
            deployed_bytecode=bytes.fromhex(artifact["deployedBytecode"].removeprefix("0x")),
        )
        for name, artifact in artifacts.items()
    }


def encode_call(abi_signature: str, types: Sequence[str], values: Sequence[Any]) -> bytes:
    """Calldata: the 4-byte selector of e.g. "isValidSignature(bytes32,bytes)", then the ABI-encoded values."""
    return keccak(abi_signature.encode())[:4] + encode(list(types), list(values))


class JsonRpcError(RuntimeError):
    """A JSON-RPC error answer; `error` is the error object exactly as the node sent it."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error

    @property
    def code(self) -> int | None:
        code = self.error.get("code")
        return code if isinstance(code, int) else None

    @property
    def message(self) -> str:
        return str(self.error.get("message", ""))

    @property
    def data(self) -> Any:
        return self.error.get("data")


class Ganache:
    """A ganache process on a loopback port of its own: deterministic accounts, one transaction per block.

    Transactions are sent from `accounts[0]` (unlocked in ganache) unless a LocalAccount signs them.
    """

    def __init__(self, chain_id: int, port: int | None = None) -> None:
        self.chain_id = chain_id
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.accounts: list[str] = []
        self.startup_seconds = 0.0
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None
        self._client = httpx.Client(timeout=60)
        self._next_id = 0

    def command(self) -> list[str]:
        cli = node_modules_ready() / "ganache" / "dist" / "node" / "cli.js"
        return [
            node_binary(),
            str(cli),
            *("--chain.chainId", str(self.chain_id)),
            "--wallet.deterministic",
            "--logging.quiet",  # no per-request logs (the start-up banner is still printed)
            *("--server.host", "127.0.0.1"),
            *("--server.port", str(self.port)),
            *("--miner.instamine", "eager"),  # a transaction is mined before eth_sendTransaction answers
        ]

    def start(self) -> None:
        started = time.monotonic()
        # Output goes to a file: a pipe nobody reads could fill up and stall the node.
        self._output = tempfile.TemporaryFile()
        self._process = subprocess.Popen(self.command(), stdout=self._output, stderr=subprocess.STDOUT)
        deadline = started + START_TIMEOUT
        while True:
            try:
                answer = int(self.rpc("eth_chainId"), 16)
            except httpx.TransportError:
                answer = None
            if answer is not None:
                if answer != self.chain_id:
                    self._fail(f"ganache answers chain id {answer}, not {self.chain_id}")
                break
            if self._process.poll() is not None or time.monotonic() > deadline:
                self._fail(f"ganache did not answer on {self.url} within {START_TIMEOUT:.0f} s")
            time.sleep(0.05)
        self.startup_seconds = time.monotonic() - started
        self.accounts = [to_checksum_address(account) for account in self.rpc("eth_accounts")]

    def _fail(self, reason: str) -> None:
        self.stop()
        output = b""
        if self._output is not None:
            self._output.seek(0)
            output = self._output.read()
        pytest.fail(f"{reason}:\n{output.decode(errors='replace')}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._client.close()

    def close(self) -> None:
        self.stop()
        if self._output is not None:
            self._output.close()
            self._output = None

    def rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        """The result of a JSON-RPC call; a JSON-RPC error raises JsonRpcError (a RuntimeError)."""
        self._next_id += 1
        request = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)}
        response = self._client.post(self.url, json=request)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        if "error" in answer:
            raise JsonRpcError(method, answer["error"])
        return answer["result"]

    encode_call = staticmethod(encode_call)

    def deploy(self, contract: CompiledContract, *constructor_args: tuple[str, Any]) -> str:
        """Deploys the contract from accounts[0]; the constructor arguments are (ABI type, value) pairs, e.g.
        `deploy(compiled["OwnedWallet"], ("address", owner.address))`. Returns the checksummed address."""
        types = [abi_type for abi_type, _ in constructor_args]
        values = [value for _, value in constructor_args]
        receipt = self.transact(None, contract.bytecode + encode(types, values))
        return to_checksum_address(receipt["contractAddress"])

    def transact(
        self, to: str | None, data: bytes, *, sender: str | LocalAccount | None = None, value: int = 0
    ) -> dict[str, Any]:
        """Sends a transaction (a contract creation when `to` is None) with 6,000,000 gas and returns its
        receipt, failing unless it succeeded (status 0x1).

        The sender is accounts[0] by default, or any ganache account; a LocalAccount signs the transaction
        itself (and is first given 1 ether from accounts[0] when it has too little to pay for the gas)."""
        transaction: dict[str, Any] = {"data": "0x" + data.hex(), "gas": hex(DEPLOY_GAS), "value": hex(value)}
        if to is not None:
            transaction["to"] = to
        if isinstance(sender, LocalAccount):
            transaction_hash = self._send_signed(sender, transaction)
        else:
            transaction["from"] = sender or self.accounts[0]
            transaction_hash = self.rpc("eth_sendTransaction", [transaction])
        receipt = self._receipt(transaction_hash)
        if receipt["status"] != "0x1":
            raise AssertionError(f"transaction {transaction_hash} failed: {receipt}")
        return receipt

    def _send_signed(self, account: LocalAccount, transaction: dict[str, Any]) -> str:
        gas_price = int(self.rpc("eth_gasPrice"), 16)
        if self.balance(account.address) < DEPLOY_GAS * gas_price + int(transaction["value"], 16):
            self.transact(account.address, b"", value=10**18)
        nonce = int(self.rpc("eth_getTransactionCount", [account.address, "latest"]), 16)
        fields = {key: int(value, 16) if key in ("gas", "value") else value for key, value in transaction.items()}
        signed = account.sign_transaction({**fields, "nonce": nonce, "gasPrice": gas_price, "chainId": self.chain_id})
        transaction_hash: str = self.rpc("eth_sendRawTransaction", [signed.raw_transaction.to_0x_hex()])
        return transaction_hash

    def _receipt(self, transaction_hash: str) -> dict[str, Any]:
        # Eager instamine mines the transaction before its hash is returned: the receipt is there at once.
        deadline = time.monotonic() + 10
        while (receipt := self.rpc("eth_getTransactionReceipt", [transaction_hash])) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"transaction {transaction_hash} was not mined")
            time.sleep(0.02)
        result: dict[str, Any] = receipt
        return result

    def call(self, to: str | None, data: bytes, *, gas: int | None = None) -> bytes:
        """eth_call on the latest block; without `to`, `data` is creation code run in a deploy-less call. The
        node's default call gas limit is 50,000,000 unless `gas` is given."""
        call: dict[str, Any] = {"data": "0x" + data.hex()}
        if to is not None:
            call["to"] = to
        if gas is not None:
            call["gas"] = hex(gas)
        result: str = self.rpc("eth_call", [call, "latest"])
        return bytes.fromhex(result.removeprefix("0x"))

    def code_at(self, address: str) -> bytes:
        code: str = self.rpc("eth_getCode", [address, "latest"])
        return bytes.fromhex(code.removeprefix("0x"))

    def balance(self, address: str) -> int:
        return int(self.rpc("eth_getBalance", [address, "latest"]), 16)

    def transaction_count(self) -> int:
        """How many transactions have been mined on this chain, of any sender: the latest block number, as
        eager instamine mines each transaction in a block of its own (and nothing else mines blocks)."""
        return int(self.rpc("eth_blockNumber"), 16)


@contextmanager
def running_ganache(chain_id: int) -> Iterator[Ganache]:
    """A fresh ganache for the block: started (≤ 30 s) before it, terminated after (killed if it lingers)."""
    ganache = Ganache(chain_id)
    try:
        ganache.start()
        yield ganache
    finally:
        ganache.close()

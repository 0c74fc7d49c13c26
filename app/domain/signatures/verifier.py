"""Whose signature is this? The order of ERC-6492's verifier side:

1. ends with the ERC-6492 magic suffix: unwrap it and ask the wallet, deploying it through the envelope's
   factory inside the call if it has no code yet (a wallet that is already deployed answers for itself);
2. 65 bytes that recover exactly the message's address: the key's own signature (an EOA, or an EIP-7702
   account, which keeps its key). No RPC call at all;
3. otherwise ask the address isValidSignature (EIP-1271); an address without code is simply not valid;
4. otherwise not valid.

Steps 1 and 3 are one deploy-less eth_call each (app.domain.signatures.contract_wallets).

Every call goes to the nodes of the chain named in the message. All the calls of one verification share one
deadline (AUTH_RPC_TIMEOUT); a node failure past it is RpcUnavailable (503), never an answer.
"""

import time
from typing import Protocol

from app.domain.signatures import contract_wallets, eip6492
from app.domain.signatures.eip191 import is_signed_by, message_hash
from app.errors import InvalidSignature


class ChainReader(Protocol):
    """Read-only calls on the chains that have nodes configured (app.rpc.pool.NodePools)."""

    def serves(self, chain_id: int) -> bool: ...

    async def eth_call(self, chain_id: int, *, to: str | None, data: bytes, gas: int, deadline: float) -> bytes | None:
        """The call's return data at the latest block, or None when its execution failed (a revert, out of
        gas: the chain's answer). Raises RpcUnavailable when no node answers before `deadline`."""
        ...


class SignatureVerifier:
    def __init__(self, reader: ChainReader, *, rpc_timeout: float, call_gas: int) -> None:
        self._reader = reader
        self._rpc_timeout = rpc_timeout
        self._call_gas = call_gas

    def deadline(self) -> float:
        """The deadline (time.monotonic()) for the RPC calls of one verification starting now."""
        return time.monotonic() + self._rpc_timeout

    @staticmethod
    def signed_by_key(message_text: str, address: str, signature: bytes) -> bool:
        """Step 2 alone: the address's key signed it. Never true for an ERC-6492 envelope (step 1 owns it)."""
        return not eip6492.has_magic_suffix(signature) and is_signed_by(message_text, signature, address)

    async def is_valid(self, message_text: str, address: str, chain_id: int, signature: bytes, deadline: float) -> bool:
        """Steps 1 to 4. Raises InvalidSignature when the answer needs a chain that has no node configured."""
        if self.signed_by_key(message_text, address, signature):  # step 2; never true where step 1 applies
            return True
        return await self.contract_says_valid(message_text, address, chain_id, signature, deadline)

    async def contract_says_valid(
        self, message_text: str, address: str, chain_id: int, signature: bytes, deadline: float
    ) -> bool:
        """Steps 1 and 3, for a signature its address's key did not make: the wallet contract's answer,
        deployed or (ERC-6492) not yet."""
        digest = message_hash(message_text)
        if eip6492.has_magic_suffix(signature):
            wrapped = eip6492.unwrap(signature)
            query = contract_wallets.validation_call(
                address, digest, wrapped.signature, factory=wrapped.factory, factory_calldata=wrapped.factory_calldata
            )
        else:
            query = contract_wallets.validation_call(address, digest, signature)
        return await self._call(chain_id, query, deadline) == contract_wallets.VALID

    async def _call(self, chain_id: int, data: bytes, deadline: float) -> bytes | None:
        if not self._reader.serves(chain_id):
            raise InvalidSignature(
                f"not signed by the address's key, and no Ethereum node is configured for chain {chain_id} "
                "(AUTH_RPC_URLS) to ask a smart-contract wallet"
            )
        return await self._reader.eth_call(chain_id, to=None, data=data, gas=self._call_gas, deadline=deadline)

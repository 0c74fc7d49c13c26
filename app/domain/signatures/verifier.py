"""Whose signature is this? The order of ERC-6492's verifier side:

1. ends with the ERC-6492 magic suffix: unwrap it and ask the wallet, deploying it through the envelope's
   factory inside the call if it has no code yet (a wallet that is already deployed answers for itself);
2. 65 bytes that recover exactly the message's address: the key's own signature (an EOA, or an EIP-7702
   account, which keeps its key). No RPC call at all;
3. otherwise, if the address has code (eth_getCode, cached), ask it isValidSignature (EIP-1271); an address
   without code is not valid, and is not sent the validator call;
4. otherwise not valid.

Steps 1 and 3 are one deploy-less eth_call (app.domain.signatures.contract_wallets), which asks about every
candidate message of a request at once: however many messages are outstanding, one call per chain. A
signature longer than AUTH_RPC_MAX_SIGNATURE_BYTES is refused before any of it.

Every call goes to the nodes of the chain named in the message, AUTH_RPC_QUORUM of them, and a wallet is
valid only when they all name the same message. All the calls of one verification share one deadline
(AUTH_RPC_TIMEOUT); a node failure past it is RpcUnavailable (503), never an answer.
"""

import time
from collections.abc import Sequence
from typing import Protocol

from app.domain.signatures import contract_wallets, eip6492
from app.domain.signatures.eip191 import is_signed_by, message_hash
from app.errors import InvalidSignature


class ChainSession(Protocol):
    """The read-only calls of one verification, within one deadline (app.rpc.pool.ReadSession)."""

    async def has_code(self, chain_id: int, address: str) -> bool:
        """Whether the nodes say `address` has code (all of them, with a quorum)."""
        ...

    async def eth_call(self, chain_id: int, *, data: bytes, gas: int) -> list[bytes | None]:
        """A deploy-less call's return data from each node of the quorum, None where its execution failed
        (a revert, out of gas: the chain's answer). Raises RpcUnavailable when the nodes do not answer."""
        ...


class ChainReader(Protocol):
    """The chains that have nodes configured (app.rpc.pool.NodePools)."""

    def serves(self, chain_id: int) -> bool: ...

    def session(self, deadline: float) -> ChainSession: ...


class SignatureVerifier:
    def __init__(self, reader: ChainReader, *, rpc_timeout: float, call_gas: int, max_signature_bytes: int) -> None:
        self._reader = reader
        self._rpc_timeout = rpc_timeout
        self._call_gas = call_gas
        self._max_signature_bytes = max_signature_bytes

    def session(self) -> ChainSession:
        """The RPC calls of one verification starting now, all within AUTH_RPC_TIMEOUT."""
        return self._reader.session(time.monotonic() + self._rpc_timeout)

    @staticmethod
    def signed_by_key(message_text: str, address: str, signature: bytes) -> bool:
        """Step 2 alone: the address's key signed it. Never true for an ERC-6492 envelope (step 1 owns it)."""
        return not eip6492.has_magic_suffix(signature) and is_signed_by(message_text, signature, address)

    def check_askable(self, chain_id: int, signature: bytes) -> None:
        """Raise InvalidSignature, before any call, when a node cannot be asked about `signature` on the chain:
        too long, or no node configured there."""
        if len(signature) > self._max_signature_bytes:
            raise InvalidSignature(
                f"the signature is {len(signature)} bytes, over the {self._max_signature_bytes} bytes "
                "(AUTH_RPC_MAX_SIGNATURE_BYTES) a smart-contract wallet's signature may have"
            )
        if not self._reader.serves(chain_id):
            raise InvalidSignature(
                f"not signed by the address's key, and no Ethereum node is configured for chain {chain_id} "
                "(AUTH_RPC_URLS) to ask a smart-contract wallet"
            )

    async def wallet_accepts(
        self, session: ChainSession, address: str, chain_id: int, message_texts: Sequence[str], signature: bytes
    ) -> int | None:
        """Steps 1 and 3, for a signature the address's key did not make (check_askable first): the index
        of the first of `message_texts` the wallet contract accepts it for, deployed or (ERC-6492) not yet,
        or None. One eth_call at most, and one eth_getCode unless cached or an ERC-6492 envelope."""
        digests = [message_hash(text) for text in message_texts]
        if eip6492.has_magic_suffix(signature):  # the factory may deploy it: no code yet says nothing
            wrapped = eip6492.unwrap(signature)
            query = contract_wallets.validation_call(
                address, digests, wrapped.signature, factory=wrapped.factory, factory_calldata=wrapped.factory_calldata
            )
        else:
            if not await session.has_code(chain_id, address):
                return None
            query = contract_wallets.validation_call(address, digests, signature)
        answers = await session.eth_call(chain_id, data=query, gas=self._call_gas)
        accepted = {contract_wallets.accepted_digest(answer, len(digests)) for answer in answers}
        return accepted.pop() if len(accepted) == 1 else None  # nodes that disagree: not valid

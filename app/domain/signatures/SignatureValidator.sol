// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// Asks a smart-contract wallet whether a signature is its own, in one deploy-less eth_call: never deployed,
/// its creation code followed by the ABI-encoded constructor arguments is the `data` of an eth_call without
/// `to`, and the constructor answers one byte: 0x01 valid, 0x00 not.
///
/// EIP-1271: the wallet's isValidSignature(hash, signature) must answer exactly the 32-byte word 0x1626ba7e
/// followed by zeros. A revert, running out of gas, an invalid opcode, a shorter or longer answer, any other
/// word: all 0x00. Whatever the wallet does happens inside a call given all but a reserve of the gas, so this
/// contract always gets to answer, and a node never reports an execution error for it.
///
/// ERC-6492: with a factory (the caller unwrapped the envelope), a wallet that has no code yet is deployed
/// through it first, inside this call only. A wallet that already has code answers for itself: the factory is
/// not called (so a key rotated since the signature was wrapped is honoured).
contract SignatureValidator {
    bytes4 private constant ERC1271_MAGIC_VALUE = 0x1626ba7e;
    uint256 private constant RESERVE = 20_000; // gas kept back to finish and answer

    constructor(address signer, bytes32 hash, address factory, bytes memory factoryCalldata, bytes memory signature) {
        if (signer.code.length == 0 && factory != address(0)) {
            uint256 budget = spendable();
            assembly {
                // The outcome is judged by the signer's code below; the factory's answer is never copied.
                pop(call(budget, factory, 0, add(factoryCalldata, 32), mload(factoryCalldata), 0, 0))
            }
        }
        bool valid = false;
        if (signer.code.length > 0) {
            bytes memory query = abi.encodeWithSelector(ERC1271_MAGIC_VALUE, hash, signature);
            bytes32 magicWord = bytes32(ERC1271_MAGIC_VALUE);
            uint256 budget = spendable();
            assembly {
                mstore(0, 0)
                // At most 32 bytes of the answer are copied: a wallet answering megabytes costs us nothing.
                let answered := staticcall(budget, signer, add(query, 32), mload(query), 0, 32)
                valid := and(answered, and(eq(returndatasize(), 32), eq(mload(0), magicWord)))
            }
        }
        assembly {
            mstore(0, valid)
            return(31, 1)
        }
    }

    function spendable() private view returns (uint256) {
        return gasleft() > RESERVE ? gasleft() - RESERVE : 0;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// Asks a smart-contract wallet whether a signature is its own, for one or several digests, in one deploy-less
/// eth_call: never deployed, its creation code followed by the ABI-encoded constructor arguments is the `data`
/// of an eth_call without `to`, and the constructor answers one byte: k (1-based) when the wallet accepts the
/// signature for hashes[k - 1], the first such; 0x00 when it accepts it for none. With one hash, 0x01 is valid.
///
/// EIP-1271: the wallet's isValidSignature(hash, signature) must answer exactly the 32-byte word 0x1626ba7e
/// followed by zeros. A revert, running out of gas, an invalid opcode, a shorter or longer answer, any other
/// word: not valid. Whatever the wallet does happens inside a call given all but a reserve of the gas left, so
/// this contract always gets to answer, and a node never reports an execution error for it. The hashes are
/// asked in order and the first valid one ends the call, so the caller puts the likeliest first.
///
/// ERC-6492: with a factory (the caller unwrapped the envelope), a wallet that has no code yet is deployed
/// through it first, once, inside this call only. A wallet that already has code answers for itself: the
/// factory is not called (so a key rotated since the signature was wrapped is honoured).
contract SignatureValidator {
    bytes4 private constant ERC1271_MAGIC_VALUE = 0x1626ba7e;
    uint256 private constant RESERVE = 20_000; // gas kept back to finish and answer

    constructor(
        address signer,
        bytes32[] memory hashes,
        address factory,
        bytes memory factoryCalldata,
        bytes memory signature
    ) {
        if (signer.code.length == 0 && factory != address(0)) {
            uint256 budget = spendable();
            assembly {
                // The outcome is judged by the signer's code below; the factory's answer is never copied.
                pop(call(budget, factory, 0, add(factoryCalldata, 32), mload(factoryCalldata), 0, 0))
            }
        }
        uint256 valid = 0;
        if (signer.code.length > 0) {
            // One query, its hash overwritten for each digest: memory does not grow with the digests.
            bytes memory query = abi.encodeWithSelector(ERC1271_MAGIC_VALUE, bytes32(0), signature);
            for (uint256 i = 0; i < hashes.length && i < 255; i++) {
                bytes32 hash = hashes[i];
                assembly {
                    mstore(add(query, 36), hash)
                }
                if (accepts(signer, query)) {
                    valid = i + 1;
                    break;
                }
            }
        }
        assembly {
            mstore(0, valid)
            return(31, 1)
        }
    }

    function accepts(address signer, bytes memory query) private view returns (bool valid) {
        bytes32 magicWord = bytes32(ERC1271_MAGIC_VALUE);
        uint256 budget = spendable();
        assembly {
            mstore(0, 0)
            // At most 32 bytes of the answer are copied: a wallet answering megabytes costs us nothing.
            let answered := staticcall(budget, signer, add(query, 32), mload(query), 0, 32)
            valid := and(answered, and(eq(returndatasize(), 32), eq(mload(0), magicWord)))
        }
    }

    function spendable() private view returns (uint256) {
        return gasleft() > RESERVE ? gasleft() - RESERVE : 0;
    }
}

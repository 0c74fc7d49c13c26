// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// ERC-6492 deploy-less validation. Never deployed: its creation code, followed by the ABI-encoded constructor
/// arguments, is the `data` of an eth_call without `to`. The constructor answers one byte, 0x01 when the
/// signature is valid and 0x00 when it is not; whatever it changes (the counterfactual wallet it deploys)
/// lives only inside that call.
///
/// The caller has already unwrapped the ERC-6492 envelope (factory, factory calldata, inner signature).
/// The order follows the ERC's verifier side: a wallet that already has code answers for itself (so a key
/// rotated since the signature was wrapped is honoured) and the factory is not called; a wallet without code
/// is deployed through the factory first. Either way the wallet's ERC-1271 answer must be exactly the 32-byte
/// word 0x1626ba7e followed by zeros: a reverted call, a short or long answer, or any other word is invalid.
contract SignatureValidator {
    bytes4 private constant ERC1271_MAGIC_VALUE = 0x1626ba7e;

    constructor(address signer, bytes32 hash, address factory, bytes memory factoryCalldata, bytes memory signature) {
        if (signer.code.length == 0) {
            // The outcome is judged by the signer's code below, not by the factory's answer.
            (bool deployed,) = factory.call(factoryCalldata);
            deployed;
        }
        bool valid = false;
        if (signer.code.length > 0) {
            (bool answered, bytes memory answer) =
                signer.staticcall(abi.encodeWithSelector(ERC1271_MAGIC_VALUE, hash, signature));
            valid = answered && answer.length == 32 && bytes32(answer) == bytes32(ERC1271_MAGIC_VALUE);
        }
        assembly {
            mstore(0, valid)
            return(31, 1)
        }
    }
}

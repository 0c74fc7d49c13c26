// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// ERC-1271 wallets that misbehave, each in one way a verifier must not accept (or must survive).
// None of them looks at its arguments.

/// Answers a value one bit away from the magic value 0x1626ba7e.
contract WrongMagicWallet {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        return bytes4(0x1626ba7f);
    }
}

/// Answers one 32-byte word that starts with the magic value but is not zero-padded: its last byte is 0x01.
/// A decoder that reads only the first four bytes would take it for valid.
contract TrailingGarbageWallet {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        assembly {
            mstore(0, 0x1626ba7e00000000000000000000000000000000000000000000000000000001)
            return(0, 32)
        }
    }
}

/// Reverts with a reason string.
contract RevertingWallet {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        revert("RevertingWallet: always reverts");
    }
}

/// Loops until the call runs out of gas, whatever gas it is given.
contract GasBurningWallet {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        assembly {
            for {} 1 {} {}
        }
        return 0x1626ba7e; // never reached
    }
}

/// Answers 64 bytes: the correctly padded magic word followed by another word of zeros.
contract LongAnswerWallet {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        assembly {
            mstore(0, 0x1626ba7e00000000000000000000000000000000000000000000000000000000)
            mstore(32, 0)
            return(0, 64)
        }
    }
}

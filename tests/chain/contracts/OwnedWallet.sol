// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// A minimal ERC-1271 smart-contract wallet for the tests: one owner key, plus Safe-style on-chain approvals.
///
/// isValidSignature answers the ERC-1271 magic value 0x1626ba7e when
/// - the signature is empty and the owner has approved the hash on chain (approveHash), or
/// - the signature is a 65-byte r || s || v ECDSA signature of the raw hash by the current owner
///   (v is 27/28, or 0/1 which is taken as 27/28),
/// and 0xffffffff otherwise. Rotating the owner (setOwner) invalidates the old owner's signatures.
contract OwnedWallet {
    bytes4 internal constant MAGIC_VALUE = 0x1626ba7e;
    bytes4 internal constant INVALID = 0xffffffff;

    address public owner;
    mapping(bytes32 => bool) public approved;

    constructor(address owner_) {
        owner = owner_;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "OwnedWallet: not the owner");
        _;
    }

    /// Hands the wallet to another key (a key rotation).
    function setOwner(address newOwner) external onlyOwner {
        owner = newOwner;
    }

    /// Approves a hash on chain, so that an empty signature is valid for it (like a Safe's approveHash).
    function approveHash(bytes32 hash) external onlyOwner {
        approved[hash] = true;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length == 0) {
            return approved[hash] ? MAGIC_VALUE : INVALID;
        }
        if (signature.length != 65) {
            return INVALID;
        }
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v < 27) {
            v += 27;
        }
        // ecrecover answers address(0) for an unrecoverable signature (including a v other than 27/28).
        address recovered = ecrecover(hash, v, r, s);
        return recovered != address(0) && recovered == owner ? MAGIC_VALUE : INVALID;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import "./OwnedWallet.sol";

/// Deploys OwnedWallets at CREATE2 addresses known in advance: the counterfactual wallets of ERC-6492.
contract WalletFactory {
    /// Deploys the wallet of (owner, salt), or returns it when it already exists (without reverting), so that
    /// an ERC-6492 verifier may call the factory for a wallet that has been deployed since.
    function deploy(address owner, bytes32 salt) external returns (address) {
        address wallet = addressOf(owner, salt);
        if (wallet.code.length > 0) {
            return wallet;
        }
        return address(new OwnedWallet{salt: salt}(owner));
    }

    /// The CREATE2 address: keccak256(0xff ++ factory ++ salt ++ keccak256(creation code ++ abi.encode(owner))).
    function addressOf(address owner, bytes32 salt) public view returns (address) {
        bytes32 initCodeHash = keccak256(abi.encodePacked(type(OwnedWallet).creationCode, abi.encode(owner)));
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash)))));
    }
}

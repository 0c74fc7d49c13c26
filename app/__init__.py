"""web3-auth: Sign-In with Ethereum (EIP-4361) authentication service."""

__version__ = "0.1.0"

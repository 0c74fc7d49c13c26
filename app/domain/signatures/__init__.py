"""Signature verification: EIP-191 for keys (eip191), smart-contract wallets (contract_wallets, eip6492), and
the order in which they are tried (verifier)."""

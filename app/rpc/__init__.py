"""Ethereum JSON-RPC: a pool of nodes per chain, for the eth_call that smart-contract wallets need."""

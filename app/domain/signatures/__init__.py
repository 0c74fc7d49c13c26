"""Signature verification, one module per standard. EOA signatures only for now (EIP-191)."""

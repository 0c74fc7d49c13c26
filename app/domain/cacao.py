"""CACAO (CAIP-74) to the EIP-4361 text it signs: placeholder until the WalletConnect-exact writer lands."""

from collections.abc import Mapping
from typing import Any

from app.errors import InvalidMessage


def cacao_message(cacao: Mapping[str, Any]) -> tuple[str, str]:
    raise InvalidMessage(f"CACAOs are not read yet ({len(cacao)} members)")

"""The cache of eth_getCode answers: "has code" kept longer than "no code", and bounded."""

from app.rpc.code_cache import CodeCache

WALLET = "0x5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E"
EOA = "0x000000000000000000000000000000000000dEaD"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_code_expires_sooner_than_code() -> None:
    clock = Clock()
    cache = CodeCache(has_code_ttl=600, no_code_ttl=10, clock=clock)
    cache.put(1, WALLET, True)
    cache.put(1, EOA, False)
    assert (cache.get(1, WALLET.lower()), cache.get(1, EOA)) == (True, False)  # any case of the address
    assert cache.get(8453, WALLET) is None  # per chain
    clock.now += 10
    assert (cache.get(1, WALLET), cache.get(1, EOA)) == (True, None)  # a counterfactual wallet may be deployed now
    clock.now += 590
    assert cache.get(1, WALLET) is None
    assert len(cache) == 0


def test_past_its_bound_the_oldest_entry_goes() -> None:
    cache = CodeCache(max_entries=3)
    addresses = [f"0x{i:040x}" for i in range(5)]
    for address in addresses:
        cache.put(1, address, True)
    assert len(cache) == 3
    assert [cache.get(1, address) for address in addresses] == [None, None, True, True, True]

import pytest

# The store contracts also run on a real Redis Cluster: every key and script must fit its slots.
STORE_KINDS = ["memory", "redis", "redis-cluster"]


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind

"""A party's probe budget is one across the nodes of a line: kept in the shared database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import strike_body, zone_body
from tests.backends import Databases
from tests.multinode.conftest import Cluster, start_cluster


@pytest.fixture(scope="module")
def pair(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two nodes on one database, whose budget is 4 probes an hour."""
    made = start_cluster(databases.new(), tmp_path_factory.mktemp("pair"), probes_per_hour=4)
    yield made
    made.stop()


def test_probes_sent_to_either_node_spend_one_budget(pair: Cluster) -> None:
    with pair.client(0, "coalition") as coalition:
        hidden = zone_body("battery", radius_m=800, share="contact")
        assert coalition.post("/v1/zones", json=hidden).status_code == 201
    probe = strike_body("probe", lon=38.641)
    for node in (0, 1, 0, 1):
        with pair.client(node, "russia-duty") as russia:
            assert russia.post("/v1/check", json=probe).status_code == 200
    for node in (0, 1):
        with pair.client(node, "russia-duty") as russia:
            refused = russia.post("/v1/check", json=probe)
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 3600

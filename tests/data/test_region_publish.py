"""One publication per cluster: a gemeente's rows are the same whichever way they are asked for
(alone, with its region, in a new session), and store filters load exactly the rows asked for."""

from __future__ import annotations

import pandas as pd

from data import db, store
from data.publication.read import open_publication
from data.publication.scope import region_cluster

REGION_2014 = ["GM0889", "GM1894"]  # Beesel and Peel en Maas, both on indeling 2014


def test_a_gemeente_reads_the_same_rows_alone_and_in_its_region(demo_url: str) -> None:
    engine = db.make_engine(demo_url)
    alone = open_publication(engine, gemeenten=["GM0889"], indicators=["illegale_bewoning"])
    cluster, members = region_cluster(engine, "rpf-demo")
    region = open_publication(engine, cluster=cluster, indicators=["illegale_bewoning"])
    assert set(members) == {"GM0889", "GM0983", "GM1894"} and alone.cluster == cluster
    one = alone.rows("illegale_bewoning", gemeenten=["GM0889"])
    other = region.rows("illegale_bewoning", regio="rpf-demo")
    other = other[other["gemeentecode"] == "GM0889"].reset_index(drop=True)
    pd.testing.assert_frame_equal(one, other)
    assert (one["status"] == "x").any() and len(one) > 1000
    total = region.rows("illegale_bewoning", regio="rpf-demo")
    assert (total["level"] == "regio").sum() == total["periode"].nunique()


def test_signal_filters_load_exactly_the_rows_asked_for(demo_url: str) -> None:
    engine = db.make_engine(demo_url)
    everything = store.load_signals(engine)
    asked = store.load_signals(engine, gemeenten=REGION_2014, indicators=["controles"])
    expected = everything[
        everything["buurtcode"].str[2:6].isin([g[2:6] for g in REGION_2014])
        & (everything["indicator"] == "controles")
    ]
    assert len(asked) == len(expected) > 0
    # A large region (more gemeenten than are filtered in SQL) gives the same rows.
    many = REGION_2014 + [f"GM{n:04d}" for n in range(1, 100)]
    assert len(many) > store._MAX_RANGES
    big = store.load_signals(engine, gemeenten=many, indicators=["controles"])
    pd.testing.assert_frame_equal(
        big.sort_values(list(big.columns)).reset_index(drop=True),
        asked.sort_values(list(asked.columns)).reset_index(drop=True),
    )
    assert store.load_signals(engine, gemeenten=[]).empty
    deliveries = store.load_deliveries(engine, gemeenten=["GM0983"], indicators=["controles"])
    assert set(deliveries["gemeentecode"]) == {"GM0983"}
    assert set(deliveries["indicator"]) == {"controles"}

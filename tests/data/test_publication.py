"""The publication: `wijkmonitor publish`, the contract's CSV, rates from published counts, and
the three attacks of the review (rate x noemer, the event study, small groups of secret cells)
giving nothing back on the demo."""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard.cli_publication import cmd_publish
from data.db import make_engine
from data.publication.build import ClusterData, publish_indicator
from data.publication.read import CSV_COLUMNS, ClusterPublication
from data.publication.scope import Cluster
from data.settings import Settings
from geo.errors import InputError
from indicators import catalogue
from indicators.effects import estimate_effect

KLINGERBERG = "venlo-klingerberg-2021"


@pytest.fixture(scope="module")
def csv(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The whole publication of the demo region, as `wijkmonitor publish --regio` writes it."""
    out = tmp_path_factory.mktemp("publicatie") / "rpf-demo.csv"
    args = argparse.Namespace(regio="rpf-demo", gemeente=None, out=str(out))
    assert cmd_publish(args, Settings(db_url=demo_url)) == 0
    return pd.read_csv(
        out,
        dtype={"code": str, "periode": str, "status": str},
        keep_default_na=False,
        na_values={"teller": [""], "noemer": [""], "waarde": [""]},
    )


def test_columns_levels_periods_and_statuses(csv: pd.DataFrame) -> None:
    assert list(csv.columns) == CSV_COLUMNS
    assert set(csv["niveau"]) == {"buurt", "wijk", "gemeente", "regio", "groep"}
    assert csv["periode"].str.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?").all()
    assert set(csv["status"]) == {"", "x", "."}
    assert set(csv["indicator"]) == set(catalogue.CODES)
    assert not csv.duplicated(["code", "periode", "indicator"]).any()
    missing = csv[csv["status"] == "."]
    assert missing[["teller", "noemer", "waarde"]].isna().all().all()


def test_counts_are_rounded_and_never_small(csv: pd.DataFrame) -> None:
    teller = csv["teller"].dropna()
    assert (teller % 5 == 0).all() and not teller.between(1, 4).any()


def test_rate_times_noemer_gives_back_only_the_rounded_count(csv: pd.DataFrame) -> None:
    """Attack 1: a rate times its public denominator is the published count, a multiple of 5."""
    rated = csv[csv["waarde"].notna()]
    assert len(rated) > 10_000 and (rated["noemer"] >= 50).all() and (rated["status"] == "").all()
    scale = rated["indicator"].map(lambda c: catalogue.get(c).schaal)
    recovered = rated["waarde"] * rated["noemer"] / scale
    np.testing.assert_allclose(recovered, rated["teller"], rtol=1e-5, atol=1e-3)


def test_gemeente_and_region_publish_the_same_rows(
    demo_url: str, csv: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "venlo.csv"
    args = argparse.Namespace(regio=None, gemeente=["GM0983"], out=str(out))
    assert cmd_publish(args, Settings(db_url=demo_url)) == 0
    venlo = pd.read_csv(out, dtype=str, keep_default_na=False)
    region = csv.astype(str).replace({"nan": "", "<NA>": ""})
    region = region[region["code"].isin(set(venlo["code"]))]
    assert len(venlo) == len(region) > 100_000
    left = venlo.sort_values(CSV_COLUMNS[:4]).reset_index(drop=True)
    right = region.sort_values(CSV_COLUMNS[:4]).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        left[["code", "periode", "status"]], right[["code", "periode", "status"]]
    )


@pytest.mark.parametrize("granularity", ["maand", "kwartaal", "jaar"])
def test_downloads_are_a_subset_of_the_publication(
    demo_publication: ClusterPublication, csv: pd.DataFrame, granularity: str
) -> None:
    """The CSV and XLSX downloads of the Overzicht page hold only rows of `publish`, with the
    same count and status and the rate to the download's one decimal."""
    import io

    from dashboard.downloads import csv_bytes, published_rows, xlsx_bytes

    key = ["code", "periode", "indicator"]
    reference = csv.set_index(key)
    for indicator in ("illegale_bewoning", "uitkering_afwijking", "overbewoning"):
        rows = demo_publication.rows(indicator, gemeenten=("GM0983",), granularity=granularity)
        rows = rows[rows["level"] != "groep"]
        table = published_rows(rows)
        from_csv = pd.read_csv(
            io.BytesIO(csv_bytes(table)),
            sep=";",
            decimal=",",
            dtype={"periode": str, "status": str},
            keep_default_na=False,
            na_values={"aantal_afgerond": [""], "waarde": [""]},
        )
        from_xlsx = pd.read_excel(io.BytesIO(xlsx_bytes(table)), dtype={"periode": str})
        for download in (from_csv, from_xlsx):
            assert len(download) == len(rows) > 0
            download = download.assign(status=download["status"].fillna(""))
            ref = reference.loc[pd.MultiIndex.from_frame(download[key])]
            np.testing.assert_array_equal(download["status"], ref["status"])
            # A download may show less (a count beside a withheld rate), never more or other.
            for mine, theirs, tolerance in (
                ("aantal_afgerond", "teller", 0.0),
                ("waarde", "waarde", 0.05 + 1e-9),
            ):
                shown = download[mine].notna().to_numpy()
                assert ref[theirs].notna().to_numpy()[shown].all(), mine
                np.testing.assert_allclose(
                    download[mine].to_numpy(float)[shown],
                    ref[theirs].to_numpy(float)[shown],
                    atol=tolerance,
                )


def test_event_study_gives_nothing_beyond_the_published_lines(
    demo_url: str, demo_publication: ClusterPublication, csv: pd.DataFrame
) -> None:
    """Attack 2: the effect and its event study are a function of the published group lines:
    an outsider who runs the estimator on the CSV's group rows gets exactly the same numbers."""
    from data.publication.effects import effect_for_intervention

    engine = make_engine(demo_url)
    result = effect_for_intervention(
        engine,
        KLINGERBERG,
        "illegale_bewoning",
        "did",
        pub=demo_publication,
        periode_per="kwartaal",
    )
    engine.dispose()
    rows = csv[
        csv["code"].str.startswith(KLINGERBERG + ":")
        & (csv["indicator"] == "illegale_bewoning")
        & (csv["periode"].str.contains("Q"))
    ]
    panel = pd.DataFrame(
        {
            "code": rows["code"].str.split(":", n=1).str[1],
            "periode": rows["periode"],
            "teller": rows["teller"].astype(float),
            "noemer": rows["noemer"].astype(float),
        }
    )
    # Two stages: the outsider estimates each published stage line from its own start.
    stages = {"cohort:2021-09": "2021-Q3", "cohort:2022-09": "2022-Q3"}
    outsider = estimate_effect(
        panel,
        treated=list(stages),
        controls=["controle"],
        ring=["ring"],
        start=stages,
        eenheid="per 1.000 woningen",
        schaal=1000.0,
    )
    assert outsider.effect == pytest.approx(result.effect)
    assert (outsider.ci_low, outsider.ci_high) == pytest.approx((result.ci_low, result.ci_high))
    pd.testing.assert_frame_equal(
        outsider.event_study.reset_index(drop=True), result.event_study.reset_index(drop=True)
    )


def test_no_small_group_of_secret_cells(demo_publication: ClusterPublication) -> None:
    """Attack 3, as the review did it: within every wijk and gemeente per period, the secret
    cells never add up to 1-4 where the total is published."""
    from data.publication.cells import raw_cells

    data = demo_publication.data
    for indicator in ("illegale_bewoning", "overbewoning", "niet_gebruik"):
        published = demo_publication.published(indicator)
        cells, _ = raw_cells(
            data.signals,
            data.deliveries,
            data.plain_areas,
            indicator=indicator,
            regions=data.cluster.regions,
            groups=published.groups,
        )
        table = published.table.assign(raw=cells["teller"].to_numpy())
        secret = table[table["teller_publ"].isna() & table["raw"].notna()]
        for level, parent in (("buurt", "parent_code"), ("wijk", "parent_code")):
            parts = secret[secret["level"] == level]
            sums = parts.groupby([parent, "periode"])["raw"].sum()
            totals = table.set_index(["code", "periode"])["teller_publ"]
            shown = totals.reindex(sums.index).notna()
            assert not sums[shown].between(1, 4).any(), (indicator, level)


def test_publish_refuses_a_bad_scope(demo_url: str, tmp_path: Path) -> None:
    settings = Settings(db_url=demo_url)
    with pytest.raises(InputError, match="GM9999"):
        cmd_publish(
            argparse.Namespace(regio=None, gemeente=["GM9999"], out=str(tmp_path / "a.csv")),
            settings,
        )
    with pytest.raises(InputError, match="Onbekende regio"):
        cmd_publish(
            argparse.Namespace(regio="nergens", gemeente=None, out=str(tmp_path / "a.csv")),
            settings,
        )
    with pytest.raises(InputError, match=r"\.csv"):
        cmd_publish(
            argparse.Namespace(regio="rpf-demo", gemeente=None, out=str(tmp_path / "a.txt")),
            settings,
        )
    assert not list(tmp_path.iterdir())


def test_a_delivered_stock_noemer_leaves_the_publication_as_it_is() -> None:
    """A partner's own noemer beside a count of an indicator whose noemer is a key figure (UWV:
    7 uitkeringen in one buurt) is published nowhere, and changing it changes nothing."""
    areas = gpd.GeoDataFrame(
        {
            "code": ["BU09830001", "BU09830002", "WK098300", "GM0983"],
            "name": ["Een", "Twee", "Wijk", "Venlo"],
            "level": ["buurt", "buurt", "wijk", "gemeente"],
            "parent_code": ["WK098300", "WK098300", "GM0983", ""],
            "gemeentecode": ["GM0983"] * 4,
            "indeling_jaar": 2024,
            "woningen": [400.0, 300.0, 700.0, 700.0],
            "inwoners": [900.0, 700.0, 1600.0, 1600.0],
            "huishoudens": [400.0, 300.0, 700.0, 700.0],
            "uitkeringen": [120.0, 80.0, 200.0, 200.0],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 0, 2, 1), box(0, 0, 2, 1)],
        crs=28992,
    )
    indicator = "uitkering_afwijking"
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    deliveries = pd.DataFrame(
        {"bron": "uwv", "gemeentecode": "GM0983", "indicator": indicator, "periode": months}
    )

    def published(noemer: float) -> pd.DataFrame:
        signals = pd.DataFrame(
            {
                "buurtcode": ["BU09830001", "BU09830002"] * len(months),
                "periode": [m for m in months for _ in range(2)],
                "indicator": indicator,
                "teller": [3.0, 12.0] * len(months),
                "noemer": [noemer, np.nan] * len(months),
                "bron": "uwv",
                "soort": "aggregaat",
            }
        )
        data = ClusterData(
            cluster=Cluster((("GM0983", 2024),), ()),
            areas=areas,
            signals=signals,
            deliveries=deliveries,
            interventions=[],
            notes={},
        )
        return publish_indicator(data, indicator).table

    table = published(7.0)
    key = dict(zip(areas["code"], areas["uitkeringen"], strict=True))
    shown = table[table["status"] != "."]
    assert (shown["noemer_publ"] == shown["code"].map(key)).all()
    pd.testing.assert_frame_equal(table, published(9.0))

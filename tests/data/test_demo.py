"""The demo database: real Venlo areas, synthetic addresses and signals, the known effect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine, func, select

from data import db, meta, store
from data.demo import generate, params
from data.demo import venlo as demo
from indicators import catalogue
from indicators.comparison import ring_buurten

KLINGERBERG = ("BU09832501", "BU09832502")


def _build(
    path: Path, progress: Callable[[str], None] | None = None
) -> tuple[Engine, demo.DemoSummary]:
    engine = db.make_engine(f"sqlite:///{path}")
    return engine, demo.build_demo(engine, progress=progress)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, demo.DemoSummary, list[str]]:
    messages: list[str] = []
    engine, summary = _build(tmp_path_factory.mktemp("demo") / "t.db", messages.append)
    assert isinstance(summary, demo.DemoSummary)
    return engine, summary, messages


@pytest.fixture(scope="module")
def engine(built: tuple[Engine, demo.DemoSummary, list[str]]) -> Engine:
    return built[0]


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in db.metadata.tables.items()
        }


def _table(engine: Engine, table: object, order: list[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(select(table))  # type: ignore[call-overload]
        frame = pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))
    return frame.sort_values(order).reset_index(drop=True)


def test_areas_of_venlo_2024(engine: Engine) -> None:
    areas = store.load_areas(engine, indeling_jaar=2024)
    levels = areas["level"].value_counts().to_dict()
    assert levels == {"buurt": 114, "wijk": 21, "gemeente": 1}
    assert set(areas["gemeentecode"]) == {"GM0983"}
    wijk = areas[areas["code"] == "WK098325"].iloc[0]
    assert wijk["name"] == "Wijk 25 Klingerberg"
    klingerberg = areas[areas["parent_code"] == "WK098325"]
    assert sorted(klingerberg["code"]) == list(KLINGERBERG)
    assert sorted(klingerberg["name"]) == ["Klingerberg-Noord", "Klingerberg-Zuid"]
    for code in KLINGERBERG:
        woningen = float(areas.loc[areas["code"] == code, "woningen"].iloc[0])
        assert 1_500 <= woningen <= 2_000


def test_key_figures_add_up(engine: Engine) -> None:
    areas = store.load_areas(engine, indeling_jaar=2024)
    buurten = areas[areas["level"] == "buurt"]
    gemeente = areas[areas["level"] == "gemeente"].iloc[0]
    for figure, total in (("inwoners", 102_000), ("woningen", 48_000)):
        assert abs(float(buurten[figure].sum()) - total) <= 0.03 * total
        assert float(gemeente[figure]) == pytest.approx(float(buurten[figure].sum()))
    assert abs(float(buurten["huishoudens"].sum()) - 47_000) <= 0.03 * 47_000
    assert abs(float(buurten["uitkeringen"].sum()) - 14_000) <= 0.03 * 14_000
    assert not buurten[["inwoners", "woningen", "huishoudens", "uitkeringen"]].isna().any().any()
    # The empty-geometry buurt is kept; work areas have few woningen.
    windhond = buurten[buurten["code"] == "BU09833202"].iloc[0]
    assert windhond["geometry"].is_empty
    work = buurten[buurten["name"].map(generate.buurt_type) == "werklocatie"]
    assert len(work) >= 10
    assert float(work["woningen"].max()) <= 40
    living = buurten[buurten["name"].map(generate.buurt_type) == "wonen"]
    assert float(living["woningen"].min()) >= 300
    assert float(living["woningen"].max()) <= 3_500


def test_addresses_lie_inside_their_buurt(engine: Engine) -> None:
    buurten = store.load_areas(engine, indeling_jaar=2024, levels=["buurt"]).set_index("code")
    addresses = _table(engine, db.addresses, ["bag_id"])
    links = _table(engine, db.address_buurten, ["bag_id"])
    assert 40_000 <= len(addresses) <= 50_000
    assert list(links["bag_id"]) == list(addresses["bag_id"])
    assert set(links["indeling_jaar"]) == {2024}
    assert addresses["bag_id"].str.fullmatch(r"0983010000\d{6}").all()
    assert addresses["postcode"].str.fullmatch(r"59\d\d[A-Z]{2}").all()
    assert not addresses.duplicated(["postcode", "huisnummer"]).any()
    assert set(addresses["gebruiksdoel"]) == {"woonfunctie"}
    assert set(addresses["status"]) == {"Verblijfsobject in gebruik"}
    assert (addresses["huisnummer"] >= 1).all()
    assert addresses["oppervlakte"].between(25, 400).all()
    assert addresses["bouwjaar"].between(1850, 2024).all()
    merged = addresses.merge(links, on="bag_id")
    for code, part in merged.groupby("buurtcode"):
        polygon = buurten.loc[code, "geometry"]
        inside = shapely.contains_xy(polygon, part["x"].to_numpy(), part["y"].to_numpy())
        assert inside.all(), code
    per_buurt = merged.groupby("buurtcode").size()
    woningen = buurten["woningen"].astype(float)
    assert (per_buurt == woningen.reindex(per_buurt.index)).all()
    assert "BU09833202" not in per_buurt.index  # no geometry, no points


def test_signals_cover_the_catalogue(engine: Engine) -> None:
    signals = store.load_signals(engine)
    expected = {c.code for c in catalogue.CATALOGUE if not c.afgeleid}
    assert set(signals["indicator"]) == expected
    assert "illegale_bewoning_per_controle" not in set(signals["indicator"])
    assert signals["periode"].min() == "2019-01"
    assert signals["periode"].max() == "2024-12"
    assert set(signals["soort"]) == {"aggregaat", "bevindingen"}  # bevindingen: controleavonden
    assert (signals["teller"] >= 0).all()
    assert (signals["teller"] == signals["teller"].round()).all()
    for (indicator, bron), _ in signals.groupby(["indicator", "bron"]):
        assert bron in catalogue.get(indicator).bronnen, (indicator, bron)
    plain = signals[signals["indicator"] != "eigenaar_concentratie"]
    assert plain["noemer"].isna().all()
    assert (plain["teller"] > 0).all()
    assert set(signals.loc[signals["indicator"] == "uitkering_afwijking", "bron"]) == {
        "uwv",
        "gemeente",
    }
    assert set(signals.loc[signals["indicator"] == "toeslag_afwijking", "bron"]) == {
        "belastingdienst"
    }
    # Plenty of small counts for disclosure control.
    assert (plain["teller"].between(1, 4)).mean() > 0.5


def test_eigenaar_concentratie_has_noemer(engine: Engine) -> None:
    signals = store.load_signals(engine, indicators=["eigenaar_concentratie"])
    assert len(signals) > 100
    assert (signals["noemer"] > 0).all()
    assert (signals["teller"] <= signals["noemer"]).all()
    assert set(signals["bron"]) == {"riec"}


def test_arbeidsmigranten_is_only_housing_pressure(engine: Engine) -> None:
    signals = store.load_signals(engine, indicators=["arbeidsmigranten"])
    assert len(signals) > 1_000
    assert set(signals["bron"]) == {"gemeente"}
    inwoners = store.load_areas(engine, levels=["buurt"]).set_index("code")["inwoners"]
    rate = signals.groupby("buurtcode")["teller"].mean() / inwoners.reindex(
        signals.groupby("buurtcode")["teller"].mean().index
    ).astype(float)
    living = rate[inwoners.reindex(rate.index).astype(float) >= 300] * 1000
    assert living.between(3, 80).all()
    # Never part of the intervention, its effect or its selection.
    assert "arbeidsmigranten" not in params.EFFECTEN
    assert "arbeidsmigranten" not in params.WATERBED
    assert not catalogue.get("arbeidsmigranten").in_samengestelde_score


def test_gaps_are_not_delivered(engine: Engine) -> None:
    assert set(store.load_deliveries(engine)["gemeentecode"]) == {"GM0983", "GM0889", "GM1894"}
    deliveries = store.load_deliveries(engine, gemeenten=["GM0983"])
    signals = store.load_signals(engine, gemeenten=["GM0983"])
    delivered = set(
        zip(deliveries["bron"], deliveries["indicator"], deliveries["periode"], strict=True)
    )
    for bron, months in params.NIET_GELEVERD.items():
        indicators = {i for i, shares in params.BRON_AANDEEL.items() if bron in shares}
        assert indicators
        for indicator in indicators:
            for month in months:
                assert (bron, indicator, month) not in delivered
    assert ("politie", "controles", "2020-03") in delivered
    assert ("politie", "controles", "2020-05") not in delivered
    assert ("politie", "controles", "2020-07") in delivered
    assert ("belastingdienst", "toeslag_afwijking", "2024-10") in delivered
    assert ("belastingdienst", "toeslag_afwijking", "2024-11") not in delivered
    assert ("belastingdienst", "toeslag_afwijking", "2024-12") not in delivered
    assert ("gemeente", "illegale_bewoning", "2024-12") in delivered
    # Every signal row lies in a delivered bron x indicator x month.
    keys = set(zip(signals["bron"], signals["indicator"], signals["periode"], strict=True))
    assert keys <= delivered
    full = len(params.MAANDEN)
    per_series = deliveries.groupby(["bron", "indicator"]).size()
    assert per_series[("gemeente", "illegale_bewoning")] == full
    assert per_series[("politie", "controles")] == full - 3
    assert per_series[("belastingdienst", "toeslag_afwijking")] == full - 2
    assert meta.peildatum(engine) is not None
    assert str(meta.peildatum(engine)) == "2024-12-31"


def test_import_log_one_row_per_bron(engine: Engine) -> None:
    log = _table(engine, db.import_log, ["id"])
    bronnen = sorted({b for shares in params.BRON_AANDEEL.values() for b in shares})
    expected = [f"demo:{b}" for b in bronnen]
    expected += [f"demo:{g}:{b}" for g in ("GM0889", "GM1894") for b in bronnen]
    expected += ["demo_controleavonden_klingerberg.csv"]
    assert sorted(log["bestand"]) == sorted(expected)
    assert set(log["soort"]) == {"demo", "adresbevindingen"}
    assert set(log["uitkomst"]) == {"geaccepteerd"}
    assert set(log["gebruiker"]) == {"demo"}
    signals = store.load_signals(engine)
    signals = signals[signals["soort"] == "aggregaat"]
    gemeente = signals["buurtcode"].str[2:6]
    for row in log[log["soort"] == "demo"].itertuples():
        parts = row.bestand.split(":")
        code = "0983" if len(parts) == 2 else parts[1][2:]
        rows = (signals["bron"] == parts[-1]) & (gemeente == code)
        assert row.rijen == int(rows.sum())


def test_intervention_is_stored(engine: Engine) -> None:
    interventions = store.load_interventions(engine)
    assert len(interventions) == 1
    row = interventions.iloc[0]
    assert row["id"] == "venlo-klingerberg-2021"
    assert row["naam"] == "Wijkgerichte aanpak Klingerberg"
    assert row["soort"] == "wijkaanpak"
    assert row["buurtcodes"] == sorted([*KLINGERBERG, *demo.FASE2])
    assert str(row["start"]) == "2021-09-01"
    # Two stages: Klingerberg from the start, Tegelen-Centrum a year later.
    assert {b: str(s) for b, s in row["starts"].items()} == {
        **{b: "2021-09-01" for b in KLINGERBERG},
        **{b: "2022-09-01" for b in demo.FASE2},
    }
    assert row["eind"] is None
    assert row["partners"] == ["gemeente", "uwv", "belastingdienst", "nla", "politie"]


def test_meta_rows(engine: Engine) -> None:
    assert meta.get_meta(engine, "demo") == "1"
    assert meta.get_meta(engine, "demo_seed") == str(params.SEED)
    assert meta.get_meta(engine, "peildatum") == "2024-12-31"


def test_summary_and_progress(built: tuple[Engine, demo.DemoSummary, list[str]]) -> None:
    engine, summary, messages = built
    counts = _counts(engine)
    assert (summary.buurten, summary.wijken, summary.gemeenten) == (114, 21, 1)
    assert summary.addresses == counts["addresses"]
    assert summary.signal_rows == counts["signals"]
    venlo = store.load_deliveries(engine, gemeenten=["GM0983"])
    assert summary.deliveries == len(venlo)
    assert summary.regio_buurten == 8 + 32  # Beesel and Peel en Maas, indeling 2014
    assert summary.seconds > 0  # timed, not asserted against a limit: see bench/
    assert summary.ring == tuple(
        ring_buurten(
            store.load_areas(engine, levels=["buurt"]),
            KLINGERBERG,
            distance_m=params.RING_BUFFER_M,
        )
    )
    assert {"Buurten en wijken laden", "Adressen maken", "Signalen maken"} <= set(messages)
    assert "Interventie vastleggen" in messages


def test_ring_touches_klingerberg(built: tuple[Engine, demo.DemoSummary, list[str]]) -> None:
    engine, summary, _ = built
    buurten = store.load_areas(engine, levels=["buurt"]).set_index("code")
    core = shapely.union_all(buurten.loc[list(KLINGERBERG), "geometry"].to_numpy())
    assert len(summary.ring) >= 4
    assert not set(summary.ring) & set(KLINGERBERG)
    for code in summary.ring:
        assert buurten.loc[code, "geometry"].distance(core) <= params.RING_BUFFER_M


def test_known_effect_parameters() -> None:
    assert params.EFFECTEN["illegale_bewoning"].factor == 0.60
    assert params.EFFECTEN["controles"].factor > 1
    assert params.EFFECTEN["doorverwijzing_zorg"].factor > 1
    assert params.WATERBED["illegale_bewoning"].factor == pytest.approx(1.10)
    # Phase-in: 1/6 of the drop in the start month, the full drop from the sixth month on.
    effect = params.EFFECTEN["illegale_bewoning"]
    assert effect.at(-1) == 1.0
    assert effect.at(0) == pytest.approx(1 - 0.4 / 6)
    assert effect.at(5) == pytest.approx(0.6)
    assert effect.at(30) == pytest.approx(0.6)
    assert len(params.PRE_PERIODES) == 32
    assert len(params.POST_PERIODES) == 40
    # The expected effect follows from the parameters: by hand, without the helper.
    weights = np.array([params.KLINGERBERG_WONINGEN[b] for b in KLINGERBERG], dtype=float)
    base = float(np.average(params.KLINGERBERG_BASIS["illegale_bewoning"], weights=weights))
    by_hand = np.mean(
        [
            base * params.seizoen("illegale_bewoning", p) * (effect.at(k) - 1)
            for k, p in enumerate(params.POST_PERIODES)
        ]
    )
    assert by_hand == pytest.approx(params.EXPECTED_EFFECT_ILLEGALE_BEWONING)
    assert -1.0 < params.EXPECTED_EFFECT_ILLEGALE_BEWONING < -0.5
    for shares in params.BRON_AANDEEL.values():
        assert sum(shares.values()) == pytest.approx(1.0)


def test_klingerberg_worse_before_and_better_after(engine: Engine) -> None:
    """The realised data show the story: worse than Venlo before, a drop after the start."""
    signals = store.load_signals(engine, indicators=["illegale_bewoning"])
    woningen = store.load_areas(engine, levels=["buurt"]).set_index("code")["woningen"]
    pre = signals["periode"] < params.START_PERIODE
    treated = signals["buurtcode"].isin(KLINGERBERG)
    w_treated = float(woningen.loc[list(KLINGERBERG)].astype(float).sum())
    w_rest = float(woningen.astype(float).sum()) - w_treated
    rate = {
        (t, p): signals.loc[(treated == t) & (pre == p), "teller"].sum()
        / (w_treated if t else w_rest)
        * 1000
        / (len(params.PRE_PERIODES) if p else len(params.POST_PERIODES))
        for t in (True, False)
        for p in (True, False)
    }
    assert rate[(True, True)] > 2 * rate[(False, True)]
    did = (rate[(True, False)] - rate[(True, True)]) - (rate[(False, False)] - rate[(False, True)])
    assert did < 0
    assert abs(did - params.EXPECTED_EFFECT_ILLEGALE_BEWONING) < 0.4


def test_deterministic(engine: Engine, tmp_path: Path) -> None:
    other, _ = _build(tmp_path / "other.db")
    for table, order in (
        (db.signals, ["bron", "indicator", "buurtcode", "periode"]),
        (db.addresses, ["bag_id"]),
        (db.address_buurten, ["bag_id"]),
        (db.deliveries, ["bron", "indicator", "periode"]),
    ):
        mine = _table(engine, table, order)
        theirs = _table(other, table, order)
        if "geleverd_op" in mine:
            assert (mine["geleverd_op"] == theirs["geleverd_op"]).all()
        pd.testing.assert_frame_equal(mine, theirs)
    mine_areas = store.load_areas(engine)
    theirs_areas = store.load_areas(other)
    pd.testing.assert_frame_equal(
        mine_areas.drop(columns="geometry"), theirs_areas.drop(columns="geometry")
    )
    assert mine_areas.geometry.geom_equals_exact(theirs_areas.geometry, tolerance=0).all()
    other.dispose()


def test_idempotent(engine: Engine) -> None:
    before = _counts(engine)
    signals_before = _table(engine, db.signals, ["bron", "indicator", "buurtcode", "periode"])
    demo.build_demo(engine)
    after = _counts(engine)
    # the audit log is kept on purpose and grows by the rebuild's own (audited) import
    assert after.pop("audit_log") > before.pop("audit_log")
    assert before == after
    assert after["areas"] == 136 + 50  # Venlo 2024; Beesel and Peel en Maas 2014 (40 + 8 + 2)
    assert after["interventions"] == 1
    signals_after = _table(engine, db.signals, ["bron", "indicator", "buurtcode", "periode"])
    pd.testing.assert_frame_equal(signals_before, signals_after)


def test_users_survive_a_rebuild(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'users.db'}")
    with engine.begin() as conn:
        conn.execute(
            db.users.insert().values(naam="wethouder", rol="wethouder", wachtwoord_hash="h")
        )
        meta.set_meta(conn, "iets", "oud")
    demo.build_demo(engine, publish=False)
    counts = _counts(engine)
    assert counts["users"] == 1
    assert meta.get_meta(engine, "iets") == ""
    assert counts["areas"] == 186
    engine.dispose()


def test_demo_refuses_to_wipe_real_deliveries(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from data import db, store
    from data.demo.venlo import build_demo
    from geo.errors import InputError

    engine = db.make_engine(f"sqlite:///{tmp_path / 'echt.db'}")
    with engine.begin() as conn:
        store.log_import(
            conn,
            bestand="uwv.csv",
            inhoud=b"x",
            soort="buurtaggregaten",
            rijen=1,
            uitkomst="geaccepteerd",
        )
    with pytest.raises(InputError, match="echte leveringen"):
        build_demo(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.import_log)).scalar_one() == 1

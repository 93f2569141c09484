"""Every page headless through Streamlit's AppTest, on the demo database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def app(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("WIJKMONITOR_DB", demo_url)
    monkeypatch.setenv("WIJKMONITOR_TILES", "none")
    monkeypatch.setenv("WIJKMONITOR_DEMO_LOGIN", "1")
    return AppTest.from_file(APP, default_timeout=120)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [t.value for t in at.title] + [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_overzicht_shows_map_table_and_demo_banner(app: AppTest) -> None:
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Overzicht Venlo"
    text = _texts(at)
    assert "Demodata (fictief)" in text
    assert "Peildatum 31-12-2024" in text and "belastingdienst: t/m okt 2024" in text
    maps = at.get("component_instance")
    assert len(maps) == 1
    args = json.loads(maps[0].proto.json_args)
    assert args["js_links"] == ["/app/static/leaflet/leaflet.js"], "Leaflet from the app, no CDN"
    assert args["css_links"] == ["/app/static/leaflet/leaflet.css"]
    assert "CBS / Kadaster" in args["script"]
    table = at.dataframe[0].value
    assert len(table) == 114
    assert len(at.get("download_button")) == 2  # the aggregate table as CSV and as Excel
    values = set(table.iloc[:, 2])
    assert "x" in values, "small counts must show as x"
    assert not any(v.endswith(("1", "2", "3", "4")) and "," not in v for v in values if v != "x")


def test_overzicht_by_wijk_and_by_month(app: AppTest) -> None:
    at = app.run()
    at.radio(key="kaartniveau").set_value("wijk").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 21
    at.radio(key="granularity").set_value("maand").run()
    assert not at.exception
    assert at.select_slider(key="periode_overzicht").value == "2024-12"


def test_every_indicator_renders(app: AppTest) -> None:
    at = app.run()
    for code in at.selectbox(key="indicator").options:
        at.selectbox(key="indicator").set_value(code).run()
        assert not at.exception, code


def test_wijkprofiel_has_trend_with_intervention(app: AppTest) -> None:
    at = app.run()
    at.switch_page("views/wijkprofiel.py").run()
    assert not at.exception
    assert at.title[0].value == "Wijk 25 Klingerberg"
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # the indicator, controles, hits per controle
    spec = charts[0].proto.spec
    assert "Start Wijkgerichte aanpak Klingerberg" in spec
    assert '"separators":",."' in spec.replace(" ", "")


def test_wijkprofiel_for_a_buurt_without_hits(app: AppTest) -> None:
    at = app.run()
    at.selectbox(key="indicator").set_value("niet_gebruik").run()
    at.switch_page("views/wijkprofiel.py").run()
    at.selectbox(key="gebied").set_value("BU09832501").run()
    assert not at.exception
    assert at.title[0].value == "Klingerberg-Zuid"
    assert len(at.get("plotly_chart")) == 1


def test_indicatoren_shows_every_card_and_the_statement(app: AppTest) -> None:
    at = app.run()
    at.switch_page("views/indicatoren.py").run()
    assert not at.exception
    assert len(at.expander) == 13
    assert "verklaart geen oorzaken" in _texts(at)


def test_vergelijken_shows_two_maps_and_the_change(app: AppTest) -> None:
    at = app.run()
    at.switch_page("views/vergelijken.py").run()
    assert not at.exception
    assert len(at.get("component_instance")) == 2
    at.radio(key="vergelijk_niveau").set_value("wijk").run()
    change = at.dataframe[0].value
    assert len(change) == 21
    klingerberg = change[change["Code"] == "WK098325"].iloc[0]
    assert klingerberg.iloc[4].startswith("-"), "Klingerberg improved from 2019 to 2024"
    assert set(change.columns[2:4]) == {"2019", "2024"}


def test_a_click_on_the_map_opens_the_profile(app: AppTest) -> None:
    at = app.run()
    at.session_state["open_gebied"] = "BU09832502"
    at.switch_page("views/wijkprofiel.py").run()
    assert not at.exception
    assert at.title[0].value == "Klingerberg-Noord"


def test_hotspot_layer_and_none_for_arbeidsmigranten(app: AppTest) -> None:
    at = app.run()
    at.selectbox(key="indicator").set_value("controles").run()
    at.radio(key="kaartlaag").set_value("hotspots").run()
    assert not at.exception
    args = json.loads(at.get("component_instance")[0].proto.json_args)
    assert "Hotspot-analyse" in args["script"]
    at.selectbox(key="indicator").set_value("arbeidsmigranten").run()
    assert not at.exception
    assert not [r for r in at.radio if r.key == "kaartlaag"], (
        "no hotspot layer for arbeidsmigranten"
    )


def test_interventies_shows_register_effect_and_warnings(app: AppTest) -> None:
    at = app.run()
    at.switch_page("views/interventies.py").run()
    assert not at.exception
    assert at.dataframe[0].value["id"].tolist() == ["venlo-klingerberg-2021"]
    metric = at.metric[0].value
    assert re.match(r"-\d+,\d\d per 1\.000 woningen", metric), metric
    warnings = " ".join(w.value for w in at.warning)
    assert "regressie naar het gemiddelde" in warnings and "Waterbedeffect" in warnings
    assert len(at.get("plotly_chart")) == 2 and len(at.get("component_instance")) == 1
    stages = at.dataframe[1].value  # two stages, each with its own estimate
    assert stages["Start"].tolist() == ["2021-Q3", "2022-Q3"] and stages["Buurten"].tolist() == [
        2,
        5,
    ]
    at.radio(key="effect_methode").set_value("synth").run()
    assert not at.exception and at.metric[0].value.startswith("-")
    assert "arbeidsmigranten" not in at.selectbox(key="effect_indicator").options


def test_interventies_power_on_request(app: AppTest) -> None:
    at = app.run()
    at.switch_page("views/interventies.py").run()
    assert at.multiselect(key="power_buurten").value == [
        "BU09832501",
        "BU09832502",
        "BU09833101",
        "BU09833102",
        "BU09833103",
        "BU09833104",
        "BU09833105",
    ]
    at.toggle(key="power_aan").set_value(True).run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert {"Na 12 maanden", "Na 24 maanden", "Na 36 maanden"} <= set(labels)


def test_cached_figures_hold_until_the_data_changes(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from dashboard import loaders
    from data import db, meta

    copy = tmp_path / "kopie.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("WIJKMONITOR_DB", url)
    monkeypatch.setenv("WIJKMONITOR_TILES", "none")
    monkeypatch.setenv("WIJKMONITOR_DEMO_LOGIN", "1")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert "Peildatum 31-12-2024" in _texts(at)
    with db.make_engine(url).begin() as conn:  # e.g. another process imported a delivery
        meta.set_meta(conn, "peildatum", "2025-01-31")
    loaders.data_version.clear()  # as after the 15 s between two checks of the data version
    assert "Peildatum 31-01-2025" in _texts(at.run())


def test_unusable_data_gives_a_plain_message_not_a_traceback(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import sqlite3

    copy = tmp_path / "zonder-vormen.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    with sqlite3.connect(copy) as conn:  # buurten without any shape: nothing to draw
        conn.execute("UPDATE areas SET geometry = NULL WHERE level = 'buurt'")
    monkeypatch.setenv("WIJKMONITOR_DB", f"sqlite:///{copy}")
    monkeypatch.setenv("WIJKMONITOR_TILES", "none")
    monkeypatch.setenv("WIJKMONITOR_DEMO_LOGIN", "1")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Er zijn geen gebieden met een vorm om op de kaart te tekenen."
    ]


def test_kept_charts_and_tables_follow_a_correction_in_place(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Wijkprofiel's chart and sporen table are kept for every session
    (``loaders.kept``); a partner's correction of stored counts shows at the next run."""
    import shutil
    import sqlite3

    from dashboard import loaders

    copy = tmp_path / "kopie.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    monkeypatch.setenv("WIJKMONITOR_DB", f"sqlite:///{copy}")
    monkeypatch.setenv("WIJKMONITOR_TILES", "none")
    monkeypatch.setenv("WIJKMONITOR_DEMO_LOGIN", "1")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("views/wijkprofiel.py").run()

    def shown() -> tuple[str, str]:
        chart = at.get("plotly_chart")[0].proto.spec
        return chart, "".join(str(d.value.to_dict()) for d in at.dataframe)

    before = shown()
    assert shown() == shown()  # the same run twice: the same kept values
    with sqlite3.connect(copy) as conn:  # the gemeente corrects its illegale bewoning of 2024
        changed = conn.execute(
            "UPDATE signals SET teller = teller * 3 + 5 WHERE indicator = 'illegale_bewoning' "
            "AND buurtcode LIKE 'BU098325%' AND periode LIKE '2024-%'"
        ).rowcount
    assert changed > 0
    loaders.data_version.clear()  # as after the 15 s between two checks of the data version
    at.run()
    after = shown()
    assert not at.exception
    assert after[0] != before[0] and after[1] != before[1]

"""Invariance on the screen: change secret cells in the stored signals so that the publication
stays as it is, and no dashboard page changes, element for element (maps, charts with their hover
data, tables, metrics, texts). What the dashboard shows is a function of the publication alone;
``tests/data/test_invariance.py`` asks the same of the files and the PDF."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from data import meta
from data.db import make_engine
from tests.data.test_invariance import IND, _move, _publication, _swaps

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")

# (page, then widget settings): the views a beleidsadviseur opens for illegale bewoning.
VIEWS: list[tuple[str | None, dict[str, str | bool]]] = [
    (None, {}),
    (None, {"kaartniveau": "wijk"}),
    (None, {"granularity": "maand"}),
    (None, {"kaartlaag": "hotspots"}),
    ("views/wijkprofiel.py", {}),
    ("views/wijkprofiel.py", {"gebied": "BU09832501"}),
    ("views/vergelijken.py", {}),
    ("views/interventies.py", {}),
    ("views/interventies.py", {"effect_methode": "synth"}),
    ("views/interventies.py", {"power_aan": True}),
    ("views/indicatoren.py", {}),
]


# An Excel file carries the moment it was written, so its media address differs on every run;
# its cells are compared in tests/data/test_invariance.py. Every other element is compared whole.
XLSX_URL = re.compile(r"/media/[0-9a-f]+\.xlsx")


def _elements(node: Any, out: list[str]) -> None:
    proto = getattr(node, "proto", None)
    if proto is not None:
        out.append(XLSX_URL.sub("/media/(excel).xlsx", f"{type(node).__name__}: {proto}"))
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _elements(child, out)


def _screens() -> list[list[str]]:
    screens = []
    for page, widgets in VIEWS:
        at = AppTest.from_file(APP, default_timeout=300).run()
        at.selectbox(key="indicator").set_value(IND).run()
        if page is not None:
            at.switch_page(page).run()
        for key, value in widgets.items():
            widget = next(w for w in [*at.radio, *at.selectbox, *at.toggle] if w.key == key)
            widget.set_value(value).run()
        assert not at.exception, (page, widgets, at.exception)
        shown: list[str] = []
        _elements(at._tree, shown)
        screens.append(shown)
    return screens


def test_secret_changes_that_leave_the_publication_change_no_page(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import loaders

    path = tmp_path / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("WIJKMONITOR_DB", url)
    monkeypatch.setenv("WIJKMONITOR_TILES", "none")
    monkeypatch.setenv("WIJKMONITOR_DEMO_LOGIN", "1")
    engine = make_engine(url)
    before = _publication(engine)
    version = meta.data_version(engine)
    screens = _screens()
    for a, b, m1, m2 in _swaps(engine)[:20]:
        _move(engine, a, m2, m1)
        _move(engine, b, m1, m2)
        if _publication(engine).equals(before):
            break
        _move(engine, a, m1, m2)  # undo: this swap moved the publication after all
        _move(engine, b, m2, m1)
    else:
        pytest.fail("no change of secret cells found that leaves the publication as it is")
    assert meta.data_version(engine) != version  # the pages must compute again, not recall
    engine.dispose()
    loaders.data_version.clear()  # as after the 15 s between two checks of the data version
    after = _screens()
    for (page, widgets), shown, again in zip(VIEWS, screens, after, strict=True):
        assert len(again) == len(shown), (page, widgets)
        for element, later in zip(shown, again, strict=True):
            assert later == element, (page, widgets, element[:300])

"""Corrections between releases (SQLite and PostGIS): a count that changes after it went out.

A partner re-delivers a month with one buurt's count changed and the gemeente is published
again. The outsider holds both releases: the old totals over the old count and the new totals
over the new one. Published zeros corrected to 2 where the wijk-month total crosses a rounding
boundary pinned the new count in 4 of 5 cases when each release was protected on its own
(bench/attack_corrections.py). Every earlier version now stays in the protection
(``indicators.versions``); the same attack, run here over five corrections one by one, pins
nothing, and ``wijkmonitor audit`` (which attacks the old versions too) passes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from sqlalchemy import func, select

from data import db
from data.publication.audit import audit_indicator
from data.publication.read import open_publication


def _bench() -> ModuleType:
    """bench/attack_corrections.py as a module (bench/ is not a package)."""
    name = "attack_corrections"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[2] / "bench" / "attack_corrections.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_corrections_give_no_count_away(demo_url: str, db_url: str) -> None:
    bench = _bench()
    assert bench.pinned(demo_url, db_url, zeros=True) == []
    engine = db.make_engine(db_url)
    try:
        with engine.connect() as conn:  # every correction left its old versions in the record
            kept = conn.execute(select(func.count()).select_from(db.release_versions)).scalar()
        assert kept is not None and kept >= bench.CORRECTIONS
        pub = open_publication(engine, gemeenten=["GM0889"], indicators=[bench.INDICATOR])
        [result] = audit_indicator(pub, bench.INDICATOR)
        assert result.ok, result
    finally:
        engine.dispose()

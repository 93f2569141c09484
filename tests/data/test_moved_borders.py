"""Releases across a new indeling whose borders moved (SQLite and PostGIS).

A gemeente is published on its old buurten, then on a new indeling in which one buurt's border
moved into a buurt of another wijk: 6 of its 10 addresses (a moved border) or all 10 (a merge
across wijken). The outsider of bench/attack_indeling.py holds both releases and the re-basing
(public addresses, documented method) and solves everything at once. Counts split over the new
buurten by their shares, and old wijken left out of the system, pinned counts in 7 of 12 such
runs; now every old buurt goes wholly to one new buurt (``geo.rebase.best_fit``) and every old
wijk stays in the protection as the sum of its old buurten, and nothing is pinned.

Two more ways the same move reaches an outsider: a third release on the new indeling (the old
areas were marked as left out at the second, so the third took their counts for free: 3 of 6
runs pinned a count), and a new indeling that keeps every code while a buurt leaves its wijk
(the old wijk's count was taken for the current wijk's: the publication stopped).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import select

from data import db
from data.publication import releases
from data.publication.audit import audit_indicator
from data.publication.read import open_publication
from data.publication.rebase import OldAreas


def _bench() -> ModuleType:
    """bench/attack_indeling.py as a module (bench/ is not a package)."""
    name = "attack_indeling"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[2] / "bench" / "attack_indeling.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("seed", "moved"), [(1, "10 van 10"), (5, "6 van 10")])
def test_a_border_moved_across_wijken_gives_no_count_away(
    demo_url: str, db_url: str, seed: int, moved: str
) -> None:
    bench = _bench()
    what, pinned = bench.attack(demo_url, db_url, seed)
    assert moved in what
    assert pinned == []
    engine = db.make_engine(db_url)
    try:
        pub = open_publication(engine, gemeenten=[bench.GEMEENTE], indicators=[bench.INDICATOR])
        [result] = audit_indicator(pub, bench.INDICATOR)
        assert result.ok, result
        earlier = releases.load(engine, pub.cluster, bench.INDICATOR)
        kinds = set(earlier.groups["soort"])
        assert {releases.DEEL, releases.SOM} <= kinds  # merged parts and old wijken take part
    finally:
        engine.dispose()


def test_without_the_old_wijken_the_two_releases_give_a_count_away(
    demo_url: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case has teeth: with the old wijken left out of the system (as before), the merge
    across wijken of run 1 gives a count away."""
    found = releases.old_areas

    def without_wijken(*args: object, **kwargs: object) -> OldAreas:
        areas = found(*args, **kwargs)  # type: ignore[arg-type]
        return OldAreas(areas.unions, areas.merged, {})

    monkeypatch.setattr(releases, "old_areas", without_wijken)
    _, pinned = _bench().attack(demo_url, sqlite_url, 1)
    assert pinned


def test_a_ghost_with_its_released_count_is_the_released_cell(
    demo_url: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An old area's count is public as the sum of current cells that were never released
    themselves. Protected as if it were another sum (free to hide), the old wijk of run 1 was
    hidden again in the protection's own system while its count was out, and the audit, which
    holds the released count, pinned the merged buurt's count."""
    from data.publication import build

    disclose = build.disclose

    def as_another_sum(*args: object, **kwargs: object) -> object:
        kwargs.pop("defined", None)
        return disclose(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "disclose", as_another_sum)
    bench = _bench()
    bench.attack(demo_url, sqlite_url, 1)
    engine = db.make_engine(sqlite_url)
    try:
        pub = open_publication(engine, gemeenten=[bench.GEMEENTE], indicators=[bench.INDICATOR])
        [result] = audit_indicator(pub, bench.INDICATOR)
        assert not result.ok
    finally:
        engine.dispose()


@pytest.mark.parametrize(("seed", "moved"), [(4, "5 van 10"), (5, "6 van 10")])
def test_a_third_release_on_the_new_indeling_gives_no_count_away(
    demo_url: str, sqlite_url: str, seed: int, moved: str
) -> None:
    """Published again (any import remakes the publication) with everything released so far:
    the old areas stay what they were released as, not cells left out with any count since."""
    what, pinned = _bench().attack(demo_url, sqlite_url, seed, again=True)
    assert moved in what
    assert pinned == []


def test_a_wijk_that_keeps_its_code_while_a_buurt_leaves_it(demo_url: str, db_url: str) -> None:
    """The new indeling keeps every code, one buurt moves to a new buurt of another wijk: both
    wijken keep their codes but are other areas. Their old cells stay in the record under
    ``code@2014`` and in the protection as ghosts; three releases give nothing away."""
    bench = _bench()
    what, pinned = bench.attack(demo_url, db_url, 1, keep=True, again=True)
    assert "10 van 10" in what
    assert pinned == []
    engine = db.make_engine(db_url)
    try:
        t = db.releases.c
        with engine.connect() as conn:
            recorded = set(
                conn.execute(
                    select(t.code, t.indeling_jaar).where(t.code.like("WK%")).distinct()
                ).all()
            )
        assert {("WK088900", 2024), ("WK088900@2014", 2014)} <= recorded
        assert {("WK088901", 2024), ("WK088901@2014", 2014)} <= recorded
        pub = open_publication(engine, gemeenten=[bench.GEMEENTE], indicators=[bench.INDICATOR])
        [result] = audit_indicator(pub, bench.INDICATOR)
        assert result.ok, result
        earlier = releases.load(engine, pub.cluster, bench.INDICATOR)
        ghosts = set(earlier.cells.loc[earlier.cells["sleutel"] == "WK088900@2014", "code"])
        assert len(ghosts) == 1 and releases.GHOST in ghosts.pop()
    finally:
        engine.dispose()


@pytest.mark.parametrize("keep", [False, True])
def test_a_correction_of_old_months_after_the_new_indeling_keeps_the_audit_whole(
    demo_url: str, sqlite_url: str, keep: bool
) -> None:
    """Months delivered on the old buurten corrected after the releases on the new indeling:
    the old areas' released counts are no longer their counts now. Their released version ends
    with the release that shows the correction (as a corrected cell's does), and every release
    after it, the correction taken back included, passes the audit. Before, the old areas were
    marked as left out (the audit broke: 11 cells) and then never (the audit's programme had no
    solution: a released count held as the current one)."""
    from sqlalchemy import text

    bench = _bench()
    bench.attack(demo_url, sqlite_url, 5, keep=keep, again=True)
    engine = db.make_engine(sqlite_url)
    months = "periode IN ('2022-03', '2023-07') AND buurtcode LIKE 'BU088900%'"
    try:
        for change in (f"teller + 2 WHERE {months}", "teller", f"teller - 2 WHERE {months}"):
            with engine.begin() as conn:
                conn.execute(text(f"UPDATE signals SET teller = {change}"))
                conn.execute(db.publications.delete())  # made anew, as after any import
            pub = open_publication(engine, gemeenten=[bench.GEMEENTE], indicators=[bench.INDICATOR])
            pub.published(bench.INDICATOR)
            [result] = audit_indicator(pub, bench.INDICATOR)
            assert result.ok, (change, result)
        v = db.release_versions.c
        with engine.connect() as conn:
            ended = conn.execute(
                select(v.code).where(v.code.like("WK088900%") & (v.periode == "2022-03"))
            ).all()
        assert ended  # the old wijk's released count, corrected, is a version of its own
    finally:
        engine.dispose()


def test_without_addresses_the_old_areas_follow_the_areas(demo_url: str, db_url: str) -> None:
    """No address links stored: signals are re-based by area, and the old areas follow the same
    fit (found by area, as the signals went, the kept-code wijken stopped the publication)."""
    what, pinned = _bench().attack(demo_url, db_url, 8, keep=True, again=True, addresses=False)
    assert "10 van 10" in what
    assert pinned == []


def test_signals_that_find_no_place_stop_the_publication_they_were_released_in(
    demo_url: str, sqlite_url: str
) -> None:
    """A buurt of the old indeling without addresses and without a shape has no place on the
    new one: its signals are left out. Published anyway, the totals released before minus the
    new ones gave its counts (4 of 6 runs of the bench pinned one); now the publication stops
    and says what to load."""
    import numpy as np

    from data import store
    from geo.errors import WijkmonitorError

    bench = _bench()
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=[bench.GEMEENTE])
    demo.dispose()
    areas = areas[areas["indeling_jaar"] == areas["indeling_jaar"].min()]
    shapeless = areas.loc[areas.geometry.isna() | areas.geometry.is_empty, "code"]
    assert "BU08890101" in set(shapeless)  # as the CBS file of 2014 has it
    bench._fill(sqlite_url, areas, np.random.default_rng(0), 1.0)
    bench._publish(sqlite_url)
    bench._move(sqlite_url, areas, "BU08890000", "BU08890100", 10, False, False)
    with pytest.raises(WijkmonitorError, match=r"BU08890101.*BAG-adressen"):
        bench._publish(sqlite_url)


def test_two_new_indelingen_after_each_other(demo_url: str, db_url: str) -> None:
    """2014, then 2024 (a buurt leaves its wijk, codes kept), then 2026 (another one leaves),
    each published twice: a code with another area in each indeling is an area of its own per
    indeling (found per indeling released on; before, a code that meant different areas in two
    earlier indelingen was left out, and the 2026 publication stopped)."""
    what, pinned = _bench().attack(demo_url, db_url, 4, keep=True, again=True, twice=True)
    assert "daarna" in what
    assert pinned == []


def test_an_intervention_on_old_buurten_stays_in_the_protection(demo_url: str, db_url: str) -> None:
    """An intervention on two old buurten, its group series released on the old indeling; the
    buurten are renumbered, so the intervention is no longer the cluster's. Its released group
    series stay in the protection as sums of what the old buurten are called now (before,
    their members were codes no row had, and the outsider pinned 3 counts of this run)."""
    what, pinned = _bench().attack(demo_url, db_url, 4, again=True, intervention=True)
    assert "interventie op BU08890000 en BU08890008" in what
    assert pinned == []

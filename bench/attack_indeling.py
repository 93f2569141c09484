"""An attack on releases across a new indeling whose borders moved (docs/methoden.md, "A new
indeling").

Run: .venv/bin/python bench/attack_indeling.py [--demo sqlite:///demo.db] [--runs 12]
     [--keep] [--again] [--zonder-adressen] [--tweemaal] [--interventie]

Beesel's buurten get two years of small counts and are published on the 2014 indeling. Then a
2024 indeling arrives (every code renumbered) in which one buurt's border moved: k of its 10
addresses now lie in a buurt of another wijk (k = 10: the whole buurt merged into it). With
``--keep`` the new indeling keeps every code and the addresses go to a new buurt (code 77) of
the other wijk (k = 10: the buurt left its wijk). The signals are re-based (``geo.rebase``) and
published again; with ``--again`` published a third time, made anew with everything released
so far (as after any import). The outsider holds every release and the re-basing (it follows
from public addresses and the documented method) and solves every shown cell of all of them at
once as an integer programme over the delivered buurt-months. Prints, per run, the secret counts
of 1-4 of the first release pinned to an interval inside [1, 4] or narrower than 3 (until
2026-12-03 only those of the two buurten that moved). Nothing is
asserted; ``attack`` is also run by tests/data/test_moved_borders.py.

Measured (12 runs): with counts split over the new buurten by their shares of addresses and
without the old wijken in the system (the code before 2026-12-03), 7 of 12 runs pinned a count,
both merges and moved borders; with each old buurt wholly to one new buurt and every old wijk in
the system, none. ``--again``: 3 of 6 runs pinned a count while the old areas were marked as left
out at the second release; none of 10 since. ``--keep``: the publication stopped ("De aanval op
de publicatie liep vast") while the record did not keep the indeling of its cells; 0 of 10 runs
pin a count since, with or without ``--again``. ``--zonder-adressen`` (no address links: the
signals re-based by area; Beesel's buurt without a shape left out of the gemeente, as such a
buurt stops the publication): 0 of 8 runs; before, with the old areas found by addresses only,
kept codes stopped the publication, and with the shapeless buurt's signals left out 4 of 6 runs
pinned its counts. ``--keep --tweemaal``: a 2026 indeling after the 2024 one, in which another
buurt leaves its wijk: 0 of 10 runs (with ``--again``); before, the 2026 publication stopped in
every run (a code that named different areas in 2014 and 2024 was left out). ``--interventie``
(an intervention on two old buurten first, its group series attacked too): 0 of 8 runs, with and
without ``--keep --again``; before, with the released group series over codes that no longer
exist, 2 of 7 renumbered runs pinned counts (3 and 5).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from data import db, store
from data.demo.venlo import build_demo
from data.publication.read import open_publication
from geo.rebase import WEIGHT_COLUMNS, area_weights, best_fit
from indicators.intervals import protected

INDICATOR = "illegale_bewoning"
GEMEENTE = "GM0889"
ADDRESSES = 10  # per old buurt
MONTHS = [f"{2022 + m // 12}-{m % 12 + 1:02d}" for m in range(24)]


def _new_code(code: str) -> str:
    """The renumbering: wijk number + 50 (BU0889WWBB, WK0889WW)."""
    return f"{code[:6]}{int(code[6:8]) + 50:02d}{code[8:]}"


def _months(periode: str) -> list[str]:
    if "-Q" in periode:
        q = int(periode[-1])
        return [f"{periode[:4]}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    if len(periode) == 4:
        return [f"{periode}-{m:02d}" for m in range(1, 13)]
    return [periode]


def _publish(url: str, *, anew: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published table and its group series; ``anew``: made again from the inputs (not
    the stored one), as after any change to them, with everything released so far."""
    engine = db.make_engine(url)
    try:
        if anew:
            with engine.begin() as conn:
                conn.execute(db.publications.delete())
        pub = open_publication(engine, gemeenten=[GEMEENTE], indicators=[INDICATOR])
        published = pub.published(INDICATOR)
        return published.table, published.groups
    finally:
        engine.dispose()


def _intervene(url: str, treated: list[str]) -> None:
    """A controleavond on ``treated`` from 2023: its group series (treated, comparison, ring)
    are published with the buurten."""
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            store.save_interventions(
                conn,
                pd.DataFrame(
                    [
                        {
                            "id": "een",
                            "naam": "Een",
                            "soort": "controleavond",
                            "start": date(2023, 1, 1),
                            "eind": None,
                            "partners": ["gemeente"],
                            "buurtcodes": treated,
                        }
                    ]
                ),
            )
    finally:
        engine.dispose()


def _fill(url: str, areas: pd.DataFrame, rng: np.random.Generator, lam: float) -> pd.DataFrame:
    buurten = sorted(areas.loc[areas["level"] == "buurt", "code"])
    rows = [(b, p, float(rng.poisson(lam))) for b in buurten for p in MONTHS]
    signals = pd.DataFrame(rows, columns=["buurtcode", "periode", "teller"]).assign(
        indicator=INDICATOR, noemer=np.nan, bron="gemeente", soort="aggregaat"
    )
    deliveries = pd.DataFrame(
        {"bron": "gemeente", "gemeentecode": GEMEENTE, "indicator": INDICATOR, "periode": MONTHS}
    )
    engine = db.make_engine(url)
    try:
        store.save_areas(engine, areas)
        with engine.begin() as conn:
            store.save_signals(conn, signals, import_id=None)
            store.save_deliveries(conn, deliveries, import_id=None)
    finally:
        engine.dispose()
    return signals


def _move(
    url: str, areas: pd.DataFrame, moved: str, into: str, k: int, keep: bool, addresses: bool
) -> tuple[pd.DataFrame, dict[tuple[str, str], float], str]:
    """Store the 2024 indeling and both indelingen's address links; the new areas, the
    re-basing weights (old buurt, new buurt) -> share of the old buurt's addresses, and the new
    buurt the addresses went to. ``keep``: every code stays, and the addresses go to a new buurt
    (code 77) in the wijk of ``into``; else every code is renumbered and they go to ``into``."""
    new = areas.copy()
    new["indeling_jaar"] = 2024
    rename = (lambda code: code) if keep else _new_code
    renamed = new["level"] != "gemeente"
    new.loc[renamed, "code"] = new.loc[renamed, "code"].map(rename)
    buurt = new["level"] == "buurt"
    new.loc[buurt, "parent_code"] = new.loc[buurt, "parent_code"].map(rename)
    wijk = str(new.loc[new["code"] == rename(into), "parent_code"].iloc[0])
    target = f"BU{wijk[2:]}77" if keep else rename(into)
    if keep:
        row = new[new["code"] == rename(moved)].assign(code=target, parent_code=wijk)
        new = pd.concat([new, row], ignore_index=True)
        if k == ADDRESSES:
            new = new[new["code"] != moved]
    links, weights = [], {}
    for b in sorted(areas.loc[areas["level"] == "buurt", "code"]):
        for i in range(ADDRESSES):
            to = target if (b == moved and i >= ADDRESSES - k) else rename(b)
            links.append({"bag_id": f"{b}{i:06d}", "indeling_jaar": 2014, "buurtcode": b})
            links.append({"bag_id": f"{b}{i:06d}", "indeling_jaar": 2024, "buurtcode": to})
            weights[(b, to)] = weights.get((b, to), 0.0) + 1 / ADDRESSES
    # The product's method is public: each old buurt wholly to the buurt with most addresses,
    # signals on a code the new indeling still has stay on it.
    by = pd.DataFrame([(*k, w) for k, w in weights.items()], columns=WEIGHT_COLUMNS)
    if not addresses:  # no address links stored: the product re-bases by area
        links = []
        by = area_weights(
            gpd.GeoDataFrame(areas[areas["level"] == "buurt"]),
            gpd.GeoDataFrame(new[new["level"] == "buurt"]),
        )
    fit = best_fit(by)
    weights = {(v, n): w for v, n, w in fit[WEIGHT_COLUMNS].itertuples(index=False)}
    still = set(new.loc[new["level"] == "buurt", "code"])
    weights = {(v, v if v in still else n): w for (v, n), w in weights.items()}
    engine = db.make_engine(url)
    try:
        if links:
            with engine.begin() as conn:
                conn.execute(db.address_buurten.insert(), links)
        store.save_areas(engine, new)
    finally:
        engine.dispose()
    return new, weights, target


def _move_again(
    url: str, areas: pd.DataFrame, new: pd.DataFrame, moved: str, target: str, k: int, seed: int
) -> tuple[pd.DataFrame, dict[tuple[str, str], float], str]:
    """A 2026 indeling after the 2024 one of ``_move`` (``keep``): every code stays, and the
    whole of another buurt leaves its wijk for a new buurt (code 78) of another. Returns as
    ``_move``, the weights from the 2014 buurten."""
    rng = np.random.default_rng(seed + 1000)
    later = new.copy()
    later["indeling_jaar"] = 2026
    buurt = later["level"] == "buurt"
    parent = dict(zip(later["code"], later["parent_code"], strict=True))
    choices = sorted(set(later.loc[buurt, "code"]) - {moved, target})
    second = str(rng.choice(choices))
    into = str(rng.choice([b for b in choices if parent[b] != parent[second]]))
    goal = f"BU{parent[into][2:]}78"
    row = later[later["code"] == second].assign(code=goal, parent_code=parent[into])
    later = pd.concat([later[later["code"] != second], row], ignore_index=True)
    links, weights = [], {}
    for b in sorted(areas.loc[areas["level"] == "buurt", "code"]):
        for i in range(ADDRESSES):
            then = target if (b == moved and i >= ADDRESSES - k) else b
            to = goal if then == second else then
            links.append({"bag_id": f"{b}{i:06d}", "indeling_jaar": 2026, "buurtcode": to})
            weights[(b, to)] = weights.get((b, to), 0.0) + 1 / ADDRESSES
    fit = best_fit(pd.DataFrame([(*k, w) for k, w in weights.items()], columns=WEIGHT_COLUMNS))
    still = set(later.loc[later["level"] == "buurt", "code"])
    weights = {
        (v, v if v in still else n): w for v, n, w in fit[WEIGHT_COLUMNS].itertuples(index=False)
    }
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(db.address_buurten.insert(), links)
        store.save_areas(engine, later)
    finally:
        engine.dispose()
    return later, weights, goal


def _by_new(weights: dict[tuple[str, str], float]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for (old, to), w in weights.items():
        out.setdefault(to, {})[old] = w
    return out


def _with_groups(
    members: dict[str, dict[str, float]], groups: pd.DataFrame, of: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """``members`` and every group series of ``groups`` as the sum of its buurten's."""
    out = dict(members)
    for code, leden in zip(groups["code"], groups["leden"], strict=True):
        total: dict[str, float] = {}
        for b in leden:
            for old, w in of.get(b, {}).items():
                total[old] = total.get(old, 0.0) + w
        out[str(code)] = total
    return out


def _members(areas: pd.DataFrame, of: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Code -> {old buurt: weight} for every buurt, wijk and the gemeente of ``areas``."""
    out = dict(of)
    buurten = areas[areas["level"] == "buurt"]
    for wijk, group in buurten.groupby("parent_code"):
        total: dict[str, float] = {}
        for b in group["code"]:
            for old, w in of.get(b, {}).items():
                total[old] = total.get(old, 0.0) + w
        out[str(wijk)] = total
    everything: dict[str, float] = {}
    for part in of.values():
        for old, w in part.items():
            everything[old] = everything.get(old, 0.0) + w
    out[GEMEENTE] = everything
    return out


def attack(
    demo_url: str,
    url: str,
    seed: int,
    *,
    keep: bool = False,
    again: bool = False,
    addresses: bool = True,
    twice: bool = False,
    intervention: bool = False,
) -> tuple[str, list[tuple[str, str, float, float]]]:
    """One run: a description, and the pinned (buurt, month, lower, upper). ``keep``: the new
    indeling keeps every code (``_move``); ``again``: each new indeling published twice (the
    second anew); ``twice``: with ``keep``, a 2026 indeling after the 2024 one
    (``_move_again``), published too; ``intervention``: an intervention on two old buurten
    (``_intervene``) before the first release. The outsider holds every release, group series
    included, and tries every secret buurt-month of the first."""
    rng = np.random.default_rng(seed)
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=[GEMEENTE])
    demo.dispose()
    areas = areas[areas["indeling_jaar"] == areas["indeling_jaar"].min()]
    if not addresses:  # by area: a buurt without a shape has no place (``check_placed``)
        shapeless = areas.geometry.isna() | areas.geometry.is_empty
        areas = areas[~(shapeless & (areas["level"] == "buurt"))]
    buurten = sorted(areas.loc[areas["level"] == "buurt", "code"])
    parent = dict(zip(areas["code"], areas["parent_code"], strict=True))
    moved, into = (str(b) for b in rng.choice(buurten, 2, replace=False))
    while parent[moved] == parent[into]:  # across wijken: the case that gives counts away
        into = str(rng.choice(buurten))
    k = int(rng.integers(1, ADDRESSES + 1))
    lam = float(rng.choice([0.5, 1.0, 2.0, 3.0]))
    signals = _fill(url, areas, rng, lam)
    treated = sorted(str(b) for b in rng.choice(buurten, 2, replace=False))
    if intervention:
        _intervene(url, treated)
    first = _publish(url)
    new, weights, target = _move(url, areas, moved, into, k, keep, addresses)
    systems = [(release, new, weights) for release in [_publish(url)]]
    if again:
        systems.append((_publish(url, anew=True), new, weights))
    if twice:
        latest, more, goal = _move_again(url, areas, new, moved, target, k, seed)
        releases = [_publish(url), *([_publish(url, anew=True)] if again else [])]
        systems += [(release, latest, more) for release in releases]
        target = f"{target}, daarna {goal}"
    if intervention:
        target = f"{target}, interventie op {' en '.join(treated)}"

    variables = {cell: i for i, cell in enumerate(itertools.product(buurten, MONTHS))}
    truth = signals.set_index(["buurtcode", "periode"])["teller"]
    x = np.array([truth[cell] for cell in variables])
    own = {b: {b: 1.0} for b in buurten}
    attacked = (
        (first[0], _with_groups(_members(areas, own), first[1], own)),
        *(
            (table, _with_groups(_members(on, _by_new(w)), groups, _by_new(w)))
            for (table, groups), on, w in systems
        ),
    )
    rows, cols, values, lo, hi = [], [], [], [], []
    for table, members in attacked:
        shown = table[(table["status"] == "") & table["code"].isin(list(members))]
        for code, periode, v in zip(
            shown["code"], shown["periode"], shown["teller_publ"], strict=True
        ):
            months = _months(periode)
            if not set(months) <= set(MONTHS):
                continue
            for (old, w), m in itertools.product(members[code].items(), months):
                rows.append(len(lo))
                cols.append(variables[(old, m)])
                values.append(w)
            # rounded to 5, halves up; a shown count is 0 or at least 5 (re-based: fractional)
            lo.append(0.0 if v == 0 else max(5.0, v - 2.5))
            hi.append(0.0 if v == 0 else v + 2.5 - 1e-6)
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(len(lo), len(variables)))
    assert np.all(matrix @ x >= np.array(lo) - 1e-6) and np.all(matrix @ x <= np.array(hi) + 1e-6)
    system = LinearConstraint(matrix, lo, hi)
    hidden = first[0][first[0]["status"] == "x"]
    secret = set(zip(hidden["code"], hidden["periode"], strict=True))
    found = []
    for b, m in itertools.product(buurten, MONTHS):
        j = variables[(b, m)]
        if not 1 <= x[j] <= 4 or (b, m) not in secret:
            continue
        goal = np.zeros(len(variables))
        goal[j] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = milp(
                sign * goal,
                constraints=system,
                integrality=np.ones(len(variables)),
                bounds=Bounds(0, np.inf),
            )
            ends.append(np.inf if result.status != 0 else sign * result.fun)
        if not protected(np.array([ends[0]]), np.array([ends[1]]))[0]:
            found.append((b, m, ends[0], ends[1]))
    what = f"{moved}: {k} van {ADDRESSES} adressen naar {target}, gemiddeld {lam}"
    return what, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--demo", help="URL of a demo database (built in a temporary folder if absent)"
    )
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="the new indeling keeps the codes")
    parser.add_argument("--again", action="store_true", help="a third release")
    parser.add_argument(
        "--zonder-adressen", action="store_true", help="no address links: re-based by area"
    )
    parser.add_argument("--tweemaal", action="store_true", help="with --keep: a 2026 indeling")
    parser.add_argument("--interventie", action="store_true", help="an intervention first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        demo = args.demo
        if demo is None:
            demo = f"sqlite:///{Path(tmp) / 'demo.db'}"
            engine = db.make_engine(demo)
            build_demo(engine)
            engine.dispose()
        pinned_runs = 0
        for seed in range(args.runs):
            url = f"sqlite:///{Path(tmp) / f'r{seed}.db'}"
            what, found = attack(
                demo,
                url,
                seed,
                keep=args.keep,
                again=args.again,
                addresses=not args.zonder_adressen,
                twice=args.tweemaal,
                intervention=args.interventie,
            )
            pinned_runs += bool(found)
            print(f"run {seed}: {what}: {len(found)} vastgepind {found[:3]}", flush=True)
        print(f"{pinned_runs} van {args.runs} runs pinnen een telling vast")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

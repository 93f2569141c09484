"""An attack on corrections between releases (docs/methoden.md, "Releases over time").

Run: .venv/bin/python bench/attack_corrections.py [--demo sqlite:///demo.db]

A partner re-delivers a month with one buurt's count changed and the gemeente is published
again. The first release showed totals over the old count, the second over the new one. This
script gives an outsider every release: each release's shown cells as equations over the
buurt-months (one variable for each corrected count before and after, one for every count that
did not change; intervention groups left out), solved as linear programmes (an interval a
linear programme pins, the integer programme pins too). Beesel's buurten with 30 months of
small counts; corrections one by one, publishing after each; with the release record (every
earlier version in the protection: ``indicators.versions``) and protected apart.

Prints the pinned cells (variable, interval) of four runs: published zeros corrected to 2, and
secret counts of 1-3 corrected by 1, each with the record and protected apart. ``pinned`` is
also run by tests/data/test_corrections.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from sqlalchemy import and_, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from data import db, store
from data.demo.venlo import build_demo
from data.publication import releases
from data.publication.read import open_publication
from indicators.intervals import bounds, protected

INDICATOR = "illegale_bewoning"
CORRECTIONS = 5
LAMBDA = 1.0


def _months(periode: str) -> list[str]:
    if "-Q" in periode:
        q = int(periode[-1])
        return [f"{periode[:4]}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    if len(periode) == 4:
        return [f"{periode}-{m:02d}" for m in range(1, 13)]
    return [periode]


def _fill(url: str, areas: pd.DataFrame) -> None:
    """Beesel's buurten, 30 months of small counts (many secret cells), all delivered."""
    rng = np.random.default_rng(20261203)
    buurten = sorted(areas.loc[areas["level"] == "buurt", "code"])
    periods = [f"{2022 + m // 12}-{m % 12 + 1:02d}" for m in range(30)]
    rows = [(b, p, float(rng.poisson(LAMBDA))) for b in buurten for p in periods]
    signals = pd.DataFrame(rows, columns=["buurtcode", "periode", "teller"]).assign(
        indicator=INDICATOR, noemer=np.nan, bron="gemeente", soort="aggregaat"
    )
    deliveries = pd.DataFrame(
        {"bron": "gemeente", "gemeentecode": "GM0889", "indicator": INDICATOR, "periode": periods}
    )
    engine = db.make_engine(url)
    try:
        store.save_areas(engine, areas)
        with engine.begin() as conn:
            store.save_signals(conn, signals, import_id=None)
            store.save_deliveries(conn, deliveries, import_id=None)
    finally:
        engine.dispose()


def _hidden(table: pd.DataFrame) -> set[tuple[str, str]]:
    secret = table[table["status"] == "x"]
    return set(zip(secret["code"], secret["periode"], strict=True))


def _publish(url: str) -> pd.DataFrame:
    engine = db.make_engine(url)
    try:
        pub = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
        return pub.published(INDICATOR).table
    finally:
        engine.dispose()


def pinned(demo_url: str, url: str, zeros: bool) -> list[tuple[int, tuple[float, float]]]:
    """Publish, correct ``CORRECTIONS`` counts one by one (publishing after each), attack every
    release at once; the targets pinned with their intervals. ``zeros``: correct published
    zeros by 2 where the wijk-month total is 1 modulo 5; else secret counts of 1-3 by 1 where
    it is 2 modulo 5 (either way the total moves across a rounding boundary)."""
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=["GM0889"])
    demo.dispose()
    _fill(url, areas)
    buurten = areas[areas["level"] == "buurt"]
    within = {a: [a] for a in buurten["code"]}
    for parent in ("parent_code", "gemeentecode"):
        for code, group in buurten.groupby(parent):
            within[str(code)] = group["code"].tolist()
    engine = db.make_engine(url)
    signals = store.load_signals(engine, indicators=[INDICATOR])
    engine.dispose()
    published = [_publish(url)]

    # A secret buurt-month of 1-3 whose wijk-month total is 2 modulo 5: one more rounds it up.
    first = published[0]
    signals["wijk"] = signals["buurtcode"].map(
        dict(zip(buurten["code"], buurten["parent_code"], strict=True))
    )
    raw_wijk = signals.groupby(["wijk", "periode"])["teller"].sum()
    secret = _hidden(first)
    candidates = signals[
        [
            (
                ((b, p) not in secret and t == 0 and raw_wijk[(w, p)] % 5 == 1)
                if zeros
                else ((b, p) in secret and 1 <= t <= 3 and raw_wijk[(w, p)] % 5 == 2)
            )
            for b, p, t, w in zip(
                signals["buurtcode"],
                signals["periode"],
                signals["teller"],
                signals["wijk"],
                strict=True,
            )
        ]
    ]
    step = 2.0 if zeros else 1.0
    corrected = candidates.iloc[:: max(1, len(candidates) // CORRECTIONS)][:CORRECTIONS]
    for row in corrected.itertuples():
        engine = db.make_engine(url)
        with engine.begin() as conn:
            s = db.signals.c
            conn.execute(
                update(db.signals)
                .where(
                    and_(
                        s.buurtcode == row.buurtcode,
                        s.periode == row.periode,
                        s.indicator == INDICATOR,
                    )
                )
                .values(teller=float(row.teller) + step)
            )
        engine.dispose()
        published.append(_publish(url))

    # The outsider's variables: every buurt-month, and each corrected one again after.
    base = sorted(zip(signals["buurtcode"], signals["periode"], strict=True))
    index = {cell: i for i, cell in enumerate(base)}
    later = {
        (row.buurtcode, row.periode): (k + 1, len(base) + k)
        for k, row in enumerate(corrected.itertuples())
    }
    n = len(base) + len(later)
    truth = np.zeros(n)
    truth[: len(base)] = signals.set_index(["buurtcode", "periode"]).loc[base, "teller"]
    for (b, p), (_, j) in later.items():
        truth[j] = truth[index[(b, p)]] + step
    rows, cols, lo, hi = [], [], [], []
    for version, table in enumerate(published):
        shown = table[(table["status"] == "") & table["code"].isin(list(within))]
        low, high = bounds(shown["teller_publ"].to_numpy(float), np.ones(len(shown), dtype=bool))
        for code, periode, a, b in zip(shown["code"], shown["periode"], low, high, strict=True):
            members = [
                later[c][1] if c in later and version >= later[c][0] else index[c]
                for c in ((x, m) for x in within[code] for m in _months(periode))
                if c in index
            ]
            rows += [len(lo)] * len(members)
            cols += members
            lo.append(a)
            hi.append(b)
    a_matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(lo), n))
    assert np.all(a_matrix @ truth >= np.array(lo)) and np.all(a_matrix @ truth <= np.array(hi))
    a_ub = sparse.vstack([a_matrix, -a_matrix]).tocsr()
    b_ub = np.concatenate([hi, -np.array(lo)])

    hidden = set()
    for table in published:
        hidden |= _hidden(table)
    targets = [index[c] for c in base if c in hidden] + [j for _, j in later.values()]
    targets = [j for j in targets if 1 <= truth[j] <= 4]
    found = []
    for j in targets:
        c = np.zeros(n)
        c[j] = 1.0
        least = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        most = linprog(-c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        assert least.status == 0 and most.status in (0, 3)
        top = np.inf if most.status == 3 else np.floor(-most.fun + 1e-6)
        interval = np.array([np.ceil(least.fun - 1e-6)]), np.array([top])
        if not protected(*interval)[0]:
            found.append((j, (float(interval[0][0]), float(interval[1][0]))))
    return found


def _nothing_released(engine: object, cluster: object, indicator: str) -> None:
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--demo", help="URL of a demo database (built in a temporary folder if absent)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        demo = args.demo
        if demo is None:
            demo = f"sqlite:///{Path(tmp) / 'demo.db'}"
            engine = db.make_engine(demo)
            build_demo(engine)
            engine.dispose()
        load = releases.load
        for zeros in (True, False):
            for record in (True, False):
                releases.load = load if record else _nothing_released
                url = f"sqlite:///{Path(tmp) / f'c{int(zeros)}{int(record)}.db'}"
                found = pinned(demo, url, zeros)
                what = "gepubliceerde nullen +2" if zeros else "geheime 1-3 +1"
                how = "met het releaseregister" if record else "los beschermd"
                print(f"{what}, {how}: {len(found)} vastgepind {found}", flush=True)
        releases.load = load
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Releases across an indeling: a gemeente published on its 2014 buurten, then on a new indeling
(renumbered buurten and wijken, one buurt split in two, two merged into one). The first
release's cells are on codes that no longer exist; where such an area is exactly a sum of
current buurten (by addresses) it stays in the protection as a ghost, and an outsider who solves
both releases at once, with those sums, pins no secret count."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data import db, frames, store
from data.publication.audit import audit_indicator
from data.publication.build import Published
from data.publication.cells import raw_cells
from data.publication.read import ClusterPublication, open_publication
from data.publication.rebase import exact_unions
from data.publication.releases import ledger_code, load
from indicators.audit import attack
from indicators.disclosure import validated_keys
from indicators.intervals import bounds, protected
from indicators.relations import relations
from tests.data.test_publication_databases import INDICATOR, _fill

ADDRESSES = 10  # per old buurt


def _new_code(code: str) -> str:
    """The renumbering: wijk number + 50 (BU0889WWBB, WK0889WW)."""
    head, wijk, rest = code[:6], int(code[6:8]), code[8:]
    return f"{head}{wijk + 50:02d}{rest}"


def _new_indeling(
    areas: pd.DataFrame,
) -> tuple[pd.DataFrame, list[dict[str, object]], dict[str, tuple[str, ...]]]:
    """The 2024 areas, the address links of both indelingen, and what became of the old buurten
    (old code -> the new buurten it went to)."""
    old = areas[areas["indeling_jaar"] == 2014]
    buurten = sorted(old.loc[old["level"] == "buurt", "code"])
    split, merged = buurten[0], buurten[-2:]
    new = old.copy()
    new["indeling_jaar"] = 2024
    renamed = new["level"] != "gemeente"
    new.loc[renamed, "code"] = new.loc[renamed, "code"].map(_new_code)
    new.loc[new["level"] == "buurt", "parent_code"] = new.loc[
        new["level"] == "buurt", "parent_code"
    ].map(_new_code)
    halves = new[new["code"] == _new_code(split)].copy()
    halves["code"] = [_new_code(split)[:-2] + "91"]
    new.loc[new["code"] == _new_code(split), "code"] = _new_code(split)[:-2] + "90"
    new = new[new["code"] != _new_code(merged[1])]
    new = pd.concat([new, halves], ignore_index=True)
    went: dict[str, tuple[str, ...]] = {}
    links: list[dict[str, object]] = []
    for b in buurten:
        for i in range(ADDRESSES):
            bag = f"{b}{i:06d}"
            if b == split:
                to = _new_code(b)[:-2] + ("90" if i < 4 else "91")
            elif b == merged[1]:
                to = _new_code(merged[0])
            else:
                to = _new_code(b)
            links.append({"bag_id": bag, "indeling_jaar": 2014, "buurtcode": b})
            links.append({"bag_id": bag, "indeling_jaar": 2024, "buurtcode": to})
            went.setdefault(b, ())
            went[b] = tuple(sorted({*went[b], to}))
    return new, links, went


def _publish(url: str) -> tuple[ClusterPublication, Published]:
    engine = db.make_engine(url)
    try:
        pub = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
        return pub, pub.published(INDICATOR)
    finally:
        engine.dispose()


def test_a_release_on_an_earlier_indeling_stays_in_the_protection(
    demo_url: str, db_url: str
) -> None:
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=["GM0889"])
    demo.dispose()
    _fill(db_url, areas)
    _, first = _publish(db_url)
    new, links, went = _new_indeling(areas)
    engine = db.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(db.address_buurten.insert(), links)
        store.save_interventions(  # relations change too: statuses would differ
            conn,
            pd.DataFrame(
                [
                    {
                        "id": "tweede",
                        "naam": "Tweede",
                        "soort": "controleavond",
                        "start": date(2023, 1, 1),
                        "eind": None,
                        "partners": ["gemeente"],
                        "buurtcodes": sorted(new.loc[new["level"] == "buurt", "code"])[-3:],
                    }
                ]
            ),
        )
    store.save_areas(engine, new)

    # Which old areas are sums of new buurten: renumbered and split ones, every wijk; not the
    # two merged buurten (each is only part of its new buurt).
    old_codes = sorted(set(areas.loc[areas["level"] != "gemeente", "code"]))
    unions = exact_unions(engine, {"GM0889": 2024}, old_codes)
    merged = [b for b, to in went.items() if sum(to == t for t in went.values()) > 1]
    assert len(merged) == 2 and not set(merged) & set(unions)
    for b, to in went.items():
        if b not in merged:
            assert unions[b] == to
    wijken = areas.loc[areas["level"] == "wijk", "code"]
    assert set(wijken) <= set(unions)
    engine.dispose()

    pub, second = _publish(db_url)
    assert second.table["code"].isin(set(new["code"]) - {"GM0889"}).any()
    assert not second.table["code"].isin(old_codes).any()  # only the new indeling is shown
    (found,) = audit_indicator(pub, INDICATOR)
    assert found.ok, found
    assert found.cellen > int((second.table["status"] != ".").sum())  # the ghosts took part

    # The outsider's own attack: both releases, each old area as the sum of its new buurten.
    engine = db.make_engine(db_url)
    earlier = load(engine, pub.cluster, INDICATOR)
    engine.dispose()
    ghosts = earlier.groups[earlier.groups["soort"] == "groep"]
    assert {ledger_code(c, m) for c, m in unions.items()} <= set(ghosts["code"])
    groups = pd.concat(
        [
            second.groups.assign(
                code=[ledger_code(str(r.code), r.leden) for r in frames.rows(second.groups)]
            ),
            pd.DataFrame({"code": ghosts["code"], "leden": ghosts["leden"]}),
        ],
        ignore_index=True,
    ).drop_duplicates("code")
    groups = groups.assign(interventie="", rol="eerder", start=None, indicator=INDICATOR)
    data = pub.data
    cells, memberships = raw_cells(
        data.signals,
        data.deliveries,
        data.plain_areas,
        indicator=INDICATOR,
        regions=data.cluster.regions,
        groups=groups,
    )
    key = cells["code"] + "|" + cells["periode"]
    rename = {c: ledger_code(c, m) for c, m in unions.items()}
    old_known = pd.Series(
        first.table["teller_publ"].to_numpy(),
        index=first.table["code"].map(lambda c: rename.get(c, c)) + "|" + first.table["periode"],
    )
    new_codes = second.table["code"].map(
        lambda c: (
            ledger_code(c, second.groups.set_index("code")["leden"][c])
            if c in set(second.groups["code"])
            else c
        )
    )
    new_known = pd.Series(
        second.table["teller_publ"].to_numpy(), index=new_codes + "|" + second.table["periode"]
    )
    old_known = old_known[old_known.index.str.contains("#", regex=False)]  # old areas only
    raw = cells["teller"].to_numpy(dtype=float)
    knowledge = [key.map(k).to_numpy(dtype=float) for k in (old_known, new_known)]
    lows, highs = zip(*(bounds(k, ~np.isnan(k)) for k in knowledge), strict=True)
    secret = ~np.isnan(raw) & np.isnan(knowledge[0]) & np.isnan(knowledge[1])
    targets = np.flatnonzero(secret & (raw > 0) & (raw < 5)).astype(np.int64)
    assert len(targets) > 20
    found_lp = attack(
        relations(validated_keys(cells), memberships, np.isnan(raw)),
        np.maximum(*lows),
        np.minimum(*highs),
        ~np.isnan(raw),
        targets,
        known=np.nan_to_num(raw),
    )
    pinned = ~protected(found_lp.lo, found_lp.hi)
    assert not pinned.any(), key.iloc[targets[pinned]].tolist()

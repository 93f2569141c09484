"""Releases across an indeling: a gemeente published on its 2014 buurten, then on a new indeling
(renumbered buurten and wijken, one buurt split in two, two merged into one; re-based, each old
buurt's counts go wholly to the new buurt with most of its addresses). The first
release's cells are on codes that no longer exist; where such an area is exactly a sum of
current buurten (by addresses) it stays in the protection as a ghost, and an outsider who solves
both releases at once, with those sums, pins no secret count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pytest

from data import db, store
from data.publication.audit import audit_indicator
from data.publication.build import Published, protected_cells
from data.publication.read import ClusterPublication, open_publication
from data.publication.rebase import old_areas
from data.publication.releases import Earlier, ledger_code, load, part_code
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
            # re-based wholly to the buurt with most of its addresses: the split one's to "91"
            went[b] = (to,) if b != split or to.endswith("91") else went.get(b, (to,))
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
    pinned = _two_releases(demo_url, db_url, audit=True)
    assert not pinned, pinned


def test_without_the_old_areas_the_two_releases_give_a_count_away(
    demo_url: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case has teeth: published as if nothing had been released on the old buurten, the
    second release and the first together pin a merged buurt's old count to [0, 2]."""
    from data.publication import releases

    vanished = releases._vanished
    monkeypatch.setattr(releases, "_vanished", lambda engine, cluster, earlier: earlier)
    # (the outsider's system below still holds the old areas: ``vanished`` itself)
    pinned = _two_releases(demo_url, sqlite_url, audit=False, attacker=vanished)
    assert pinned


def _two_releases(
    demo_url: str, db_url: str, *, audit: bool, attacker: Callable[..., Earlier] | None = None
) -> list[str]:
    """Publish on the old indeling, move to the new one (and register an intervention), publish
    again; the secret cells the outsider pins with both releases at once."""
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

    # Which old areas are sums of new buurten: renumbered and split ones, every wijk; the two
    # merged buurten are parts of their new buurt.
    old_codes = sorted(set(areas.loc[areas["level"] != "gemeente", "code"]))
    found = old_areas(engine, {"GM0889": 2024}, old_codes)
    merged = {b: to[0] for b, to in went.items() if sum(to == t for t in went.values()) > 1}
    assert len(merged) == 2 and found.merged == merged
    assert not set(merged) & set(found.unions)
    for b, to in went.items():
        if b not in merged:
            assert found.unions[b] == to
    wijken = areas.loc[areas["level"] == "wijk", "code"]
    assert set(wijken) <= set(found.unions)
    engine.dispose()

    pub, second = _publish(db_url)
    assert second.table["code"].isin(set(new["code"]) - {"GM0889"}).any()
    assert not second.table["code"].isin(old_codes).any()  # only the new indeling is shown
    if audit:
        (result,) = audit_indicator(pub, INDICATOR)
        assert result.ok, result
        assert result.cellen > int((second.table["status"] != ".").sum())  # ghosts took part

    # The outsider's own attack: both releases, each old area as the sum of its new buurten,
    # each merged new buurt as the sum of its old ones.
    engine = db.make_engine(db_url)
    earlier = load(engine, pub.cluster, INDICATOR)
    if attacker is not None:
        earlier = attacker(engine, pub.cluster, earlier)
    engine.dispose()
    rename = {c: ledger_code(c, m) for c, m in found.unions.items()}
    rename.update({c: part_code(c, into) for c, into in found.merged.items()})
    assert set(rename.values()) <= set(earlier.groups["code"])
    cells, memberships = protected_cells(pub.data, INDICATOR, second.groups, earlier)
    parts = cells[cells["code"].isin([rename[c] for c in merged])]
    assert parts["teller"].notna().sum() > 20  # the merged buurten's old counts take part
    key = cells["code"] + "|" + cells["periode"]
    old_known = pd.Series(
        first.table["teller_publ"].to_numpy(),
        index=first.table["code"].map(lambda c: rename.get(c, c)) + "|" + first.table["periode"],
    )
    old_known = old_known[old_known.index.str.contains("#", regex=False)]  # old areas only
    group_members = second.groups.set_index("code")["leden"]
    new_codes = second.table["code"].map(
        lambda c: ledger_code(c, group_members[c]) if c in group_members.index else c
    )
    new_known = pd.Series(
        second.table["teller_publ"].to_numpy(), index=new_codes + "|" + second.table["periode"]
    )
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
    return list(key.iloc[targets[pinned]])

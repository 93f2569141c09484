"""What earlier releases showed, so that a new publication stays consistent with them.

A publication is protected against the numbers published *with* it. But figures leave the
server again and again (a CSV in October, a briefing in November), and between two releases the
relations can change: an intervention is registered (its group series ties buurten of several
wijken), a region is formed, a quarter or a year becomes complete, a comparison group is chosen
again. Protected from scratch, the new release may hide a cell the old one showed and show a
total the old one hid; an outsider holding both solves the equations of both at once, and on the
demo that pinned 72 secret cells (docs/methoden.md, "Releases over time").

So every publication records each cell's status with the raw count it had (``record``), and the
members of every group series it showed. The next publication of the cluster
(``data.publication.build.publish_indicator``, ``earlier``):

- keeps the status of every cell whose count is the same (``indicators.disclosure.disclose``,
  ``released``): shown stays shown with the same rounded value, secret stays secret, and a new
  relation is protected around them;
- keeps every group series or region released before with other members (a comparison group
  chosen again when another intervention took buurten out of the pool; a region that gained or
  lost a gemeente) in the attacker's system, as a *ghost*: its relation and what was released of
  it take part in the protection; it is not shown again.

A group or region cell is recorded under its code and a digest of its members (``ledger_code``):
the same name with other members is another sum. A corrected count is a new cell. Cells released
on buurten and wijken of an earlier indeling become ghosts too, where the old area is a sum of
current buurten, and old buurten merged into a current one as its parts (``_vanished``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, select, tuple_
from sqlalchemy.exc import IntegrityError

from data import db, frames, store
from data.publication.cells import GROUP_COLUMNS
from data.publication.rebase import old_areas
from data.publication.scope import Cluster
from geo.areas import gemeente_of
from indicators.disclosure import RELEASE_COLUMNS

CHUNK = 500
Regions = Sequence[tuple[str, Sequence[str]]]
GHOST = "#"
DEEL = "deel"  # ``release_groups.soort`` of an old buurt merged into a current one


@dataclass(frozen=True)
class Earlier:
    """What earlier releases of one indicator in a cluster showed: ``cells`` (``indicator`` and
    ``RELEASE_COLUMNS``, group and region cells under their ``ledger_code``) and the members of
    the group series and regions they showed (``groups``: ``code`` (a ledger code), ``soort``
    ("groep" or "regio"), ``leden``)."""

    cells: pd.DataFrame
    groups: pd.DataFrame


def ledger_code(code: str, members: Sequence[str]) -> str:
    """A group cell's name in the record: its code and a digest of its members."""
    digest = hashlib.sha256("|".join(sorted(members)).encode()).hexdigest()[:12]
    return f"{code}{GHOST}{digest}"


def ghosts(earlier: Earlier | None, groups: pd.DataFrame) -> pd.DataFrame:
    """Group series released before whose members no current group has (``GROUP_COLUMNS``, code
    a ledger code): they stay in the attacker's system."""
    if earlier is None or earlier.groups.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    current = {ledger_code(str(r.code), r.leden) for r in frames.rows(groups)}
    old = earlier.groups[
        (earlier.groups["soort"] == "groep") & ~earlier.groups["code"].isin(current)
    ]
    return pd.DataFrame(
        {
            "code": old["code"].astype(str),
            "interventie": "",
            "rol": "eerder",
            "start": None,
            "indicator": groups["indicator"].iloc[0] if len(groups) else "",
            "leden": old["leden"].map(tuple),
        },
        columns=GROUP_COLUMNS,
    )


def ghost_regions(earlier: Earlier | None, regions: Regions) -> list[tuple[str, tuple[str, ...]]]:
    """Regions released before whose members no current region has: (ledger code, members)."""
    if earlier is None or earlier.groups.empty:
        return []
    current = {ledger_code(r, m) for r, m in regions}
    old = earlier.groups[
        (earlier.groups["soort"] == "regio") & ~earlier.groups["code"].isin(current)
    ]
    return [(str(c), tuple(m)) for c, m in zip(old["code"], old["leden"], strict=True)]


def _renames(groups: pd.DataFrame, regions: Regions) -> dict[str, str]:
    """Current code -> ledger code of every group series and region."""
    out = {str(r.code): ledger_code(str(r.code), r.leden) for r in frames.rows(groups)}
    out.update({r: ledger_code(r, m) for r, m in regions})
    return out


def _renamed(codes: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``codes`` with the ones in ``mapping`` replaced."""
    mapped = codes.map(mapping).astype(object).to_numpy()
    plain = codes.to_numpy(dtype=object)
    return pd.Series(np.where(pd.isna(mapped), plain, mapped), index=codes.index, dtype=str)


def as_current(
    earlier: Earlier | None, groups: pd.DataFrame, regions: Regions, name: str
) -> pd.DataFrame | None:
    """The recorded cells of ``name`` under the codes of this publication: a group or region
    cell whose members are the same gets its current code, a ghost keeps its ledger code."""
    if earlier is None:
        return None
    cells = earlier.cells[earlier.cells["indicator"] == name]
    rename = {v: k for k, v in _renames(groups, regions).items()}
    return cells.assign(code=_renamed(cells["code"], rename))


def release_rows(
    protected: pd.DataFrame, groups: pd.DataFrame, regions: Regions, name: str
) -> pd.DataFrame:
    """The record of protected counts (``level`` and ``RELEASE_COLUMNS``; ghosts left out):
    status and raw count per cell, group and region cells under their ledger code."""
    out = protected[["code", "periode", "gemeentecode", "status", "teller"]]
    summed = protected["level"].isin(["groep", "regio"]).to_numpy()
    if summed.any():
        ghost = summed & out["code"].astype(str).str.contains(GHOST, regex=False).to_numpy()
        out = out[~ghost]
        out = out.assign(code=_renamed(out["code"], _renames(groups, regions)))
    return out.assign(indicator=name)


def load(engine: Engine, cluster: Cluster, indicator: str) -> Earlier:
    """Earlier releases of ``indicator`` (and of its protected noemer) in ``cluster``."""
    t = db.releases.c
    names = [indicator, indicator + ":noemer"]
    own = t.gemeentecode.in_(list(cluster.gemeenten))
    where = t.indicator.in_(names) & (own | (t.gemeentecode == ""))
    g = db.release_groups.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.indicator, t.code, t.periode, t.status, t.teller).where(where)
        ).all()
        members = conn.execute(
            select(g.code, g.soort, g.leden).where(
                (g.indicator == indicator) & g.gemeentecode.in_(list(cluster.gemeenten))
            )
        ).all()
    groups = pd.DataFrame(members, columns=["code", "soort", "leden"])
    groups["leden"] = groups["leden"].map(lambda text: tuple(str(text).split("|")))
    cells = pd.DataFrame(rows, columns=["indicator", *RELEASE_COLUMNS])
    return _vanished(engine, cluster, Earlier(cells, groups))


def _vanished(engine: Engine, cluster: Cluster, earlier: Earlier) -> Earlier:
    """Cells released on buurten and wijken of an earlier indeling (``data.publication.rebase.
    old_areas``): a ghost where the old area is a sum of current buurten (a renumbered or split
    buurt, a wijk whose buurten were re-divided inside it), a part (``DEEL``) of the current
    buurt an old buurt was merged into; either way the new publication is protected together
    with what was shown of them."""
    codes = earlier.cells["code"].astype(str)
    plain = sorted(set(codes[~codes.str.contains(GHOST, regex=False)]))
    if not plain:
        return earlier
    a = db.areas.c
    current = {
        str(code)
        for code, gemeente, jaar in store.read_frame(
            engine,
            select(a.code, a.gemeentecode, a.indeling_jaar).where(
                a.gemeentecode.in_(list(cluster.gemeenten))
            ),
        ).itertuples(index=False, name=None)
        if int(jaar) == cluster.jaar(str(gemeente))
    }
    gone = [c for c in plain if c not in current]
    found = old_areas(engine, dict(cluster.indelingen), gone) if gone else None
    if found is None or not (found.unions or found.merged):
        return earlier
    rename = {code: ledger_code(code, members) for code, members in found.unions.items()}
    rename.update({code: part_code(code, into) for code, into in found.merged.items()})
    added = pd.DataFrame(
        {
            "code": [rename[c] for c in [*found.unions, *found.merged]],
            "soort": ["groep"] * len(found.unions) + [DEEL] * len(found.merged),
            "leden": [*found.unions.values(), *((into,) for into in found.merged.values())],
        }
    )
    return Earlier(
        earlier.cells.assign(code=_renamed(codes, rename)),
        pd.concat([earlier.groups, added], ignore_index=True),
    )


def part_code(old: str, into: str) -> str:
    """The name in the publication of old buurt ``old``, merged into current buurt ``into``."""
    return ledger_code(old, (into,))


def merged_parts(earlier: Earlier | None) -> dict[str, tuple[str, str]]:
    """Per old buurt merged into a current one (``part_code`` -> (old buurt, current buurt)):
    its cells stay in the protection, as parts of the current buurt, and are not shown."""
    if earlier is None or earlier.groups.empty:
        return {}
    rows = earlier.groups[earlier.groups["soort"] == DEEL]
    return {
        str(code): (str(code).split(GHOST)[0], str(leden[0]))
        for code, leden in zip(rows["code"], rows["leden"], strict=True)
    }


def record(
    engine: Engine,
    rows: pd.DataFrame,
    groups: pd.DataFrame,
    regions: Regions,
    indicator: str,
    earlier: Earlier | None = None,
) -> None:
    """Store ``rows`` (``release_rows``) as the latest release of their cells, and the members
    of the group series (``GROUP_COLUMNS``) they show. Only what ``earlier`` (the record this
    publication was made with) does not hold yet is written: a new cell is added, a changed one
    replaced."""
    columns = ["indicator", "code", "periode", "gemeentecode", "status", "teller"]
    key = ["indicator", "code", "periode"]
    before = (
        earlier.cells if earlier is not None else pd.DataFrame(columns=[*key, "status", "teller"])
    )
    merged = rows[columns].merge(
        before[[*key, "status", "teller"]].drop_duplicates(key),
        on=key,
        how="left",
        suffixes=("", "_eerder"),
        indicator="bron",
    )
    known = (merged["bron"] == "both").to_numpy()
    same_count = (merged["teller"] == merged["teller_eerder"]) | (
        merged["teller"].isna() & merged["teller_eerder"].isna()
    )
    same = known & (merged["status"] == merged["status_eerder"]).to_numpy() & same_count
    write = merged.loc[~same, columns]
    replaced = {tuple(r) for r in merged.loc[known & ~same, key].itertuples(index=False)}
    records: list[dict[str, object]] = [
        dict(zip(columns, (*row[:5], None if pd.isna(row[5]) else float(row[5])), strict=True))
        for row in write.itertuples(index=False, name=None)
    ]
    had = set() if earlier is None else set(earlier.groups["code"])
    summed = [("groep", str(r.code), tuple(r.leden)) for r in frames.rows(groups)]
    summed += [("regio", r, tuple(m)) for r, m in regions]
    members: list[dict[str, object]] = [
        {
            "indicator": indicator,
            "code": code,
            "gemeentecode": gemeente_of(leden[0]),
            "soort": soort,
            "leden": "|".join(leden),
        }
        for soort, name, leden in summed
        if leden and (code := ledger_code(name, leden)) not in had
    ]
    replaced_keys = [dict(zip(key, k, strict=True)) for k in sorted(replaced)]
    try:
        _write(engine, replaced_keys, records, members)
    except IntegrityError:  # another process recorded some of them meanwhile: the last one wins
        _write(engine, records, records, members, replace_members=True)


def _write(
    engine: Engine,
    replaced: list[dict[str, object]],
    records: list[dict[str, object]],
    members: list[dict[str, object]],
    *,
    replace_members: bool = False,
) -> None:
    """Delete the ``replaced`` keys, insert ``records`` and ``members``, in one transaction."""
    t, g = db.releases.c, db.release_groups.c
    with engine.begin() as conn:
        for chunk in _chunks(replaced):
            keys = [(r["indicator"], r["code"], r["periode"]) for r in chunk]
            conn.execute(
                delete(db.releases).where(tuple_(t.indicator, t.code, t.periode).in_(keys))
            )
        if replace_members:
            for chunk in _chunks(members):
                pairs = [(r["indicator"], r["code"]) for r in chunk]
                conn.execute(
                    delete(db.release_groups).where(tuple_(g.indicator, g.code).in_(pairs))
                )
        if records:
            conn.execute(insert(db.releases), records)
        if members:
            conn.execute(insert(db.release_groups), members)


def _chunks(records: list[dict[str, object]]) -> Iterable[list[dict[str, object]]]:
    for start in range(0, len(records), CHUNK):
        yield records[start : start + CHUNK]

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
the same name with other members is another sum. A corrected count is a new version: the old
ones stay in ``release_versions`` and in the protection (``indicators.versions``). Every cell
is recorded with the indeling it was released on; cells of buurten and wijken of an earlier
indeling (a code gone, or a code that now names another area) become ghosts too, where the old
area is a sum of current buurten, old buurten merged into a current one its parts, and old
wijken the sum of their old buurten (``_vanished``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from data import db, frames, store
from data.publication.cells import GROUP_COLUMNS
from data.publication.rebase import OldAreas, old_areas
from data.publication.scope import Cluster
from geo.areas import gemeente_of
from geo.errors import WijkmonitorError
from indicators.disclosure import KEPT, RELEASE_COLUMNS
from indicators.versions import VERSION_COLUMNS

CHUNK = 500
Regions = Sequence[tuple[str, Sequence[str]]]
GHOST = "#"
AT = "@"  # in the record, ``code@indeling_jaar``: a cell of an earlier indeling whose code
# a later indeling gave to another area (``record``)
DEEL = "deel"  # ``release_groups.soort`` of an old buurt merged into a current one
SOM = "som"  # an old wijk as the sum of its old buurten (each a ghost, a part or current)
SPOOK = "spook"  # ``release_rows``: a ghost's row, not recorded


@dataclass(frozen=True)
class Earlier:
    """What earlier releases of one indicator in a cluster showed: ``cells`` (``indicator`` and
    ``RELEASE_COLUMNS`` and ``van``, the release it first went out in; group and region cells
    under their ``ledger_code``), the members of the group series and regions they showed
    (``groups``: ``code`` (a ledger code), ``soort`` ("groep" or "regio"), ``leden``), and the
    versions of cells superseded since (``versions``: ``indicator`` and ``VERSION_COLUMNS``)."""

    cells: pd.DataFrame
    groups: pd.DataFrame
    versions: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["indicator", *VERSION_COLUMNS])
    )

    def sleutels(self) -> list[str]:
        """The codes of the recorded cells as released (without ``AT`` marks or renames)."""
        if "sleutel" not in self.cells.columns:
            return [str(c) for c in self.cells["code"]]
        return [str(c) for c in _unmarked(self.cells["sleutel"])[0]]


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


def versions_as_current(
    earlier: Earlier | None, groups: pd.DataFrame, regions: Regions, name: str
) -> pd.DataFrame | None:
    """The superseded versions of ``name`` (``VERSION_COLUMNS``) under the codes of this
    publication, as ``as_current`` names the cells."""
    if earlier is None or earlier.versions.empty:
        return None
    old = earlier.versions[earlier.versions["indicator"] == name]
    rename = {v: k for k, v in _renames(groups, regions).items()}
    return old.assign(code=_renamed(old["code"], rename))


def release_rows(
    protected: pd.DataFrame, groups: pd.DataFrame, regions: Regions, name: str
) -> pd.DataFrame:
    """The record of protected counts (``level`` and ``RELEASE_COLUMNS``): status and raw count
    per cell, group and region cells under their ledger code; ghosts (``SPOOK``) under their
    own name, not recorded, only to see whether an old area's count changed (``record``)."""
    out = protected[["code", "periode", "gemeentecode", "status", "teller"]].assign(
        **{KEPT: protected[KEPT] if KEPT in protected.columns else True}
    )
    summed = protected["level"].isin(["groep", "regio"]).to_numpy()
    ghost = summed & out["code"].astype(str).str.contains(GHOST, regex=False).to_numpy()
    if summed.any():
        shown = _renamed(out["code"], _renames(groups, regions))
        out = out.assign(code=np.where(ghost, out["code"].astype(str), shown))
    return out.assign(indicator=name, **{SPOOK: ghost})


def load(engine: Engine, cluster: Cluster, indicator: str) -> Earlier:
    """Earlier releases of ``indicator`` (and of its protected noemer) in ``cluster``."""
    t = db.releases.c
    names = [indicator, indicator + ":noemer"]
    own = t.gemeentecode.in_(list(cluster.gemeenten))
    where = t.indicator.in_(names) & (own | (t.gemeentecode == ""))
    g = db.release_groups.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t.indicator,
                t.code,
                t.periode,
                t.status,
                t.teller,
                t.van,
                t.tot,
                t.gemeentecode,
                t.indeling_jaar,
            ).where(where)
        ).all()
        v = db.release_versions.c
        superseded = conn.execute(
            select(v.indicator, *(v[c] for c in VERSION_COLUMNS)).where(
                v.indicator.in_(names)
                & (v.gemeentecode.in_(list(cluster.gemeenten)) | (v.gemeentecode == ""))
            )
        ).all()
        members = conn.execute(
            select(g.code, g.soort, g.leden).where(
                (g.indicator == indicator) & g.gemeentecode.in_(list(cluster.gemeenten))
            )
        ).all()
    groups = pd.DataFrame(members, columns=["code", "soort", "leden"])
    groups["leden"] = groups["leden"].map(lambda text: tuple(str(text).split("|")))
    cells = pd.DataFrame(
        rows, columns=["indicator", *RELEASE_COLUMNS, "van", "tot", "gemeentecode", "indeling"]
    )
    cells["van"] = cells["van"].fillna(0).astype(np.int64)
    # ``sleutel``: its code in the record (``_vanished`` renames some cells, ``AT`` marks a
    # cell of an earlier indeling whose code went to another area)
    cells["sleutel"] = cells["code"]
    cells["code"], at = _unmarked(cells["sleutel"])
    cells["indeling"] = at.fillna(pd.to_numeric(cells["indeling"], errors="coerce"))
    versions = pd.DataFrame(superseded, columns=["indicator", *VERSION_COLUMNS])
    versions["sleutel"] = versions["code"]
    versions["code"], versions["indeling"] = _unmarked(versions["sleutel"])
    return _vanished(engine, cluster, Earlier(cells, groups, versions))


def _unmarked(keys: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Codes in the record without their ``AT`` mark, and the indeling it names (NaN: none)."""
    keys = keys.astype(str)
    if keys.empty:
        return keys, pd.Series(np.nan, index=keys.index, dtype=float)
    parts = keys.str.partition(AT)
    marked = (parts[1] == AT) & ~keys.str.contains(GHOST, regex=False)
    codes = keys.where(~marked, parts[0])
    jaar = pd.to_numeric(parts[2].where(marked), errors="coerce")
    return codes, jaar


def _vanished(engine: Engine, cluster: Cluster, earlier: Earlier) -> Earlier:
    """Cells released on buurten and wijken of an earlier indeling (``data.publication.rebase.
    old_areas``): a ghost where the old area is a sum of current buurten (a renumbered or split
    buurt, a wijk whose buurten were re-divided inside it or that lost one to another wijk while
    keeping its code), a part (``DEEL``) of the current buurt an old buurt was merged into; either
    way the new publication is protected together with what was shown of them. A cell is of an
    earlier indeling when its code is no current one or it was released on another indeling;
    one whose code now names the same area stays what it is."""
    cells = earlier.cells
    codes = cells["code"].astype(str)
    plain = ~codes.str.contains(GHOST, regex=False)
    if not plain.any():
        return earlier
    jaren = dict(cluster.indelingen)
    a = db.areas.c
    areas = store.read_frame(
        engine,
        select(a.code, a.level, a.parent_code, a.gemeentecode, a.indeling_jaar).where(
            a.gemeentecode.in_(list(cluster.gemeenten))
        ),
    )
    now = areas[areas["indeling_jaar"].astype(int) == areas["gemeentecode"].map(jaren)]
    current = set(now["code"].astype(str))
    released_on = pd.to_numeric(cells["indeling"], errors="coerce")
    published_on = cells["gemeentecode"].map(jaren)
    other = released_on.notna() & published_on.notna() & (released_on != published_on)
    old = (plain & (~codes.isin(current) | other)).to_numpy()
    if not old.any():
        return earlier
    buurten = now[now["level"] == "buurt"]
    same_as: dict[str, tuple[str, ...]] = {str(c): (str(c),) for c in buurten["code"]}
    for wijk, group in buurten.groupby("parent_code"):
        same_as[str(wijk)] = tuple(sorted(group["code"].astype(str)))
    # Per indeling released on (unknown for cells recorded before it was kept: any earlier
    # indeling, where they all agree), as ``old_areas`` finds them.
    versions = earlier.versions
    v_codes = versions["code"].astype(str)
    of_cell = dict(zip(cells["sleutel"], released_on, strict=True))
    v_on = versions["indeling"].fillna(versions["sleutel"].map(of_cell))
    v_plain = ~v_codes.str.contains(GHOST, regex=False)
    v_old = (v_plain & (~v_codes.isin(current) | v_on.notna())).to_numpy()
    renamed, v_renamed = codes.to_numpy(dtype=object), v_codes.to_numpy(dtype=object)
    added = []
    names: dict[str, str | None] = {}  # old code -> its name now (None: two names)
    for jaar in [*sorted({int(j) for j in released_on[old].dropna()}), None]:
        rows = old & (released_on.isna() if jaar is None else released_on == jaar).to_numpy()
        v_rows = v_old & (v_on.isna() if jaar is None else v_on == jaar).to_numpy()
        if not rows.any() and not v_rows.any():
            continue
        wanted = sorted(set(codes[rows]) | set(v_codes[v_rows]))
        rename, groups = _old_names(old_areas(engine, jaren, wanted, jaar=jaar), same_as)
        for code, name in rename.items():
            names[code] = name if names.get(code, name) == name else None
        renamed[rows] = _renamed(codes[rows], rename).to_numpy(dtype=object)
        v_renamed[v_rows] = _renamed(v_codes[v_rows], rename).to_numpy(dtype=object)
        added.append(groups)
    return Earlier(
        cells.assign(code=renamed.astype(str)),
        pd.concat(
            [_old_groups(earlier.groups, names, current), *added], ignore_index=True
        ).drop_duplicates("code"),
        versions.assign(code=v_renamed.astype(str)),
    )


def _old_groups(
    groups: pd.DataFrame, names: Mapping[str, str | None], current: set[str]
) -> pd.DataFrame:
    """``groups`` with every group series released on buurten of an earlier indeling (a
    member whose code is gone) as the sum (``SOM``) of its members' names now: ghosts, parts
    or current buurten. Its relation stays in the protection after its buurten were renamed."""
    soorten, members = [], []
    for row in frames.rows(groups):
        leden = tuple(str(m) for m in row.leden)
        now = [m if m in current and m not in names else names.get(m) for m in leden]
        named = [m for m in now if m is not None]
        old = row.soort == "groep" and not all(m in current for m in leden)
        if old and len(named) == len(leden):
            soorten.append(SOM)
            members.append(tuple(named))
        else:
            soorten.append(row.soort)
            members.append(leden)
    return groups.assign(soort=soorten, leden=pd.Series(members, index=groups.index, dtype=object))


def _old_names(
    found: OldAreas, same_as: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, str], pd.DataFrame]:
    """The names in this publication of the areas of one earlier indeling (old code -> ghost,
    part or sum), and their groups (``Earlier.groups``). An old code whose area is the current
    one of that code (``same_as``: its current buurten) keeps its name."""
    unions = {c: u for c, u in found.unions.items() if same_as.get(c) != tuple(sorted(u))}
    rename = {code: ledger_code(code, members) for code, members in unions.items()}
    rename.update({code: part_code(code, into) for code, into in found.merged.items()})
    sums = {wijk: tuple(rename.get(b, b) for b in buurten) for wijk, buurten in found.sums.items()}
    rename.update({wijk: ledger_code(wijk, names) for wijk, names in sums.items()})
    groups = pd.DataFrame(
        {
            "code": [rename[c] for c in [*unions, *found.merged, *sums]],
            "soort": ["groep"] * len(unions) + [DEEL] * len(found.merged) + [SOM] * len(sums),
            "leden": [
                *unions.values(),
                *((into,) for into in found.merged.values()),
                *sums.values(),
            ],
        },
        columns=["code", "soort", "leden"],
    )
    return rename, groups


def check_placed(
    earlier: Earlier, unplaced: Mapping[str, Sequence[str]], jaren: Mapping[str, int]
) -> None:
    """Stop when signals of buurten an earlier release showed found no place on the current
    indeling (no addresses, no shape: ``Rebased.unplaced``): left out, they would be given
    away by the difference between the totals released then and now."""
    shown = set(earlier.sleutels())
    for gemeente, codes in sorted(unplaced.items()):
        lost = sorted(set(codes) & shown)
        if lost:
            named = ", ".join(lost[:5]) + (f" en {len(lost) - 5} meer" if len(lost) > 5 else "")
            raise WijkmonitorError(
                f"{gemeente} wordt niet gepubliceerd: signalen op buurten van een eerdere "
                f"indeling ({named}) zijn niet om te rekenen naar indeling {jaren[gemeente]} "
                "(er zijn geen adressen en geen grenzen van die buurten geladen), terwijl "
                "eerder gepubliceerde cijfers ze bevatten; zonder ze gaf het verschil met die "
                "cijfers ze prijs. Laad de BAG-adressen voor beide indelingen, of de grenzen "
                "van die buurten, en publiceer opnieuw."
            )


def part_code(old: str, into: str) -> str:
    """The name in the publication of old buurt ``old``, merged into current buurt ``into``."""
    return ledger_code(old, (into,))


def summed_wijken(earlier: Earlier | None) -> dict[str, tuple[str, ...]]:
    """Per old wijk that is the sum of its old buurten' cells (name -> their names in this
    publication: ghosts, parts or current buurten): it stays in the protection, not shown."""
    if earlier is None or earlier.groups.empty:
        return {}
    rows = earlier.groups[earlier.groups["soort"] == SOM]
    return {str(c): tuple(m) for c, m in zip(rows["code"], rows["leden"], strict=True)}


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
    indelingen: Mapping[str, int] | None = None,
) -> None:
    """Store ``rows`` (``release_rows``) as the latest release of their cells, and the members
    of the group series (``GROUP_COLUMNS``) they show. Only what ``earlier`` (the record this
    publication was made with) does not hold yet is written: a new cell is added, a changed one
    replaced, and where its count changed the old version is kept (``release_versions``, until
    this release) for the protection of the next (``indicators.versions``).

    ``indelingen``: per gemeente, the indeling it is published on; recorded with each cell. A
    cell of an earlier indeling whose code this one gives to another area stays in the record,
    with its versions, as ``code@indeling_jaar`` (``AT``)."""
    jaren = dict(indelingen or {})
    spook = rows[SPOOK].to_numpy(dtype=bool) if SPOOK in rows.columns else np.zeros(len(rows), bool)
    now_ghosts, rows = rows[spook], rows[~spook]
    columns = ["indicator", "code", "periode", "gemeentecode", "status", "teller"]
    key = ["indicator", "code", "periode"]
    before = earlier.cells if earlier is not None else _no_cells()
    merged = rows[columns].merge(
        before[[*key, "status", "teller", "van", "tot"]].drop_duplicates(key),
        on=key,
        how="left",
        suffixes=("", "_eerder"),
        indicator="bron",
    )
    known = (merged["bron"] == "both").to_numpy()
    same_count = (
        np.isclose(
            merged["teller"].to_numpy(dtype=float),
            merged["teller_eerder"].to_numpy(dtype=float),
            rtol=0.0,
            atol=1e-6,
        )
        | (merged["teller"].isna() & merged["teller_eerder"].isna()).to_numpy()
    )
    still = merged["tot"].isna().to_numpy()  # in every release since it first went out
    # ``KEPT``: not a total that adds up to the same count over changed ones (another sum)
    recorded = rows[KEPT].to_numpy(dtype=bool) if KEPT in rows.columns else True
    kept = same_count & still & recorded
    same = known & (merged["status"] == merged["status_eerder"]).to_numpy() & kept
    replaced = {tuple(r) for r in merged.loc[known & ~same, key].itertuples(index=False)}
    # A new version starts in this release (``van`` set by ``_write``).
    records = [
        {**_row(columns, row), "van": None, "indeling_jaar": jaren.get(str(row[3]))}
        for row in merged.loc[~same, columns].itertuples(index=False, name=None)
    ]
    # The versions this release ends: a changed count or status (a total that adds up to the
    # same count over changed counts may change status: another sum), or one left out since.
    ending = merged.loc[known & ~same]
    old = [
        {
            **_row(columns, row[:6]),
            "van": 0 if isna(row[6]) else int(row[6]),
            "tot": _number(row[7]),
        }
        for row in ending.assign(status=ending["status_eerder"], teller=ending["teller_eerder"])[
            [*columns, "van", "tot"]
        ].itertuples(index=False, name=None)
    ]
    # The cells of this cluster that this release leaves out (a month no longer delivered, a
    # group series chosen again): their version ends here.
    regions_before = set() if earlier is None else set(earlier.groups["code"])
    ours = before["gemeentecode"].isin(set(rows["gemeentecode"]) - {""}) | before["code"].isin(
        regions_before
    )
    # An area of an earlier indeling (renamed by ``_vanished``) is not shown again, but stays
    # what it was: its count follows from the current buurten, so it is not left out.
    earlier_area = before["code"] != before["sleutel"]
    candidates = before[
        ours
        & before["tot"].isna()
        & before["indicator"].isin(set(rows["indicator"]))
        & ~earlier_area
    ]
    left = candidates.merge(rows[key], on=key, how="left", indicator="bron")
    closed = [
        (str(i), str(c), str(p))
        for i, c, p in left.loc[
            left["bron"] == "left_only", ["indicator", "sleutel", "periode"]
        ].itertuples(index=False, name=None)
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
    shown = set(zip(rows["indicator"].astype(str), rows["code"].astype(str), strict=True))
    moved = sorted(
        {
            (str(i), str(k), f"{k}{AT}{int(j)}")
            for i, k, j in before.loc[
                earlier_area & before["indeling"].notna(), ["indicator", "sleutel", "indeling"]
            ].itertuples(index=False, name=None)
            if (str(i), str(k)) in shown
        }
    )
    # An area of an earlier indeling whose count changed since it was released (a correction of
    # one of its months): the released version ends in this release.
    to = {(i, k): n for i, k, n in moved}
    changed = _changed_areas(before[earlier_area & before["tot"].isna()], now_ghosts)
    for row in frames.rows(changed):
        # its key in the record (after a move this release makes), and its version's code,
        # which names the indeling it was released on
        key_now = to.get((str(row.indicator), str(row.sleutel)), str(row.sleutel))
        code = _marked(key_now, row.indeling)
        replaced_keys.append({"indicator": row.indicator, "code": key_now, "periode": row.periode})
        old.append(
            {
                "indicator": row.indicator,
                "code": code,
                "periode": row.periode,
                "gemeentecode": row.gemeentecode,
                "status": row.status,
                "teller": _float(row.teller),
                "van": int(row.van),
                "tot": None,
            }
        )
    try:
        _write(engine, replaced_keys, records, old, closed, members, moved)
    except IntegrityError:  # another process recorded some of them meanwhile: the last one wins
        keys = replaced_keys[len(replaced) :]
        _write(
            engine, [*records, *keys], records, old, closed, members, moved, replace_members=True
        )


def _marked(key: object, jaar: object) -> str:
    """``key`` with the indeling it was released on (``AT``), where known and not marked yet."""
    text = str(key)
    year = pd.to_numeric(pd.Series([jaar]), errors="coerce").iloc[0]
    if AT in text or GHOST in text or np.isnan(year):
        return text
    return f"{text}{AT}{int(year)}"


def _changed_areas(recorded: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """The ``recorded`` cells of earlier-indeling areas whose count in this publication
    (``now``: its ghost rows) is another."""
    key = ["indicator", "code", "periode"]
    both = recorded.merge(now[[*key, "teller"]], on=key, suffixes=("", "_nu"))
    before, after = both["teller"].to_numpy(dtype=float), both["teller_nu"].to_numpy(dtype=float)
    same = np.isclose(before, after, rtol=0.0, atol=1e-6) | (np.isnan(before) & np.isnan(after))
    changed: pd.DataFrame = both.loc[~same].reset_index(drop=True)
    return changed


def _float(value: object) -> float | None:
    return None if isna(value) else float(value)  # type: ignore[arg-type]


def _no_cells() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "indicator",
            *RELEASE_COLUMNS,
            "van",
            "tot",
            "gemeentecode",
            "indeling",
            "sleutel",
        ]
    )


def _number(value: object) -> int | None:
    return None if isna(value) else int(value)  # type: ignore[call-overload]


def isna(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _row(columns: list[str], row: tuple[object, ...]) -> dict[str, object]:
    teller = float(row[5]) if isinstance(row[5], (int, float)) else np.nan
    number = None if np.isnan(teller) else teller
    return dict(zip(columns, (*row[:5], number), strict=True))


def release_number(conn: Connection) -> int:
    """The number of a new release: after every one recorded (numbers only order releases)."""
    latest = conn.execute(select(func.max(db.releases.c.van))).scalar() or 0
    ended = conn.execute(select(func.max(db.release_versions.c.tot))).scalar() or 0
    return int(max(latest, ended)) + 1


def _write(
    engine: Engine,
    replaced: list[dict[str, object]],
    records: list[dict[str, object]],
    old: list[dict[str, object]],
    closed: list[tuple[str, str, str]],
    members: list[dict[str, object]],
    moved: Sequence[tuple[str, str, str]] = (),
    *,
    replace_members: bool = False,
) -> None:
    """In one transaction: give the ``moved`` cells (indicator, code, new code) and their
    versions their new code, delete the ``replaced`` keys, insert ``records`` (first out in a
    new release where they hold no ``van``), the ``old`` versions they end (until that release
    where they hold no ``tot``), mark the ``closed`` cells as left out of it, insert
    ``members``."""
    t, g, v = db.releases.c, db.release_groups.c, db.release_versions.c
    with engine.begin() as conn:
        number = release_number(conn)
        for indicator, code, new in moved:
            conn.execute(
                update(db.releases)
                .where((t.indicator == indicator) & (t.code == code))
                .values(code=new)
            )
            conn.execute(
                update(db.release_versions)
                .where((v.indicator == indicator) & (v.code == code))
                .values(code=new)
            )
        old = [{**r, "tot": number if r["tot"] is None else r["tot"]} for r in old]
        for chunk in _chunks(replaced):
            keys = [(r["indicator"], r["code"], r["periode"]) for r in chunk]
            conn.execute(
                delete(db.releases).where(tuple_(t.indicator, t.code, t.periode).in_(keys))
            )
        for start in range(0, len(closed), CHUNK):
            conn.execute(
                update(db.releases)
                .where(tuple_(t.indicator, t.code, t.periode).in_(closed[start : start + CHUNK]))
                .values(tot=number)
            )
        if replace_members:
            for chunk in _chunks(members):
                pairs = [(r["indicator"], r["code"]) for r in chunk]
                conn.execute(
                    delete(db.release_groups).where(tuple_(g.indicator, g.code).in_(pairs))
                )
            for chunk in _chunks(old):
                keys4 = [(r["indicator"], r["code"], r["periode"], r["tot"]) for r in chunk]
                conn.execute(
                    delete(db.release_versions).where(
                        tuple_(v.indicator, v.code, v.periode, v.tot).in_(keys4)
                    )
                )
        if records:
            conn.execute(
                insert(db.releases),
                [{**r, "van": number if r.get("van") is None else r["van"]} for r in records],
            )
        if old:
            conn.execute(insert(db.release_versions), old)
        if members:
            conn.execute(insert(db.release_groups), members)


def _chunks(records: list[dict[str, object]]) -> Iterable[list[dict[str, object]]]:
    for start in range(0, len(records), CHUNK):
        yield records[start : start + CHUNK]

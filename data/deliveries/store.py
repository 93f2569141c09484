"""Writing validated deliveries: repeats, replacement, signals, findings and delivery records.

Every function works inside the caller's transaction (``data.deliveries`` opens it, takes the
lock and retries). A repeat without ``vervang`` raises ``Repeated`` with one problem per row; a
delivery that cannot be stored as it is, ``Refused``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Select, and_, bindparam, delete, insert, select, update

from data import db, store
from data.deliveries.tables import row_problem
from geo.areas import gemeente_of as gemeente_of_code
from geo.rebase import SAME_PLACE, same_place
from indicators import catalogue
from indicators.periods import months_of

_CHUNK = 500
FINDING_INDICATORS = tuple(sorted(set(catalogue.SIGNAL_INDICATOR.values())))
_KEYS = ["bron", "buurtcode", "periode", "indicator"]


class Refused(Exception):
    """The delivery cannot be stored as it is; ``problems`` names each row."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} rijen geweigerd")
        self.problems = problems


class Repeated(Refused):
    """The delivery repeats rows already imported; ``problems`` names each row."""


def _query(conn: Connection, query: Select[Any]) -> pd.DataFrame:
    result = conn.execute(query)
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


def _chunks(values: Sequence[Any]) -> list[list[Any]]:
    items = list(values)
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _select_in(
    conn: Connection, query: Select[Any], column: Any, values: Sequence[Any]
) -> pd.DataFrame:
    frames = [_query(conn, query.where(column.in_(c))) for c in _chunks(sorted(set(values)))]
    frames = [f for f in frames if not f.empty]
    if not frames:
        names = [c.name for c in query.selected_columns]
        return pd.DataFrame({n: pd.Series(dtype="object") for n in names})
    return pd.concat(frames, ignore_index=True)


def gemeente_of(codes: pd.Series, gemeenten: Mapping[str, str]) -> pd.Series:
    """The gemeentecode of each buurtcode: from the stored areas, else from the code itself."""
    return codes.map(lambda c: gemeenten.get(c) or gemeente_of_code(str(c)))


def _repeat_problems(bestand: str, repeats: pd.DataFrame, what: str) -> list[str]:
    """One problem per repeated row of the file, naming the earlier import (the first one, when
    a row repeats several stored rows)."""
    ordered = repeats.sort_values(["rij", "import_id", "id"]).drop_duplicates("rij")
    whats = ordered["wat"] if "wat" in ordered else pd.Series(what, index=ordered.index)
    return [
        row_problem(
            bestand,
            int(rij),
            None,
            f"al eerder geïmporteerd ({wat}, import {import_id}); geef --vervang om die rijen "
            "te vervangen.",
        )
        for rij, import_id, wat in zip(
            ordered["rij"].tolist(), ordered["import_id"].tolist(), whats.tolist(), strict=True
        )
    ]


# --- buurt aggregates --------------------------------------------------------------------------


_SAME_KEYS = "zelfde bron, buurtcode, periode en indicator"
_OTHER_INDELING = "zelfde bron, gemeente, periode en indicator, op een andere buurtindeling"


def _other_code(ander: str) -> str:
    return (
        f"zelfde bron, periode en indicator voor {ander}, dat op een andere buurtindeling "
        "hetzelfde gebied beslaat (gemeentelijke herindeling)"
    )


def _buurt_years(conn: Connection, codes: Sequence[str]) -> dict[str, frozenset[int]]:
    """The indeling years in which each buurtcode is stored."""
    a = db.areas.c
    query = select(a.code, a.indeling_jaar).where(a.level == "buurt")
    found = _select_in(conn, query, a.code, list(codes))
    years: dict[str, set[int]] = {}
    for code, jaar in zip(found["code"].tolist(), found["indeling_jaar"].tolist(), strict=True):
        years.setdefault(str(code), set()).add(int(jaar))
    return {code: frozenset(y) for code, y in years.items()}


def _delivery_indelingen(
    rows: pd.DataFrame, years: Mapping[str, frozenset[int]]
) -> dict[tuple[str, str], frozenset[int]]:
    """Per (gemeente, periode) of the delivery: the indeling years that hold every buurtcode it
    delivers there (empty when no single indeling does)."""
    out: dict[tuple[str, str], frozenset[int]] = {}
    for (gemeente, periode), codes in rows.groupby(["gemeentecode", "periode"])["buurtcode"]:
        common: frozenset[int] | None = None
        for code in codes.unique().tolist():
            have = years.get(str(code), frozenset())
            common = have if common is None else common & have
        out[(str(gemeente), str(periode))] = common or frozenset()
    return out


def _mixed_problems(
    bestand: str, rows: pd.DataFrame, indelingen: Mapping[tuple[str, str], frozenset[int]]
) -> list[str]:
    """One problem per row of a gemeente and periode whose buurtcodes no single indeling holds:
    re-based onto one indeling, the same addresses would be counted twice."""
    mixed = [
        not indelingen[(str(g), str(p))]
        for g, p in zip(rows["gemeentecode"].tolist(), rows["periode"].tolist(), strict=True)
    ]
    bad = rows[np.array(mixed, dtype=bool)].reset_index(drop=True).sort_values("rij")
    return [
        row_problem(
            bestand,
            int(rij),
            "buurtcode",
            f"buurtcodes van verschillende buurtindelingen voor {g} in {p}; lever een gemeente "
            "per periode op één buurtindeling.",
        )
        for rij, g, p in zip(
            bad["rij"].tolist(), bad["gemeentecode"].tolist(), bad["periode"].tolist(), strict=True
        )
    ]


def stored_aggregates(
    conn: Connection, rows: pd.DataFrame, gemeenten: Mapping[str, str], *, bestand: str = ""
) -> pd.DataFrame:
    """Stored aggregate signals that ``rows`` repeat: ``id, import_id, wat`` and the file's
    ``rij``.

    A repeat is a stored row with the same bron, buurtcode, periode and indicator, or a stored
    row with the same bron, periode and indicator for the same gemeente on another buurtindeling
    than the delivery's. Without the second, a re-delivery on a new indeling would be added to
    the earlier one on the old indeling (both are re-based onto the current indeling), and every
    count of that gemeente would be doubled. Raises ``Refused`` when the delivery itself mixes
    indelingen for one gemeente and periode.
    """
    rows = rows.assign(gemeentecode=gemeente_of(rows["buurtcode"], gemeenten))
    s = db.signals.c
    query = select(s.id, s.import_id, s.bron, s.buurtcode, s.periode, s.indicator).where(
        and_(s.soort == "aggregaat", s.bron.in_(sorted(rows["bron"].unique())))
    )
    stored = _select_in(conn, query, s.periode, rows["periode"].unique().tolist())
    stored = stored[stored["indicator"].isin(rows["indicator"].unique())]
    stored = stored.assign(gemeentecode=gemeente_of(stored["buurtcode"], gemeenten))
    years = _buurt_years(conn, [*rows["buurtcode"].unique(), *stored["buurtcode"].unique()])
    indelingen = _delivery_indelingen(rows, years)
    mixed = _mixed_problems(bestand, rows, indelingen)
    if mixed:
        raise Refused(mixed)
    same = rows[[*_KEYS, "rij"]].merge(stored, on=_KEYS, how="inner").assign(wat=_SAME_KEYS)
    candidates = stored[~stored["id"].isin(same["id"])]
    elsewhere = [
        not (years.get(str(code), frozenset()) & indelingen.get((str(g), str(p)), frozenset()))
        for code, g, p in zip(
            candidates["buurtcode"].tolist(),
            candidates["gemeentecode"].tolist(),
            candidates["periode"].tolist(),
            strict=True,
        )
    ]
    other = candidates[pd.Series(elsewhere, index=candidates.index, dtype=bool)]
    group = ["bron", "gemeentecode", "periode", "indicator"]
    crossed = (
        rows[[*group, "rij"]]
        .merge(other[[*group, "id", "import_id"]], on=group, how="inner")
        .assign(wat=_OTHER_INDELING)
    )
    shapes = store.gemeente_shapes(conn)
    pairs = same_place(shapes, rows["gemeentecode"].unique().tolist())
    renamed = (
        rows[[*group, "rij"]]
        .merge(pairs, on="gemeentecode")
        .drop(columns="gemeentecode")
        .rename(columns={"ander": "gemeentecode"})
        .merge(stored[[*group, "id", "import_id"]], on=group, how="inner")
    )
    renamed = renamed.assign(
        wat=renamed["gemeentecode"].map(_other_code), ander=renamed["gemeentecode"]
    )
    columns = ["id", "import_id", "wat", "rij", "ander", "bron", "periode", "indicator"]
    found = pd.concat([same, crossed, renamed], ignore_index=True)
    found["ander"] = found["ander"].fillna("")
    return found[columns]


def _uncovered(
    conn: Connection, rows: pd.DataFrame, repeats: pd.DataFrame, bestand: str
) -> list[str]:
    """Problems for replacing another gemeentecode's delivery (a herindeling) that this file
    covers only in part for that periode: replaced whole, the rest of its place would be lost."""
    renamed = repeats[repeats["ander"] != ""]
    if renamed.empty:
        return []
    shapes = store.gemeente_shapes(conn)
    problems = []
    for (ander, periode), part in renamed.groupby(["ander", "periode"]):
        theirs = shapely.union_all(shapes.loc[shapes["gemeentecode"] == ander, "geometry"])
        ours = rows.loc[rows["periode"] == periode, "gemeentecode"].unique()
        mine = shapely.union_all(shapes.loc[shapes["gemeentecode"].isin(ours), "geometry"])
        covered = shapely.area(shapely.intersection(theirs, mine)) / max(theirs.area, 1.0)
        if covered < 1.0 - SAME_PLACE:
            problems += [
                row_problem(
                    bestand,
                    int(rij),
                    "buurtcode",
                    f"{ander} ligt maar voor {round(covered * 100)}% in de gemeenten van dit "
                    f"bestand in {periode}; vervang de levering van {ander} met één bestand voor "
                    "alle gemeenten waarin het is opgegaan.",
                )
                for rij in sorted(part["rij"].unique())
            ]
    return problems


def _released(conn: Connection, repeats: pd.DataFrame, bestand: str) -> list[str]:
    """Problems for replacing another gemeentecode's delivery (a herindeling) in a periode of
    which it has published numbers already. Those stay published on the predecessor, protected
    in its own cluster; the same addresses published again on the successor's codes, protected
    apart, could be set against them (docs/methoden.md, "A gemeentelijke herindeling")."""
    renamed = repeats[repeats["ander"] != ""]
    if renamed.empty:
        return []
    t = db.releases.c
    # A released "." (a quarter or year not complete then) published nothing of its months.
    shown = conn.execute(
        select(t.gemeentecode, t.periode)
        .where(t.gemeentecode.in_(sorted(set(renamed["ander"]))) & (t.status != "."))
        .distinct()
    ).all()
    months: dict[str, set[str]] = {}
    for gemeente, periode in shown:
        months.setdefault(str(gemeente), set()).update(months_of(str(periode)))
    problems = []
    for (ander, periode), part in renamed.groupby(["ander", "periode"]):
        if not months.get(str(ander), set()) & set(months_of(str(periode))):
            continue
        problems += [
            row_problem(
                bestand,
                int(rij),
                "periode",
                f"{ander} heeft cijfers over {periode} al gepubliceerd; die blijven op {ander} "
                "staan. Een levering op de buurtcodes van de nieuwe gemeente kan ze niet meer "
                "vervangen (dezelfde adressen twee keer gepubliceerd, apart beschermd, zouden "
                "tegen elkaar weg te strepen zijn). Lever alleen perioden die nog niet "
                "gepubliceerd zijn.",
            )
            for rij in sorted(part["rij"].unique())
        ]
    return problems


def save_aggregates(
    conn: Connection,
    rows: pd.DataFrame,
    *,
    bestand: str,
    vervang: bool,
    import_id: int,
    gemeenten: Mapping[str, str],
) -> int:
    """Store aggregate rows (replacing repeats when ``vervang``); return how many were replaced."""
    repeats = stored_aggregates(conn, rows, gemeenten, bestand=bestand)
    if not repeats.empty and not vervang:
        raise Repeated(_repeat_problems(bestand, repeats, _SAME_KEYS))
    with_codes = rows.assign(gemeentecode=gemeente_of(rows["buurtcode"], gemeenten))
    partial = _uncovered(conn, with_codes, repeats, bestand) or _released(conn, repeats, bestand)
    if partial:
        raise Refused(partial)
    replaced = repeats.drop_duplicates("id")
    for chunk in _chunks(replaced["id"].tolist()):
        conn.execute(delete(db.signals).where(db.signals.c.id.in_(chunk)))
    # The other gemeentecode's delivery is gone whole: it no longer delivered those periods.
    d = db.deliveries.c
    for r in (
        replaced[replaced["ander"] != ""][["bron", "ander", "indicator", "periode"]]
        .drop_duplicates()
        .itertuples(index=False)
    ):
        conn.execute(
            delete(db.deliveries).where(
                and_(
                    d.bron == r.bron,
                    d.gemeentecode == r.ander,
                    d.indicator == r.indicator,
                    d.periode == r.periode,
                )
            )
        )
    insert_signals(conn, rows.assign(soort="aggregaat"), import_id=import_id)
    delivered = rows[["bron", "indicator", "periode"]].assign(
        gemeentecode=gemeente_of(rows["buurtcode"], gemeenten)
    )
    record_deliveries(conn, delivered, import_id=import_id)
    return len(replaced)


def insert_signals(conn: Connection, signals: pd.DataFrame, *, import_id: int) -> None:
    """``store.save_signals``, but with COPY on PostgreSQL: 100,000 rows in well under a second
    instead of several seconds of row-by-row inserts."""
    if conn.dialect.name != "postgresql" or len(signals) < 1000:
        store.save_signals(conn, signals, import_id=import_id)
        return
    columns = store.SIGNAL_COLUMNS
    noemer = signals["noemer"].astype(float)
    rows = zip(
        *(signals[c].astype("object") for c in columns if c not in ("teller", "noemer")),
        signals["teller"].astype(float),
        noemer.astype("object").where(noemer.notna(), None),
        strict=True,
    )
    text_columns = [c for c in columns if c not in ("teller", "noemer")]
    names = ", ".join([*text_columns, "teller", "noemer", "import_id"])
    driver = conn.connection.driver_connection
    if driver is None:  # only an invalidated connection has none
        raise RuntimeError("De databaseverbinding is niet meer bruikbaar.")
    cursor = driver.cursor()
    with cursor.copy(f"COPY signals ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, import_id))


# --- deliveries --------------------------------------------------------------------------------


def record_deliveries(conn: Connection, delivered: pd.DataFrame, *, import_id: int) -> None:
    """Record (bron, gemeentecode, indicator, periode): new ones inserted, known ones renewed."""
    delivered = delivered[["bron", "gemeentecode", "indicator", "periode"]].drop_duplicates()
    d = db.deliveries.c
    query = select(d.bron, d.gemeentecode, d.indicator, d.periode).where(
        d.bron.in_(sorted(delivered["bron"].unique()))
    )
    known = _select_in(conn, query, d.periode, delivered["periode"].unique().tolist())
    merged = delivered.merge(known.assign(bekend=True), how="left", on=list(delivered.columns))
    is_known = merged["bekend"].eq(True)
    store.save_deliveries(conn, merged[~is_known], import_id=import_id)
    if is_known.any():
        renew = (
            update(db.deliveries)
            .where(
                and_(
                    d.bron == bindparam("k_bron"),
                    d.gemeentecode == bindparam("k_gemeente"),
                    d.indicator == bindparam("k_indicator"),
                    d.periode == bindparam("k_periode"),
                )
            )
            .values(import_id=import_id, geleverd_op=datetime.now(UTC))
        )
        conn.execute(
            renew,
            [
                {
                    "k_bron": r.bron,
                    "k_gemeente": r.gemeentecode,
                    "k_indicator": r.indicator,
                    "k_periode": r.periode,
                }
                for r in merged[is_known].itertuples(index=False)
            ],
        )


# --- address findings --------------------------------------------------------------------------


def stored_findings(conn: Connection, rows: pd.DataFrame) -> pd.DataFrame:
    """Stored findings that ``rows`` repeat: same bron and zaak_id, or (rows without zaak_id)
    same bron, locatie, datum and signaal. Columns ``FOUND`` (the file's first ``rij``)."""
    f = db.findings.c
    query = select(f.id, f.import_id, f.bron, f.zaak_id, f.locatie, f.buurtcode, f.datum, f.signaal)
    query = query.where(f.bron.in_(sorted(rows["bron"].unique())))
    parts = []
    cases = rows[rows["zaak_id"].notna()].drop_duplicates(["bron", "zaak_id"])
    if not cases.empty:
        stored = _select_in(conn, query, f.zaak_id, cases["zaak_id"].tolist())
        parts.append(cases[["bron", "zaak_id", "rij"]].merge(stored, on=["bron", "zaak_id"]))
    loose = rows[rows["zaak_id"].isna()]
    if not loose.empty:
        window = and_(f.datum >= loose["datum"].min(), f.datum <= loose["datum"].max())
        stored = _query(conn, query.where(window))
        stored["datum"] = [pd.Timestamp(d).date() for d in stored["datum"]]
        keys = ["bron", "locatie", "datum", "signaal"]
        parts.append(loose[[*keys, "rij"]].merge(stored, on=keys))
    found = pd.concat(parts, ignore_index=True).drop_duplicates("id")
    return found[FOUND]


FOUND = ["id", "import_id", "bron", "buurtcode", "datum", "signaal", "rij"]


def save_findings(
    conn: Connection,
    rows: pd.DataFrame,
    *,
    bestand: str,
    vervang: bool,
    import_id: int,
    gemeenten: Mapping[str, str],
) -> int:
    """Store findings, add their monthly counts to the ``bevindingen`` signals, and record every
    finding indicator as delivered for each month and gemeente of the file (a controleavond that
    found nothing delivered a 0). Repeats are replaced when ``vervang``; returns their number."""
    repeats = stored_findings(conn, rows)
    if not repeats.empty and not vervang:
        raise Repeated(
            _repeat_problems(
                bestand, repeats, "zelfde bron en zaak_id of locatie, datum en signaal"
            )
        )
    if not repeats.empty:
        for chunk in _chunks(repeats["id"].tolist()):
            conn.execute(delete(db.findings).where(db.findings.c.id.in_(chunk)))
        adjust_signals(conn, monthly_counts(repeats), sign=-1, import_id=import_id)
    conn.execute(insert(db.findings), _finding_records(rows, import_id))
    adjust_signals(conn, monthly_counts(rows), sign=1, import_id=import_id)
    months = rows["datum"].map(lambda d: d.strftime("%Y-%m")).unique()
    places = rows[["bron"]].assign(gemeentecode=gemeente_of(rows["buurtcode"], gemeenten))
    delivered = (
        places.drop_duplicates()
        .merge(pd.DataFrame({"periode": months}), how="cross")
        .merge(pd.DataFrame({"indicator": FINDING_INDICATORS}), how="cross")
    )
    record_deliveries(conn, delivered, import_id=import_id)
    return len(repeats)


def _finding_records(rows: pd.DataFrame, import_id: int) -> list[dict[str, object]]:
    columns = ["datum", "signaal", "bron", "zaak_id", "bag_id", "locatie", "buurtcode"]
    records: list[dict[str, object]] = []
    for r in rows[[*columns, "indeling_jaar", "x", "y"]].to_dict("records"):
        record: dict[str, object] = {c: r[c] for c in columns}
        for optional in ("zaak_id", "bag_id"):
            record[optional] = r[optional] if isinstance(r[optional], str) else None
        record.update(
            indeling_jaar=int(r["indeling_jaar"]),
            x=float(r["x"]),
            y=float(r["y"]),
            import_id=import_id,
        )
        records.append(record)
    return records


def monthly_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings counted per ``bron, buurtcode, periode`` (month) and ``indicator``: column ``n``."""
    frame = pd.DataFrame(
        {
            "bron": findings["bron"],
            "buurtcode": findings["buurtcode"],
            "periode": [pd.Timestamp(d).strftime("%Y-%m") for d in findings["datum"]],
            "indicator": findings["signaal"].map(catalogue.SIGNAL_INDICATOR),
        }
    )
    return frame.groupby(_KEYS).size().rename("n").reset_index()


def adjust_signals(conn: Connection, counts: pd.DataFrame, *, sign: int, import_id: int) -> None:
    """Add (``sign`` 1) or take away (-1) ``counts`` to the ``bevindingen`` signals: several
    evenings in one buurt and month add up. Rows that do not exist yet are inserted."""
    if counts.empty:
        return
    s = db.signals.c
    query = select(s.id, s.bron, s.buurtcode, s.periode, s.indicator).where(
        and_(s.soort == "bevindingen", s.bron.in_(sorted(counts["bron"].unique())))
    )
    stored = _select_in(conn, query, s.periode, counts["periode"].unique().tolist())
    merged = counts.merge(stored, on=_KEYS, how="left")
    known = merged["id"].notna()
    if known.any():
        change = update(db.signals).where(s.id == bindparam("k_id"))
        conn.execute(
            change.values(teller=s.teller + bindparam("k_n")),
            [
                {"k_id": int(i), "k_n": float(sign * n)}
                for i, n in zip(merged.loc[known, "id"], merged.loc[known, "n"], strict=True)
            ],
        )
    new = merged[~known & (sign > 0)]
    signals = new.assign(teller=new["n"].astype(float), noemer=None, soort="bevindingen")
    insert_signals(conn, signals, import_id=import_id)

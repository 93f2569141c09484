"""Registering interventions from a CSV or XLSX file (docs/contract.md, "Interventions").

Columns ``id, naam, soort, buurtcodes, start`` and optionally ``eind`` and ``partners``; the
dialects and date formats of partner deliveries. All or nothing: every problem is reported with
its row and column, and a refused file leaves only its import-log row. Interventions with an id
already stored are replaced.

An intervention rolled out in stages has one row per stage with the same ``id``, ``naam`` and
``soort``: each row's buurten start at that row's ``start``. The stages become one intervention
whose ``start`` is the first stage's and whose ``starts`` give each buurt its own.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from data import store
from data.access.audit import audit
from data.deliveries import parsers as p
from data.deliveries.checks import (
    Problems,
    check_duplicates,
    check_identity,
    check_missing,
    check_unknown,
    parse_column,
)
from data.deliveries.importer import (
    Outcome,
    known_area_words,
    known_buurten,
    locked_transaction,
    refuse,
)
from data.deliveries.personal import check_personal
from data.deliveries.tables import load_table
from data.settings import UploadLimits
from geo.errors import InputError

SOORT = "interventies"
REQUIRED = ("id", "naam", "soort", "buurtcodes", "start")
COLUMNS = (*REQUIRED, "eind", "partners")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_SEPARATORS = re.compile(r"[\s|,;]+")


def import_interventions(
    engine: Engine,
    path: Path | str,
    *,
    gebruiker: str = "cli",
    limits: UploadLimits | None = None,
) -> Outcome:
    """Validate and store the interventions in ``path``; log the import either way."""
    path = Path(path)
    try:
        table = load_table(path, limits)
    except InputError as exc:
        raw = path.read_bytes() if path.is_file() else b""
        return refuse(engine, path.name, raw, SOORT, 0, [str(exc)], gebruiker, log=[str(exc)])
    log: list[str] = []
    rows, problemen = validate_interventions(
        table.frame,
        bestand=table.bestand,
        known_buurten=known_buurten(engine).keys(),
        structural=table.problemen,
        known_words=known_area_words(engine),
        log=log,
    )
    rijen = len(table.frame)
    if problemen:
        return refuse(
            engine, table.bestand, table.inhoud, SOORT, rijen, problemen, gebruiker, log=log
        )

    def work(conn: Connection) -> int:
        import_id = store.log_import(
            conn,
            bestand=table.bestand,
            inhoud=table.inhoud,
            soort=SOORT,
            rijen=rijen,
            uitkomst="geaccepteerd",
            melding=f"{len(rows)} interventies ({rijen} rijen): {', '.join(rows['id'])}",
            gebruiker=gebruiker,
        )
        store.save_interventions(conn, rows)
        audit(
            conn,
            gebruiker=gebruiker,
            actie="import",
            details=f"{table.bestand} ({SOORT}, {rijen} rijen, import {import_id})",
        )
        return import_id

    import_id = locked_transaction(engine, [SOORT], work)
    return Outcome(table.bestand, SOORT, rijen, True, [], import_id)


def validate_interventions(
    frame: pd.DataFrame,
    *,
    bestand: str,
    known_buurten: Collection[str],
    structural: Sequence[str] = (),
    known_words: frozenset[str] = frozenset(),
    log: list[str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Check an interventions table (strings; index = spreadsheet row).

    Returns the rows in the shape ``store.save_interventions`` takes (``id, naam, soort, start,
    eind, partners, buurtcodes``; lists for the last two) and every problem found. ``log``, when
    given, receives the problems as the import log keeps them (without cell values).
    """
    problems = Problems(bestand, list(frame.columns), cells=frame)
    problems.extend(structural)
    if log is not None:
        log.clear()
    # 'naam' is the intervention's name here, not a person's.
    reported = check_identity(frame.drop(columns=["naam"], errors="ignore"), problems)
    frame = check_personal(frame, problems, known_words, reported)
    check_unknown(frame, COLUMNS, reported, problems)
    if not check_missing(frame, REQUIRED, problems):
        if log is not None:
            log.extend(problems.log_messages())
        return pd.DataFrame(), problems.messages()
    columns: dict[str, p.Parser] = {
        "id": p.required(_identifier),
        "naam": p.required(_name),
        "soort": p.required(p.soort_interventie),
        "buurtcodes": p.required(_buurtcodes(known_buurten)),
        "start": p.required(p.any_date),
        "eind": p.optional(p.any_date),
        "partners": p.optional(_partners),
    }
    out = pd.DataFrame(index=frame.index)
    for kolom, parse in columns.items():
        out[kolom] = (
            parse_column(frame, kolom, parse, problems)
            if kolom in frame.columns
            else pd.Series(None, index=frame.index, dtype="object")
        )
    _check_period(out, problems)
    check_duplicates(
        out[["id", "start"]],
        problems,
        "zelfde id en start",
        usable=out["id"].notna() & out["start"].notna(),
    )
    out["partners"] = out["partners"].map(lambda v: v if isinstance(v, list) else [])
    _check_stages(out, problems)
    if log is not None:
        log.extend(problems.log_messages())
    if problems.messages():
        return out.reset_index(drop=True), problems.messages()
    return _merge_stages(out), []


def _check_stages(out: pd.DataFrame, problems: Problems) -> None:
    """Rows of one id are stages: the same naam and soort, each buurt in one stage only."""
    for _, stages in out[out["id"].notna()].groupby("id", sort=False):
        if len(stages) < 2:
            continue
        rows = [int(str(r)) for r in stages.index]
        first = rows[0]
        for rij, (_, row) in zip(rows[1:], stages.iloc[1:].iterrows(), strict=True):
            for kolom in ("naam", "soort"):
                if row[kolom] is not None and row[kolom] != stages.iloc[0][kolom]:
                    problems.add(
                        rij,
                        kolom,
                        f"een fase van interventie {row['id']} heeft "
                        f"een andere {kolom} dan rij {first}.",
                    )
        seen: dict[str, int] = {}
        for rij, codes in zip(rows, stages["buurtcodes"], strict=True):
            for code in codes if isinstance(codes, list) else []:
                if code in seen:
                    problems.add(
                        rij,
                        "buurtcodes",
                        f"buurt {code} staat al in een fase "
                        f"van deze interventie (rij {seen[code]}).",
                    )
                else:
                    seen[code] = rij


def _merge_stages(out: pd.DataFrame) -> pd.DataFrame:
    """One row per intervention: the first start, every stage's buurten with their own start
    (``starts``), the last end (none when a stage has none), the partners of all stages."""
    merged = []
    for _, stages in out.groupby("id", sort=False):
        stages = stages.sort_values("start", kind="stable")
        first = stages.iloc[0]
        ends = list(stages["eind"])
        partners = sorted({x for v in stages["partners"] for x in v}, key=str.lower)
        merged.append(
            {
                "id": first["id"],
                "naam": first["naam"],
                "soort": first["soort"],
                "start": first["start"],
                "eind": None if any(e is None or pd.isna(e) for e in ends) else max(ends),
                "partners": partners if len(stages) > 1 else list(first["partners"]),
                "buurtcodes": sorted(b for v in stages["buurtcodes"] for b in v),
                "starts": {
                    b: s
                    for s, v in zip(stages["start"], stages["buurtcodes"], strict=True)
                    for b in v
                },
            }
        )
    return pd.DataFrame(merged)


def _check_period(out: pd.DataFrame, problems: Problems) -> None:
    for rij, start, eind in zip(out.index, out["start"], out["eind"], strict=True):
        if isinstance(start, date) and isinstance(eind, date) and eind < start:
            problems.add(
                int(rij),
                "eind",
                f"eind ({eind.isoformat()}) ligt voor start ({start.isoformat()}).",
            )


def _identifier(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(
            f"ongeldig id {p.shown(value)}: letters, cijfers, '.', '_' en '-', zonder spaties, "
            "hoogstens 100 tekens."
        )
    return value


def _name(value: str) -> str:
    if len(value) > 300 or "\n" in value:
        raise ValueError("naam te lang (hoogstens 300 tekens, één regel).")
    return value


def _buurtcodes(known: Collection[str]) -> p.Parser:
    parse_code = p.buurtcode(known)

    def parse(value: str) -> list[str]:
        codes: list[str] = []
        errors: list[str] = []
        for part in _SEPARATORS.split(value.strip()):
            try:
                codes.append(str(parse_code(part)))
            except ValueError as exc:
                errors.append(str(exc).rstrip("."))
        if errors:
            raise ValueError("; ".join(errors) + ".")
        return sorted(set(codes))

    return parse


def _partners(value: str) -> list[str]:
    names = [n.strip() for n in value.split("|") if n.strip()]
    if len("|".join(names)) > 300:
        raise ValueError("partners te lang (samen hoogstens 300 tekens).")
    return names

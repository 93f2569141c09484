"""The raw cells of one indicator in one cluster: every total that may be published, before any
protection. Never shown; ``data.publication.build`` protects them.

Cells: buurten, wijken and gemeenten (``indicators.rates``), regions (the sum of their
gemeenten) and group series (the sum of a set of buurten: the treated buurten of an
intervention, each stage of it, its ring and its comparison buurten), per month, quarter and
year. Every such total comes with its *memberships* (total, part), the area relations the
protection must respect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from data import frames
from geo.areas import gemeente_codes, gemeente_of
from geo.rebase import HERKOMST
from indicators import catalogue, periods
from indicators.comparison import MATCH_ON, MIN_NOEMER, choose_controls
from indicators.periods import GRANULARITIES
from indicators.rates import indicator_table

CELL_COLUMNS = [
    "code",
    "level",
    "parent_code",
    "gemeentecode",
    "periode",
    "indicator",
    "teller",
    "noemer",
]
GROUP_COLUMNS = ["code", "interventie", "rol", "start", "indicator", "leden"]
GROUP_ROLES = ("behandeld", "cohort", "ring", "controle")
# Housing pressure, never a target of enforcement: no group series, no effect analysis.
NO_EFFECT_ANALYSIS = (catalogue.ARBEIDSMIGRANTEN,)
# The comparison buurten of the effort indicators are those of the hits they explain, so that
# effort and hits of one intervention are read against the same buurten.
CONTROLS_OF = {
    catalogue.CONTROLES: catalogue.ILLEGALE_BEWONING,
    catalogue.ILLEGALE_BEWONING_PER_CONTROLE: catalogue.ILLEGALE_BEWONING,
}


def group_code(interventie: str, rol: str, start: str | None = None) -> str:
    """``venlo-klingerberg-2021:behandeld``, ``...:cohort:2022-09``, ``...:ring``, ..."""
    return f"{interventie}:{rol}" + (f":{start}" if start else "")


@dataclass(frozen=True)
class Intervention:
    """An intervention as the publication needs it: its buurten, their stages and its ring."""

    id: str
    gemeentecode: str
    buurten: tuple[str, ...]
    starts: Mapping[str, str]  # buurtcode -> YYYY-MM of its stage
    ring: tuple[str, ...]
    excluded: tuple[str, ...] = field(default=())  # buurten of other interventions

    @property
    def first_start(self) -> str:
        return min(self.starts.values())

    @property
    def cohorts(self) -> dict[str, tuple[str, ...]]:
        """Start -> buurten; one entry when the intervention started everywhere at once."""
        out: dict[str, list[str]] = {}
        for code in self.buurten:
            out.setdefault(self.starts[code], []).append(code)
        return {s: tuple(sorted(c)) for s, c in sorted(out.items())}


def month(value: date) -> str:
    return f"{value.year}-{value.month:02d}"


def area_memberships(areas: pd.DataFrame) -> pd.DataFrame:
    """``total, part`` of the area hierarchy: wijk - buurt and gemeente - wijk."""
    rows = areas[areas["level"].isin(["buurt", "wijk"])]
    rows = rows[rows["parent_code"].fillna("").astype(str) != ""]
    return pd.DataFrame(
        {"total": rows["parent_code"].astype(str), "part": rows["code"].astype(str)}
    )


def _sum_rows(
    table: pd.DataFrame,
    members: Mapping[str, Sequence[str]],
    *,
    level: str,
    gemeente: Mapping[str, str],
) -> pd.DataFrame:
    """Totals over member rows per periode: teller NaN unless every member was delivered."""
    if not members:
        return pd.DataFrame(columns=CELL_COLUMNS)
    links = pd.DataFrame(
        [(total, part) for total, parts in members.items() for part in parts],
        columns=["total", "code"],
    )
    rows = table.merge(links, on="code")
    grouped = rows.groupby(["total", "periode"])
    out = grouped.agg(
        teller=("teller", lambda s: s.sum() if s.notna().all() else np.nan),
        noemer=("noemer", lambda s: s.sum(min_count=1)),
        n=("code", "size"),
    ).reset_index()
    expected = out["total"].map({t: len(p) for t, p in members.items()})
    out.loc[out["n"] != expected, "teller"] = np.nan
    out = out.rename(columns={"total": "code"}).drop(columns="n")
    out["level"] = level
    out["parent_code"] = ""
    out["gemeentecode"] = [gemeente.get(str(c), "") for c in out["code"]]
    out["indicator"] = table["indicator"].iloc[0] if len(table) else ""
    return out[CELL_COLUMNS]


def controls_for(
    panel: pd.DataFrame, buurten: pd.DataFrame, intervention: Intervention, indicator: str
) -> tuple[str, ...]:
    """Comparison buurten of an intervention (``indicators.comparison.choose_controls``): the
    buurten of its gemeente most like the treated ones on public key figures, with at least 50
    of the key-figure noemer of ``indicator`` (the one chosen on: ``CONTROLS_OF``; woningen
    where it has none), never the treated, the
    ring or buurten of another intervention. None without a delivered period before the first
    start. ``panel`` says only which periods were delivered (public: "." or not)."""
    gemeente = gemeente_of(intervention.gemeentecode)
    own = panel[gemeente_codes(panel["code"].astype(str)) == gemeente]
    delivered = own.loc[own["teller"].notna(), "periode"]
    if not (delivered < intervention.first_start).any():
        return ()
    card = catalogue.get(indicator)
    size = card.noemer if card.noemer in catalogue.DENOMINATORS else "woningen"
    columns = sorted({*MATCH_ON, size})
    mine = buurten[gemeente_codes(buurten["code"].astype(str)) == gemeente]
    figures = mine[["code", *columns]].astype(dict.fromkeys(columns, float))
    chosen = choose_controls(
        figures,
        list(intervention.buurten),
        [*intervention.ring, *intervention.excluded],
        min_size=(size, MIN_NOEMER),
    )
    return tuple(chosen)


def needed_inputs(indicators: Iterable[str]) -> list[str]:
    """The delivered indicators whose signals the publication of ``indicators`` reads (a
    derived one's parts; the indicator its comparison buurten are chosen on)."""
    out: set[str] = set()
    for code in indicators:
        out.update(catalogue.inputs(code))
        if code in CONTROLS_OF:
            out.update(catalogue.inputs(CONTROLS_OF[code]))
    return sorted(out)


def group_members(
    interventions: Sequence[Intervention],
    indicator: str,
    panel: pd.DataFrame,
    buurten: pd.DataFrame,
) -> pd.DataFrame:
    """The group series of ``indicator`` (``GROUP_COLUMNS``; ``leden`` a tuple of buurtcodes)."""
    rows: list[tuple[str, str, str, str | None, str, tuple[str, ...]]] = []
    if indicator in NO_EFFECT_ANALYSIS:
        return pd.DataFrame(rows, columns=GROUP_COLUMNS)
    for item in interventions:
        rows.append(
            (
                group_code(item.id, "behandeld"),
                item.id,
                "behandeld",
                item.first_start,
                indicator,
                item.buurten,
            )
        )
        cohorts = item.cohorts
        if len(cohorts) > 1:
            for start, codes in cohorts.items():
                rows.append(
                    (
                        group_code(item.id, "cohort", start),
                        item.id,
                        "cohort",
                        start,
                        indicator,
                        codes,
                    )
                )
        if item.ring:
            rows.append((group_code(item.id, "ring"), item.id, "ring", None, indicator, item.ring))
        controls = controls_for(panel, buurten, item, CONTROLS_OF.get(indicator, indicator))
        if controls:
            rows.append(
                (group_code(item.id, "controle"), item.id, "controle", None, indicator, controls)
            )
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)


def monthly_panel(
    signals: pd.DataFrame, deliveries: pd.DataFrame, areas: pd.DataFrame, indicator: str
) -> pd.DataFrame:
    """Raw buurt rows of the finest period with data: what comparison buurten are chosen on."""
    for granularity in GRANULARITIES:
        table = indicator_table(
            signals, deliveries, areas, indicator=indicator, granularity=granularity
        )
        rows = table[(table["level"] == "buurt") & table["teller"].notna()]
        if not rows.empty:
            return table[table["level"] == "buurt"][["code", "periode", "teller", "noemer"]]
    return pd.DataFrame(columns=["code", "periode", "teller", "noemer"])


def raw_cells(
    signals: pd.DataFrame,
    deliveries: pd.DataFrame,
    areas: pd.DataFrame,
    *,
    indicator: str,
    regions: Sequence[tuple[str, Sequence[str]]] = (),
    groups: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All raw cells of ``indicator`` and their memberships (``total, part``).

    Parameters
    ----------
    signals, deliveries : as stored, signals on the buurten of ``areas``.
    areas : every level of the cluster's gemeenten (each on its indeling), no geometry.
    regions : (region id, member gemeenten). groups : ``GROUP_COLUMNS`` of this indicator.
    """
    tables = [
        indicator_table(signals, deliveries, areas, indicator=indicator, granularity=g)
        for g in GRANULARITIES
    ]
    table = pd.concat(tables, ignore_index=True)
    table["gemeentecode"] = table["code"].map(areas.set_index("code")["gemeentecode"]).fillna("")
    table = table[CELL_COLUMNS]
    memberships = [area_memberships(areas)]
    extra = []
    region_members = {rid: tuple(m) for rid, m in regions}
    if region_members:
        gemeenten = table[table["level"] == "gemeente"]
        extra.append(_sum_rows(gemeenten, region_members, level="regio", gemeente={}))
        memberships.append(
            pd.DataFrame(
                [(r, g) for r, m in region_members.items() for g in m], columns=["total", "part"]
            )
        )
    if groups is not None and len(groups):
        buurten = table[table["level"] == "buurt"]
        members = {str(r.code): tuple(r.leden) for r in frames.rows(groups)}
        owner = {str(r.code): gemeente_of(str(r.leden[0])) for r in frames.rows(groups)}
        extra.append(_sum_rows(buurten, members, level="groep", gemeente=owner))
        memberships.append(
            pd.DataFrame(
                [(g, b) for g, m in members.items() for b in m], columns=["total", "part"]
            ).assign(groep=True)
        )
    cells = pd.concat([table, *extra], ignore_index=True) if extra else table
    cells["indicator"] = indicator
    links = pd.concat(memberships, ignore_index=True)
    links["groep"] = (
        links.get("groep", pd.Series(False, index=links.index)).fillna(False).astype(bool)
    )
    return cells.reset_index(drop=True), links


def delivered_noemer(signals: pd.DataFrame, indicator: str) -> bool:
    """True when the noemer of ``indicator`` is a delivered count that adds up like a teller
    (a '%' indicator): it is then protected as a count of its own."""
    card = catalogue.get(indicator)
    if card.eenheid != "%":
        return False
    rows = signals[signals["indicator"] == indicator]
    return bool(rows["noemer"].notna().any())


def merged_part_cells(
    cells: pd.DataFrame, signals: pd.DataFrame, parts: Mapping[str, tuple[str, str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows and memberships for old buurten merged into a current one (``parts``: name ->
    (old buurt, current buurt); ``data.publication.releases.merged_parts``): per period, the
    count of the signals delivered on the old buurt (``HERKOMST``), as a part of the current
    buurt. Only where the current buurt's count is exactly the sum of its old parts (every
    signal of it came from them); elsewhere not delivered, so that the relation is left out.

    ``cells``: the raw cells of one indicator (``raw_cells``); ``signals``: as re-based.
    """
    empty = pd.DataFrame(columns=CELL_COLUMNS), pd.DataFrame(columns=["total", "part", "groep"])
    if not parts or HERKOMST not in signals.columns or cells.empty:
        return empty
    indicator = str(cells["indicator"].iloc[0])
    into = pd.DataFrame(
        [(name, old, new) for name, (old, new) in parts.items()],
        columns=["naam", HERKOMST, "code"],
    )
    current = cells[(cells["level"] == "buurt") & cells["code"].isin(into["code"])]
    rows = signals[(signals["indicator"] == indicator) & signals["buurtcode"].isin(into["code"])]
    sums = []
    kinds = rows["periode"].map(periods.granularity)
    for target in GRANULARITIES:
        fine = rows[[periods.is_finer_or_equal(k, target) for k in kinds]]
        sums.append(
            fine.assign(periode=periods.to_granularity(fine["periode"], target))
            .groupby(["buurtcode", HERKOMST, "periode"])["teller"]
            .sum()
            .rename("som")
            .reset_index()
        )
    delivered = pd.concat(sums, ignore_index=True).rename(columns={"buurtcode": "code"})
    grid = current[["code", "periode", "gemeentecode", "teller"]].merge(into, on="code")
    grid = grid.merge(delivered, on=["code", HERKOMST, "periode"], how="left")
    grid["som"] = grid["som"].fillna(0.0)
    from_parts = grid.groupby(["code", "periode"])["som"].transform("sum")
    everything = delivered.groupby(["code", "periode"])["som"].sum().rename("alles").reset_index()
    grid = grid.merge(everything, on=["code", "periode"], how="left")
    exact = np.isclose(from_parts, grid["teller"], rtol=0.0, atol=1e-6) & np.isclose(
        grid["alles"].fillna(0.0), from_parts, rtol=0.0, atol=1e-6
    )
    out = pd.DataFrame(
        {
            "code": grid["naam"],
            "level": "groep",
            "parent_code": "",
            "gemeentecode": grid["gemeentecode"],
            "periode": grid["periode"],
            "indicator": indicator,
            "teller": np.where(exact & grid["teller"].notna(), grid["som"], np.nan),
            "noemer": np.nan,
        }
    )
    links = into.rename(columns={"code": "total", "naam": "part"})[["total", "part"]]
    return out[CELL_COLUMNS], links.assign(groep=True)


def summed_cells(
    cells: pd.DataFrame, sums: Mapping[str, Sequence[str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows and memberships for totals over other rows of ``cells`` (``sums``: name -> the codes
    of its parts; an old wijk as the sum of its old buurten, ``data.publication.releases.
    summed_wijken``): per period the sum of the parts, not delivered where a part is missing
    (the relation is then left out)."""
    empty = pd.DataFrame(columns=CELL_COLUMNS), pd.DataFrame(columns=["total", "part", "groep"])
    if not sums or cells.empty:
        return empty
    links = pd.DataFrame(
        [(name, part) for name, parts in sums.items() for part in parts], columns=["total", "part"]
    )
    counted = links.merge(
        cells[["code", "periode", "gemeentecode", "indicator", "teller"]],
        left_on="part",
        right_on="code",
    )
    size = links.groupby("total")["part"].size()
    per = (
        counted.groupby(["total", "periode"])
        .agg(
            teller=("teller", lambda t: t.sum() if t.notna().all() else np.nan),
            n=("part", "size"),
            gemeentecode=("gemeentecode", "first"),
            indicator=("indicator", "first"),
        )
        .reset_index()
    )
    complete = per["n"].to_numpy() == per["total"].map(size).to_numpy()
    out = pd.DataFrame(
        {
            "code": per["total"],
            "level": "groep",
            "parent_code": "",
            "gemeentecode": per["gemeentecode"],
            "periode": per["periode"],
            "indicator": per["indicator"],
            "teller": np.where(complete, per["teller"], np.nan),
            "noemer": np.nan,
        }
    )
    return out[CELL_COLUMNS], links.assign(groep=True)

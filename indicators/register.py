"""The intervention register shaped for screens: a gemeente's interventions, the buurten to
outline on a map, and the groups of an effect estimate (treated, ring, comparison).

Pure: frames in (``data.store.load_interventions``' shape), new frames out.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from geo.areas import gemeente_of, parent_of

BEHANDELD = "behandeld"
RING = "ring (waterbed, apart gehouden)"
VERGELIJKING = "vergelijkingsbuurt"
OVERIG = "overig"
GROUPS = (BEHANDELD, RING, VERGELIJKING, OVERIG)  # the order of the legend and the table


def interventions_in(register: pd.DataFrame, gemeente: str) -> pd.DataFrame:
    """The interventions with at least one buurt in ``gemeente``."""
    return register[
        register["buurtcodes"].map(lambda b: any(gemeente_of(c) == gemeente for c in b))
    ]


def register_table(interventions: pd.DataFrame) -> pd.DataFrame:
    """The register as shown: buurten and partners joined, dates as DD-MM-YYYY."""
    shown = interventions.assign(
        buurten=interventions["buurtcodes"].map(", ".join),
        partners=interventions["partners"].map(", ".join),
        start=interventions["start"].map(lambda d: d.strftime("%d-%m-%Y")),
        eind=interventions["eind"].map(lambda d: "" if d is None else d.strftime("%d-%m-%Y")),
    )
    return shown[["id", "naam", "soort", "buurten", "start", "eind", "partners"]]


def outline_codes(register: pd.DataFrame) -> list[str]:
    """The buurten of every intervention, then their wijken: the areas outlined on a map."""
    buurten = [b for codes in register["buurtcodes"] for b in codes]
    return buurten + [parent_of(b) for b in buurten]


def effect_groups(
    buurten: pd.DataFrame,
    *,
    behandeld: Sequence[str],
    controle: Sequence[str],
    ring: Sequence[str],
) -> pd.DataFrame:
    """``buurten`` (``code``, ``name``) with ``klasse``, the group of each in an effect estimate
    (one of ``GROUPS``), no value, and a tooltip naming buurt and group: a map of the groups."""
    group = {
        **{c: VERGELIJKING for c in controle},
        **{c: RING for c in ring},
        **{c: BEHANDELD for c in behandeld},
    }
    out = buurten[["code", "name"]].copy()
    out["klasse"] = out["code"].map(group).fillna(OVERIG)
    out["waarde_publ"] = float("nan")
    out["status"] = ""
    out["tooltip"] = out["name"] + " (" + out["code"] + ")\n" + out["klasse"]
    return out


def group_listing(groups: pd.DataFrame) -> pd.DataFrame:
    """The buurten of ``effect_groups`` that are in a group, in legend order, as a Dutch table."""
    listing = groups[groups["klasse"] != OVERIG]
    order = listing["klasse"].map(GROUPS.index)
    listing = listing.assign(volgorde=order).sort_values(["volgorde", "code"])
    columns = {"name": "Buurt", "code": "Code", "klasse": "Groep"}
    return listing[list(columns)].rename(columns=columns)


def start_markers(register: pd.DataFrame, buurten: Sequence[str]) -> list[tuple[str, str]]:
    """(start date, "Start <naam>") of every intervention touching ``buurten``: chart markers."""
    codes = set(buurten)
    rows = zip(register["start"], register["naam"], register["buurtcodes"], strict=True)
    return [(str(start), f"Start {naam}") for start, naam, own in rows if set(own) & codes]

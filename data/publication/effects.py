"""Effects of interventions, computed from the publication only.

Every number an effect shows (the pooled effect, its interval and p-value, the event study, the
group lines, the ring, the effort) comes from the published group series of the intervention
(``data.publication.cells``: the treated buurten summed, each stage, the ring and the comparison
buurten, counts rounded to 5 and protected with everything else). So an effect can give away no
more than the publication does, whatever the size of the treated group, and a change in a secret
cell that leaves the publication as it is changes no effect either. With one published
comparison line, the interval comes from conformal inference over time (Chernozhukov, Wüthrich
and Zhu 2021), which needs nothing else.

Where the treated line is mostly secret at the period asked for (a single small buurt per month),
the next longer period is used, and the result says so. The synthetic control takes as donors
the published lines of buurten and wijken outside the treated buurten, their ring and other
interventions, wherever those lines are shown in every period.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Engine

from data import store
from data.publication.cells import NO_EFFECT_ANALYSIS, group_code
from data.publication.read import ClusterPublication, open_publication
from geo.areas import gemeente_of
from geo.errors import InputError
from indicators import catalogue
from indicators.effects import EffectResult, estimate_effect
from indicators.periods import GRANULARITIES, convert
from indicators.synth import estimate_synth

METHODES = ("did", "synth")
PERIODE_PER = {"maand": "maand", "kwartaal": "kwartaal", "jaar": "jaar"}
PANEL_COLUMNS = ["code", "periode", "teller", "noemer"]
# A line with more than this share of its periods secret is read at the next longer period.
MAX_SECRET_SHARE = 0.25
_WORD = {"maand": "maand", "kwartaal": "kwartaal", "jaar": "jaar"}


def _intervention(conn: Connection | Engine, interventie_id: str) -> pd.Series:
    interventions = store.load_interventions(conn)
    found = interventions[interventions["id"] == interventie_id]
    if found.empty:
        known = ", ".join(interventions["id"]) or "geen"
        raise InputError(f"Onbekende interventie {interventie_id!r}; bekend: {known}.")
    row = found.iloc[0]
    if not row["buurtcodes"]:
        raise InputError(f"Interventie {interventie_id!r} heeft geen buurten.")
    return row


def check_request(indicator: str, methode: str, periode_per: str) -> catalogue.Indicator:
    """The indicator's card; InputError for an unknown method, period or indicator."""
    if methode not in METHODES:
        raise InputError(f"Onbekende methode {methode!r}; kies uit {', '.join(METHODES)}.")
    if periode_per not in PERIODE_PER:
        raise InputError(f"Onbekende periode {periode_per!r}; kies maand, kwartaal of jaar.")
    try:
        card = catalogue.get(indicator)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    if indicator in NO_EFFECT_ANALYSIS:
        raise InputError(
            f"Op {indicator} wordt geen effect van een aanpak geschat: het is een maat voor "
            "woondruk, nooit een doel of risicofactor van handhaving (docs/principes.md)."
        )
    return card


def group_panel(
    pub: ClusterPublication, indicator: str, interventie: str, granularity: str
) -> pd.DataFrame:
    """The intervention's published group lines as a panel: ``code`` ("behandeld", "controle",
    "ring", "cohort:YYYY-MM"), ``periode``, ``teller`` (the published count; NaN where secret
    or missing), ``noemer``."""
    groups = pub.groups(indicator, interventie)
    rows = pub.rows(indicator, levels=["groep"], granularity=granularity)
    rows = rows[rows["code"].isin(groups["code"])]
    short = {str(c): str(c).split(":", 1)[1] for c in groups["code"]}
    return pd.DataFrame(
        {
            "code": rows["code"].map(short),
            "periode": rows["periode"],
            "teller": rows["teller_publ"].astype(float),
            "noemer": rows["noemer_publ"].astype(float),
        }
    )[PANEL_COLUMNS].reset_index(drop=True)


def _secret_share(panel: pd.DataFrame, code: str) -> float:
    own = panel[panel["code"] == code]
    return 1.0 if own.empty else float(own["teller"].isna().mean())


def _granularity(
    pub: ClusterPublication, indicator: str, interventie: str, wanted: str
) -> tuple[str, pd.DataFrame]:
    """The finest period from ``wanted`` on at which every line the estimate uses (treated or
    each stage, and the comparison) is mostly shown: a secret period is dropped, and dropping
    many biases the estimate towards the periods with larger counts."""
    order = list(GRANULARITIES)
    for granularity in order[order.index(wanted) :]:
        panel = group_panel(pub, indicator, interventie, granularity)
        lines = [c for c in panel["code"].unique() if c != "ring"]
        if all(_secret_share(panel, c) <= MAX_SECRET_SHARE for c in lines):
            return granularity, panel
    raise InputError(
        f"De behandelde buurten van {interventie} zijn te klein om {indicator} te tonen, ook per "
        "jaar: te klein om te tonen."
    )


def _members(pub: ClusterPublication, indicator: str, interventie: str, rol: str) -> list[str]:
    groups = pub.groups(indicator, interventie)
    rows = groups[groups["rol"] == rol]
    return sorted({str(c) for members in rows["leden"] for c in members})


def effect_for_intervention(
    conn: Connection | Engine,
    interventie_id: str,
    indicator: str,
    methode: str = "did",
    *,
    periode_per: str = "maand",
    pub: ClusterPublication | None = None,
) -> EffectResult:
    """Estimate an intervention's effect on ``indicator`` from its published group lines.

    ``pub`` may be given (the dashboard keeps one); otherwise the publication of the
    intervention's cluster is opened. Raises InputError for an unknown intervention, indicator,
    method or period, and when the treated buurten are too small to show even per year.
    """
    card = check_request(indicator, methode, periode_per)
    row = _intervention(conn, interventie_id)
    gemeente = gemeente_of(str(row["buurtcodes"][0]))
    if pub is None:
        pub = open_publication(
            conn, gemeenten=[gemeente], indicators=[indicator, catalogue.CONTROLES]
        )
    groups = pub.groups(indicator, interventie_id)
    if groups.empty:
        raise InputError(
            f"Interventie {interventie_id} heeft geen buurten in de geladen indeling van {gemeente}."
        )
    if "controle" not in set(groups["rol"]):
        raise InputError(
            f"Geen vergelijkingsbuurten voor {interventie_id}: er zijn geen gegevens van vóór de "
            "start, of geen andere buurten in de gemeente."
        )
    granularity, panel = _granularity(pub, indicator, interventie_id, periode_per)
    donors: list[str] = []
    donor_panel = pd.DataFrame(columns=PANEL_COLUMNS)
    if methode == "synth":  # donors too must be published lines: coarser periods if need be
        granularity, panel, donors, donor_panel = _synth_inputs(
            pub, indicator, interventie_id, granularity, row
        )
    cohorts = groups[groups["rol"] == "cohort"]
    if len(cohorts):
        treated = [str(c).split(":", 1)[1] for c in cohorts["code"]]
        start: str | dict[str, str] = {
            t: str(convert(str(s), granularity))
            for t, s in zip(treated, cohorts["start"], strict=True)
        }
    else:
        treated = ["behandeld"]
        first = str(groups.loc[groups["rol"] == "behandeld", "start"].iloc[0])
        start = str(convert(first, granularity))
    eind = None if row["eind"] is None else convert(f"{row['eind']:%Y-%m}", granularity)
    effort = None
    if card.hit or card.afgeleid:
        effort = group_panel(pub, catalogue.CONTROLES, interventie_id, granularity)
    ring = _members(pub, indicator, interventie_id, "ring")
    common: dict[str, Any] = {
        "treated": treated,
        "ring": ["ring"] if "ring" in set(panel["code"]) else [],
        "ring_buurten": len(ring) or None,
        "start": start,
        "end": eind,
        "eenheid": card.eenheid,
        "schaal": card.schaal,
        "effort": effort,
        "hoger_is_slechter": card.hoger_is_slechter,
        "interventie": interventie_id,
        "indicator": card.code,
    }
    if methode == "did":
        controls = _members(pub, indicator, interventie_id, "controle")
        result = estimate_effect(
            panel, controls=["controle"], n_vergelijkingsbuurten=len(controls), **common
        )
    else:
        result = estimate_synth(
            pd.concat([panel, donor_panel], ignore_index=True), controls=donors, **common
        )
    return _relabel(result, pub, indicator, interventie_id, granularity, periode_per)


def _synth_inputs(
    pub: ClusterPublication, indicator: str, interventie: str, first: str, row: pd.Series
) -> tuple[str, pd.DataFrame, list[str], pd.DataFrame]:
    """The finest period from ``first`` on with at least two usable donor lines."""
    order = list(GRANULARITIES)
    problem: InputError | None = None
    for granularity in order[order.index(first) :]:
        try:
            donors, donor_panel = _donors(pub, indicator, interventie, granularity, row)
        except InputError as exc:
            problem = exc
            continue
        return (
            granularity,
            group_panel(pub, indicator, interventie, granularity),
            donors,
            donor_panel,
        )
    assert problem is not None
    raise problem


def _donors(
    pub: ClusterPublication,
    indicator: str,
    interventie: str,
    granularity: str,
    row: pd.Series,
) -> tuple[list[str], pd.DataFrame]:
    """Published lines of buurten and wijken that can serve as donors: outside the treated
    buurten, the ring and other interventions, and shown in every period."""
    gemeente = gemeente_of(str(row["buurtcodes"][0]))
    treated = set(_members(pub, indicator, interventie, "behandeld"))
    ring = set(_members(pub, indicator, interventie, "ring"))
    others = {c for i in pub.data.interventions if i.id != interventie for c in i.buurten}
    avoid = treated | ring | others
    rows = pub.rows(
        indicator, gemeenten=[gemeente], granularity=granularity, levels=["buurt", "wijk"]
    )
    wijk_of = pub.data.plain_areas.set_index("code")["parent_code"].to_dict()
    touched = {wijk_of.get(c) for c in avoid}
    rows = rows[~rows["code"].isin(avoid) & ~rows["code"].isin(touched) & (rows["status"] != ".")]
    # A donor is a line shown in every period and with cases in most of them (a buurt with no
    # cases at all is shown too, but is no twin of anything).
    usable = rows.groupby("code")["teller_publ"].agg(
        lambda s: bool(s.notna().all() and (s > 0).mean() >= 0.5)
    )
    donors = sorted(str(c) for c, ok in usable.items() if ok)
    if len(donors) < 2:
        raise InputError(
            "Te weinig gepubliceerde reeksen om een synthetische controle te vormen; kies "
            "'did' of een langere periode (--periode-per kwartaal of jaar)."
        )
    used = rows[rows["code"].isin(donors)]
    panel = pd.DataFrame(
        {
            "code": used["code"],
            "periode": used["periode"],
            "teller": used["teller_publ"].astype(float),
            "noemer": used["noemer_publ"].astype(float),
        }
    )
    return donors, panel


def _relabel(
    result: EffectResult,
    pub: ClusterPublication,
    indicator: str,
    interventie: str,
    granularity: str,
    wanted: str,
) -> EffectResult:
    """Group names back to buurtcodes, and the warnings the published lines call for."""
    warnings = list(result.waarschuwingen)
    controls = _members(pub, indicator, interventie, "controle")
    if granularity != wanted:
        warnings.append(
            f"Per {_WORD[wanted]} zijn de behandelde buurten te klein om te tonen; het effect is "
            f"per {_WORD[granularity]} berekend."
        )
    warnings.append(
        "Berekend op de gepubliceerde groepsreeksen (aantallen afgerond op 5), zodat het effect "
        "niets prijsgeeft dat de publicatie niet al toont."
    )
    cohorten = [
        {
            **c,
            "behandeld": sorted(
                m
                for code in cast(list[str], c.get("behandeld", []))
                for m in _cohort_members(pub, indicator, interventie, str(code))
            ),
        }
        for c in result.cohorten
    ]
    return dataclasses.replace(
        result,
        periode_per=granularity,
        behandeld=_members(pub, indicator, interventie, "behandeld"),
        controle=controls if result.methode == "did" else result.controle,
        ring=_members(pub, indicator, interventie, "ring"),
        waarschuwingen=warnings,
        cohorten=cohorten,
    )


def _cohort_members(
    pub: ClusterPublication, indicator: str, interventie: str, code: str
) -> Sequence[str]:
    groups = pub.groups(indicator, interventie)
    rows = groups[groups["code"] == f"{interventie}:{code}"]
    return [] if rows.empty else list(rows.iloc[0]["leden"])


def granularity_of(result: EffectResult) -> str:
    """The period the effect was computed per."""
    return result.periode_per


__all__ = [
    "METHODES",
    "NO_EFFECT_ANALYSIS",
    "check_request",
    "effect_for_intervention",
    "granularity_of",
    "group_code",
    "group_panel",
]

"""Power before the start (``wijkmonitor power``): how large must an effect on these buurten be to
be seen after 12, 24 and 36 months? Computed from the publication only.

The planned buurten need not form a published group, so their line is put together from
published numbers: per buurt its published count per quarter, and where that is secret ("x"),
its share (by the indicator's noemer) of its wijk's published count. The comparison line is the
rest of the gemeente: the gemeente's published count minus the planned buurten' line. The
minimum detectable effect then comes from ``indicators.power.minimum_detectable_effect`` on those
two lines, the way the effect itself will be estimated on the published group lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from data.publication.effects import check_request
from data.publication.read import ClusterPublication, open_publication
from geo.areas import gemeente_of, parent_of
from geo.errors import InputError
from indicators import catalogue
from indicators.power import PowerResult, minimum_detectable_effect

GRANULARITY = "kwartaal"  # buurt months are mostly secret; quarters keep most of the detail


@dataclass(frozen=True)
class PlannedPower:
    """The minimum detectable effects for a planned intervention on ``buurten``."""

    indicator: str
    buurten: list[str]
    result: PowerResult

    def per_month(self) -> dict[int, float]:
        """The minimum detectable effects per month, as the contract gives them: a rate per
        quarter of a count is three monthly rates (a ratio such as '%' stays as it is)."""
        card = catalogue.get(self.indicator)
        months = {"maand": 1, "kwartaal": 3, "jaar": 12}[self.result.granulariteit]
        factor = months if card.noemer in catalogue.DENOMINATORS else 1
        return {h: size / factor for h, size in self.result.mde.items()}

    def to_json_dict(self) -> dict[str, object]:
        """``{"indicator", "eenheid", "buurten", "mde": {"12", "24", "36"}, ...}``: ``mde`` per
        month (the contract), ``mde_per_periode`` in the periods of the series
        (``granulariteit``)."""
        inner = self.result.to_json_dict()
        per_period = inner.pop("mde")
        mde = {
            str(h): round(v, 3) + 0.0 if math.isfinite(v) else None
            for h, v in self.per_month().items()
        }
        return {
            "indicator": self.indicator,
            "eenheid": inner.pop("eenheid"),
            "buurten": self.buurten,
            "mde": mde,
            "mde_per_periode": per_period,
            **inner,
        }


def planned_lines(pub: ClusterPublication, indicator: str, buurten: Sequence[str]) -> pd.DataFrame:
    """Panel ``code, periode, teller, noemer`` of "behandeld" and "controle" from published rows."""
    gemeente = gemeente_of(buurten[0])
    rows = pub.rows(indicator, gemeenten=[gemeente], granularity=GRANULARITY)
    rows = rows[rows["status"] != "."]
    by_code = rows.set_index(["code", "periode"])
    periods = sorted(rows["periode"].unique())
    teller = np.zeros(len(periods))
    noemer = np.zeros(len(periods))
    for code in buurten:
        wijk = parent_of(code)
        own = by_code.reindex([(code, p) for p in periods])
        whole = by_code.reindex([(wijk, p) for p in periods])
        share = own["noemer_publ"].to_numpy(dtype=float) / whole["noemer_publ"].to_numpy(
            dtype=float
        )
        estimate = np.where(
            own["teller_publ"].notna().to_numpy(),
            own["teller_publ"].to_numpy(dtype=float),
            share * whole["teller_publ"].to_numpy(dtype=float),
        )
        teller += np.nan_to_num(estimate)
        noemer += np.nan_to_num(own["noemer_publ"].to_numpy(dtype=float))
    total = by_code.reindex([(gemeente, p) for p in periods])
    frame = pd.DataFrame(
        {
            "code": ["behandeld"] * len(periods) + ["controle"] * len(periods),
            "periode": periods * 2,
            "teller": np.concatenate([teller, total["teller_publ"].to_numpy(dtype=float) - teller]),
            "noemer": np.concatenate([noemer, total["noemer_publ"].to_numpy(dtype=float) - noemer]),
        }
    )
    return frame[frame["noemer"] > 0].reset_index(drop=True)


def planned_power(
    conn: Connection | Engine,
    buurten: Sequence[str],
    indicator: str,
    *,
    pub: ClusterPublication | None = None,
) -> PlannedPower:
    """The minimum detectable effects of an intervention on ``buurten`` (one gemeente)."""
    card = check_request(indicator, "did", "maand")
    codes = sorted({b.strip().upper() for b in buurten})
    if not codes:
        raise InputError("Geef minstens één buurt op (--buurt BU........).")
    gemeenten = {gemeente_of(c) for c in codes}
    if len(gemeenten) != 1:
        raise InputError(
            "De buurten van een aanpak liggen in één gemeente; nu: " + ", ".join(sorted(gemeenten))
        )
    gemeente = gemeenten.pop()
    if pub is None:
        pub = open_publication(conn, gemeenten=[gemeente], indicators=[indicator])
    known = set(pub.data.plain_areas.loc[pub.data.plain_areas["level"] == "buurt", "code"])
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InputError("Onbekende buurt(en): " + ", ".join(unknown))
    panel = planned_lines(pub, indicator, codes)
    result = minimum_detectable_effect(
        panel,
        treated=["behandeld"],
        controls=["controle"],
        eenheid=card.eenheid,
        schaal=card.schaal,
        hoger_is_slechter=card.hoger_is_slechter,
    )
    return PlannedPower(card.code, codes, result)

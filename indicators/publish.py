"""What may be shown of one indicator: every level and granularity disclosed in one pass.

Disclosure control protects cells only against the other cells of the same ``disclose`` call,
so months, quarters and years are disclosed together here, and every screen, PDF and export
takes its numbers from this one function.

``illegale_bewoning_per_controle`` shares its numbers with two other indicators: its teller is
the ``illegale_bewoning`` count and its noemer the ``controles`` count. It is published only
where both of those cells are published, and never shows a count of its own, so it cannot
reveal a cell that their own tables hide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators import catalogue
from indicators.disclosure import disclose
from indicators.periods import GRANULARITIES, granularities
from indicators.rates import indicator_table

_KEY = ["code", "periode"]


def _all_granularities(
    signals: pd.DataFrame, deliveries: pd.DataFrame, areas: pd.DataFrame, indicator: str
) -> pd.DataFrame:
    tables = [
        indicator_table(signals, deliveries, areas, indicator=indicator, granularity=g)
        for g in GRANULARITIES
    ]
    return pd.concat(tables, ignore_index=True)


def published_table(
    signals: pd.DataFrame, deliveries: pd.DataFrame, areas: pd.DataFrame, *, indicator: str
) -> pd.DataFrame:
    """The disclosed table of ``indicator`` for maand, kwartaal and jaar together.

    Parameters and columns as ``indicators.rates.indicator_table``, plus ``granulariteit`` and
    the columns of ``indicators.disclosure.disclose`` (``status``, ``teller_publ``,
    ``waarde_publ``). Filter on ``granulariteit`` to show one period length.
    """
    card = catalogue.get(indicator)
    if not card.afgeleid:
        table = disclose(_all_granularities(signals, deliveries, areas, indicator))
        return table.assign(granulariteit=granularities(table["periode"]))
    hits = published_table(signals, deliveries, areas, indicator="illegale_bewoning")
    effort = published_table(signals, deliveries, areas, indicator="controles")
    own = disclose(_all_granularities(signals, deliveries, areas, indicator))
    both = own.merge(hits[[*_KEY, "status"]].rename(columns={"status": "status_hits"}), on=_KEY)
    both = both.merge(
        effort[[*_KEY, "status"]].rename(columns={"status": "status_effort"}), on=_KEY
    )
    missing = both["teller"].isna() | (both["status_effort"] == ".")
    hidden = (both["status_hits"] != "") | (both["status_effort"] != "")
    both["status"] = np.where(missing, ".", np.where(hidden | (both["status"] == "x"), "x", ""))
    both["waarde_publ"] = both["waarde_publ"].where(both["status"] == "")
    both["teller_publ"] = np.nan  # the count belongs to illegale_bewoning's own table
    both = both.drop(columns=["status_hits", "status_effort"])
    return both.assign(granulariteit=granularities(both["periode"]))

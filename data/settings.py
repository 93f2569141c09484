"""The one settings object, read from the environment at the edges (CLI, dashboard) only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "sqlite:///wijkmonitor.db"
FILES = Path(__file__).resolve().parent / "files"


@dataclass(frozen=True)
class Settings:
    """Plain values; pass them down, never read the environment below the edges."""

    db_url: str = DEFAULT_DB
    pdok_api: str = "https://api.pdok.nl"
    pdok_service: str = "https://service.pdok.nl"
    # Background map: "pdok" (BRT-Achtergrondkaart grijs), "none", or a {z}/{x}/{y} URL template.
    tiles: str = "pdok"
    bewaartermijn_dagen: int = 730
    cache_dir: str = str(Path.home() / ".cache" / "wijkmonitor")

    @property
    def tiles_url(self) -> str | None:
        """The XYZ tile URL for the map background, or None for no background."""
        if self.tiles == "none":
            return None
        if self.tiles == "pdok":
            return (
                f"{self.pdok_service}/brt/achtergrondkaart/wmts/v2_0/grijs/EPSG:3857/"
                "{z}/{x}/{y}.png"
            )
        return self.tiles


def from_env(db_url: str | None = None) -> Settings:
    """Read settings from WIJKMONITOR_* variables; an explicit ``db_url`` wins (``--db``)."""
    env = os.environ
    base = Settings()
    return Settings(
        db_url=db_url or env.get("WIJKMONITOR_DB") or DEFAULT_DB,
        pdok_api=env.get("WIJKMONITOR_PDOK_API", base.pdok_api).rstrip("/"),
        pdok_service=env.get("WIJKMONITOR_PDOK_SERVICE", base.pdok_service).rstrip("/"),
        tiles=env.get("WIJKMONITOR_TILES", base.tiles),
        bewaartermijn_dagen=int(
            env.get("WIJKMONITOR_BEWAARTERMIJN_DAGEN", base.bewaartermijn_dagen)
        ),
        cache_dir=env.get("WIJKMONITOR_CACHE", base.cache_dir),
    )

"""The one settings object, read from the environment at the edges (CLI, dashboard) only.

Every ``WIJKMONITOR_*`` variable the program reads is a field of ``Settings``; nothing below the
edges reads the environment. A bad value raises ``SettingsError`` (an ``InputError``: exit 2)
that names the variable and what it accepts.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from geo.errors import InputError

DEFAULT_DB = "sqlite:///wijkmonitor.db"
FILES = Path(__file__).resolve().parent / "files"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
PREFIX = "WIJKMONITOR_"
MIN_CACHE_MB = 64

T = TypeVar("T")


class SettingsError(InputError):
    """A WIJKMONITOR_* variable has a value the program cannot use."""


@dataclass(frozen=True)
class UploadLimits:
    """Limits on a partner file, checked before it is parsed (sizes in bytes)."""

    max_bytes: int = 25 * 1024 * 1024
    max_rows: int = 250_000
    max_columns: int = 50
    # XLSX is a zip: what it unpacks to, and how many shared strings (one Python object each).
    max_unpacked_bytes: int = 100 * 1024 * 1024
    max_shared_strings: int = 500_000


@dataclass(frozen=True)
class Settings:
    """Plain values; pass them down, never read the environment below the edges."""

    db_url: str = DEFAULT_DB
    pdok_api: str = "https://api.pdok.nl"
    pdok_service: str = "https://service.pdok.nl"
    # Background map: "pdok" (BRT-Achtergrondkaart grijs), "none", or a {z}/{x}/{y} URL template.
    tiles: str = "pdok"
    bewaartermijn_dagen: int = 730
    # The audit log outlives the data it audits (BIO: logs kept long enough to investigate).
    audit_bewaartermijn_dagen: int = 1826
    cache_dir: str = str(Path.home() / ".cache" / "wijkmonitor")
    http_timeout: float = 30.0
    host: str = "127.0.0.1"
    sessie_minuten: int = 30
    login_pogingen: int = 5
    blokkade_minuten: int = 15
    # Behind a reverse proxy every user has the proxy's address: only then use X-Forwarded-For.
    vertrouw_proxy: bool = False
    # Memory a dashboard process may keep for published tables, in MB (one national indicator
    # table: about 200 MB; a gemeente's: under 1 MB). Least recently used goes first.
    cache_mb: int = 1024
    demo_login: bool = False
    debug: bool = False
    upload: UploadLimits = field(default_factory=UploadLimits)

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

    def with_db(self, db_url: str | None) -> Settings:
        """The same settings on another database (``--db`` wins over ``WIJKMONITOR_DB``)."""
        return self if not db_url else replace(self, db_url=db_url)


def _positive_int(name: str, value: str) -> int:
    text = value.strip().replace("_", "")
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(
            f"{name}={value!r} is geen geldig getal: geef een geheel getal van 1 of meer "
            "(zonder eenheid)."
        )
    return int(text)


def _positive_float(name: str, value: str) -> float:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        number = -1.0
    if not number > 0 or number != number or number == float("inf"):
        raise SettingsError(f"{name}={value!r} is geen geldig getal: geef een getal groter dan 0.")
    return number


def _flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "ja", "yes", "on"):
        return True
    if text in ("", "0", "false", "nee", "no", "off"):
        return False
    raise SettingsError(f"{name}={value!r}: geef 1 (aan) of 0 (uit).")


def _url(name: str, value: str) -> str:
    text = value.strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise SettingsError(f"{name}={value!r}: geef een URL die begint met http:// of https://.")
    return text


def _tiles(name: str, value: str) -> str:
    text = value.strip()
    if text in ("pdok", "none") or (text.startswith(("http://", "https://")) and "{z}" in text):
        return text
    raise SettingsError(
        f"{name}={value!r}: geef 'pdok', 'none' of een tegel-URL met {{z}}, {{x}} en {{y}}."
    )


def _text(name: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise SettingsError(f"{name} is leeg: laat de variabele weg of geef een waarde.")
    return text


def _cache_megabytes(name: str, value: str) -> int:
    text = value.strip().replace("_", "")
    if not text.isdigit() or int(text) < MIN_CACHE_MB:
        raise SettingsError(
            f"{name}={value!r}: geef het geheugen voor tabellen in megabyte, een geheel getal "
            f"van {MIN_CACHE_MB} of meer zonder eenheid (bijvoorbeeld 1024 voor 1 GB)."
        )
    return int(text)


def _megabytes(name: str, value: str) -> int:
    return _positive_int(name, value) * 1024 * 1024


def _read(env: Mapping[str, str], name: str, parse: Callable[[str, str], T], default: T) -> T:
    raw = env.get(PREFIX + name)
    return default if raw is None else parse(PREFIX + name, raw)


def _parse(env: Mapping[str, str]) -> Settings:
    base = Settings()
    limits = UploadLimits()
    upload = UploadLimits(
        max_bytes=_read(env, "MAX_BESTAND_MB", _megabytes, limits.max_bytes),
        max_rows=_read(env, "MAX_RIJEN", _positive_int, limits.max_rows),
        max_columns=_read(env, "MAX_KOLOMMEN", _positive_int, limits.max_columns),
        max_unpacked_bytes=_read(
            env, "MAX_XLSX_UITGEPAKT_MB", _megabytes, limits.max_unpacked_bytes
        ),
        max_shared_strings=_read(env, "MAX_XLSX_TEKSTEN", _positive_int, limits.max_shared_strings),
    )
    return Settings(
        db_url=env.get(PREFIX + "DB", "").strip() or base.db_url,
        pdok_api=_read(env, "PDOK_API", _url, base.pdok_api),
        pdok_service=_read(env, "PDOK_SERVICE", _url, base.pdok_service),
        tiles=_read(env, "TILES", _tiles, base.tiles),
        bewaartermijn_dagen=_read(env, "BEWAARTERMIJN_DAGEN", _positive_int, 730),
        audit_bewaartermijn_dagen=_read(env, "AUDIT_BEWAARTERMIJN_DAGEN", _positive_int, 1826),
        cache_dir=_read(env, "CACHE", _text, base.cache_dir),
        http_timeout=_read(env, "HTTP_TIMEOUT", _positive_float, base.http_timeout),
        host=_read(env, "HOST", _text, base.host),
        sessie_minuten=_read(env, "SESSIE_MINUTEN", _positive_int, base.sessie_minuten),
        login_pogingen=_read(env, "LOGIN_POGINGEN", _positive_int, base.login_pogingen),
        blokkade_minuten=_read(env, "BLOKKADE_MINUTEN", _positive_int, base.blokkade_minuten),
        vertrouw_proxy=_read(env, "VERTROUW_PROXY", _flag, False),
        cache_mb=_read(env, "CACHE_MB", _cache_megabytes, base.cache_mb),
        demo_login=_read(env, "DEMO_LOGIN", _flag, False),
        debug=_read(env, "DEBUG", _flag, False),
        upload=upload,
    )


@functools.lru_cache(maxsize=8)
def _cached(items: tuple[tuple[str, str], ...]) -> Settings:
    return _parse(dict(items))


def from_env(db_url: str | None = None) -> Settings:
    """Settings from the WIJKMONITOR_* variables; an explicit ``db_url`` wins (``--db``).

    Parsed once per process and environment: the cache is keyed on the variables' values, so
    tests (and AppTest, which runs the dashboard inside the test process) that change the
    environment get their own settings. Raises SettingsError for a bad value.
    """
    items = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX)))
    return _cached(items).with_db(db_url)


def server_environment(settings: Settings) -> dict[str, str]:
    """The environment for a dashboard server started from the command line: this process's,
    on ``settings.db_url``, without ``WIJKMONITOR_DEMO_LOGIN`` (only ``serve --demo-login`` sets
    it, after its checks; one inherited from the caller is dropped)."""
    env = dict(os.environ, **{PREFIX + "DB": settings.db_url})
    env.pop(PREFIX + "DEMO_LOGIN", None)
    return env


def is_local(host: str) -> bool:
    """True when ``host`` is a loopback address: nobody else can reach a server there."""
    return host.strip().lower() in LOCAL_HOSTS

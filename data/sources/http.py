"""A small JSON-over-HTTP client for the live sources (PDOK): retries, a timeout and a disk cache.

Every page is cached under ``cache_dir`` in a file named after the SHA-256 of its full URL, so a
second load of the same gemeente and year makes no request at all; ``refresh=True`` (the CLI's
``--vernieuw``) fetches again and overwrites the cached pages.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from geo.errors import SourceError

USER_AGENT = "wijkmonitor/0.1 (Python httpx)"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0  # seconds: never wait longer than this on a server's Retry-After


@dataclass(frozen=True)
class JsonPage:
    """One JSON answer: the URL it came from, the decoded body and the headers that matter."""

    url: str
    data: Any
    content_crs: str | None = None
    from_cache: bool = False


@dataclass
class JsonClient:
    """GET JSON with retries and an on-disk cache.

    Parameters
    ----------
    cache_dir : folder for cached pages; None disables the cache.
    timeout : seconds per request (connect and read).
    tries : attempts per URL on connection errors, timeouts, 429 and 5xx.
    backoff : seconds before the second attempt; doubled before every further attempt.
    refresh : ignore cached pages (they are still written).
    """

    cache_dir: Path | None = None
    timeout: float = 30.0
    tries: int = 3
    backoff: float = 1.0
    refresh: bool = False
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = field(default=0, init=False)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> JsonClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (the client can be used again afterwards)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def get_json(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        *,
        mirror_setting: str = "WIJKMONITOR_PDOK_API",
    ) -> JsonPage:
        """Return the JSON at ``url`` (with ``params`` added to its query), cached.

        Raise SourceError with a plain Dutch message when the server stays unreachable or
        answers with an error; ``mirror_setting`` names the setting a user can point elsewhere.
        """
        full = full_url(url, params)
        cached = None if self.refresh else self._read_cache(full)
        if cached is not None:
            return cached
        response = self._get_with_retries(full, mirror_setting)
        try:
            data = response.json()
        except ValueError as exc:
            raise SourceError(
                f"PDOK gaf geen geldige JSON terug voor {full}: {exc}. "
                f"Probeer het later opnieuw of zet {mirror_setting} op een spiegel."
            ) from exc
        page = JsonPage(url=full, data=data, content_crs=response.headers.get("Content-Crs"))
        self._write_cache(page)
        return page

    # --- HTTP ------------------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=self.timeout,
                transport=self.transport,
                follow_redirects=True,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "application/geo+json, application/json;q=0.9",
                },
            )
        return self._client

    def _get_with_retries(self, url: str, mirror_setting: str) -> httpx.Response:
        reason = ""
        for attempt in range(1, self.tries + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                self.requests_made += 1
                response = self._http().get(url)
            except httpx.TimeoutException:
                reason = f"geen antwoord binnen {self.timeout:g} s"
            except httpx.TransportError as exc:
                reason = f"verbinding mislukt: {type(exc).__name__}"
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUS:
                    raise _status_error(response, mirror_setting)
                reason = f"HTTP {response.status_code}"
                wait = max(wait, _retry_after(response))
            if attempt < self.tries:
                self.sleep(wait)
        raise SourceError(
            f"PDOK is niet bereikbaar ({reason}, {self.tries} pogingen, {url}): probeer het "
            f"later opnieuw of zet {mirror_setting} op een spiegel."
        )

    # --- cache -----------------------------------------------------------------------------------

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return Path(self.cache_dir) / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.json"

    def _read_cache(self, url: str) -> JsonPage | None:
        path = self._cache_path(url)
        if path is None or not path.is_file():
            return None
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a damaged cache file is fetched again and overwritten
        if not isinstance(stored, dict) or stored.get("url") != url:
            return None
        return JsonPage(
            url=url, data=stored.get("data"), content_crs=stored.get("content_crs"), from_cache=True
        )

    def _write_cache(self, page: JsonPage) -> None:
        path = self._cache_path(page.url)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"url": page.url, "content_crs": page.content_crs, "data": page.data}
        # Write beside the target and rename: a reader never sees half a page.
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(body, out, ensure_ascii=False)
        Path(tmp).replace(path)


def full_url(url: str, params: Mapping[str, str] | None = None) -> str:
    """``url`` with ``params`` merged into its query string (the cache key)."""
    merged = httpx.URL(url)
    if params:
        merged = merged.copy_merge_params(dict(params))
    return str(merged)


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return min(float(value), MAX_RETRY_AFTER)
    except ValueError:
        return 0.0


def _status_error(response: httpx.Response, mirror_setting: str) -> SourceError:
    detail = response.text.strip().replace("\n", " ")[:200]
    return SourceError(
        f"PDOK weigerde het verzoek (HTTP {response.status_code}, {response.request.url})"
        + (f": {detail}" if detail else "")
        + f". Controleer jaar en gemeentecode, of zet {mirror_setting} op een spiegel.",
        status=response.status_code,
    )

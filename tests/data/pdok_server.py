"""A local stand-in for PDOK: replays the hand-built answers in tests/fixtures/pdok.

``PdokServer`` listens on 127.0.0.1 with a random port in a thread. Routes match a path and
chosen query parameters (a value of None means "absent"); a route can answer only a number of
times, answer slowly, or answer with an error. Every request is recorded, so tests can assert
that a second (cached) load makes none. ``@@BASE@@`` and ``@@ALT@@`` in bodies become
``http://127.0.0.1:PORT`` and ``http://localhost:PORT``: the same server under another host name.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pdok"
RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CBS = "/cbs/wijken-en-buurten-2024/ogc/v1/collections"
BAG = "/kadaster/bag/ogc/v2/collections"
WFS = "/cbs/wijkenbuurten/2024/wfs/v1_0"
CBS_CURSORS = ("Ag8BX0NCUzAzMDgwMTAw", "Ag8BX0NCUzAzMDgwNDAw")
BAG_CURSORS = (
    "Bg8BX2lkZW50aWZpY2F0aWU9MDMwODAxMDAwMDAwMDEw",
    "Bg8BX2lkZW50aWZpY2F0aWU9MDMwODAxMDAwMDAwMDIw",
)

Body = bytes | Callable[[Mapping[str, str]], bytes]


@dataclass
class Route:
    path: str
    query: Mapping[str, str | None]
    body: Body
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None  # answer this many times, then let later routes answer

    def matches(self, path: str, query: Mapping[str, str]) -> bool:
        if path != self.path or self.times == 0:
            return False
        return all(
            (name not in query) if want is None else query.get(name) == want
            for name, want in self.query.items()
        )


class PdokServer:
    """The fake PDOK. Use as a context manager; ``base`` is the URL to configure."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.requests: list[str] = []
        self.hosts: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        port = self._httpd.server_address[1]
        self.base = f"http://127.0.0.1:{port}"
        self.alt_base = f"http://localhost:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> PdokServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def add(
        self,
        path: str,
        body: Body,
        *,
        query: Mapping[str, str | None] | None = None,
        **options: object,
    ) -> Route:
        route = Route(path=path, query=dict(query or {}), body=body, **options)  # type: ignore[arg-type]
        with self._lock:
            self.routes.append(route)
        return route

    def add_file(self, path: str, name: str, **options: object) -> Route:
        return self.add(path, (FIXTURES / name).read_bytes(), **options)  # type: ignore[arg-type]

    def count(self, path_part: str = "") -> int:
        """How many requests reached the server whose path and query contain ``path_part``."""
        with self._lock:
            return sum(path_part in r for r in self.requests)

    def answer(self, raw_path: str, host: str) -> Route | None:
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            self.requests.append(raw_path)
            self.hosts.append(host.split(":")[0])
            for route in self.routes:
                if route.matches(parts.path, query):
                    if route.times is not None:
                        route.times -= 1
                    return route
        return None

    def render(self, route: Route, raw_path: str) -> bytes:
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = route.body(query) if callable(route.body) else route.body
        return body.replace(b"@@BASE@@", self.base.encode()).replace(
            b"@@ALT@@", self.alt_base.encode()
        )


def _handler(server: PdokServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = server.answer(self.path, self.headers.get("Host", ""))
            if route is None:
                status, headers = 404, {"Content-Type": "application/json"}
                body = b'{"code":"NotFound","description":"geen fixture voor dit pad"}'
            else:
                time.sleep(route.delay)
                status = route.status
                headers = {"Content-Type": "application/geo+json", **route.headers}
                body = server.render(route, self.path)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


# --- the standard fixture routes --------------------------------------------------------------------


def serve_cbs(server: PdokServer, *, times: int | None = None) -> None:
    """The 2024 Baarn collections: buurten in three pages (next links), wijken, gemeenten."""
    headers = {"Content-Crs": f"<{RD_URI}>"}
    path = f"{CBS}/buurten/items"
    first = {"gemeentecode": "GM0308", "crs": RD_URI, "cursor": None}
    server.add_file(path, "ogc_buurten_2024_1.json", query=first, headers=headers, times=times)
    for n, cursor in enumerate(CBS_CURSORS, start=2):
        server.add_file(
            path, f"ogc_buurten_2024_{n}.json", query={"cursor": cursor}, headers=headers
        )
    for collection in ("wijken", "gemeenten"):
        server.add_file(
            f"{CBS}/{collection}/items",
            f"ogc_{collection}_2024.json",
            query={"gemeentecode": "GM0308", "crs": RD_URI},
            headers=headers,
        )


def _wfs_slice(query: Mapping[str, str]) -> bytes:
    full = json.loads((FIXTURES / "wfs_buurten_2024.json").read_text(encoding="utf-8"))
    start, count = int(query.get("startIndex", "0")), int(query.get("count", "1000"))
    full["features"] = full["features"][start : start + count]
    full["numberReturned"] = len(full["features"])
    return json.dumps(full).encode()


def serve_wfs(server: PdokServer) -> None:
    """The WFS buurten layer of 2024, sliced by ``startIndex``/``count`` like a WFS 2.0 server."""
    server.add(
        WFS,
        _wfs_slice,
        query={"typeNames": "wijkenbuurten:buurten", "request": "GetFeature"},
        headers={"Content-Type": "application/json"},
    )


def serve_bag(server: PdokServer, *, rd: bool = True, content_crs: bool = True) -> None:
    """Verblijfsobjecten in three cursor pages, and their panden.

    ``rd``: answer in RD as asked (else lon/lat, as a server that ignores ``crs`` would);
    ``content_crs``: send the Content-Crs header.
    """
    variant = "_rd" if rd else ""
    headers = {"Content-Crs": f"<{RD_URI if rd else CRS84_URI}>"} if content_crs else {}
    path = f"{BAG}/verblijfsobject/items"
    server.add_file(path, f"bag_vbo{variant}_1.json", query={"cursor": None}, headers=headers)
    for n, cursor in enumerate(BAG_CURSORS, start=2):
        server.add_file(
            path, f"bag_vbo{variant}_{n}.json", query={"cursor": cursor}, headers=headers
        )
    server.add_file(f"{BAG}/pand/items", "bag_pand.json", headers={"Content-Crs": f"<{RD_URI}>"})


def running() -> Iterator[PdokServer]:
    """A started server with no routes, for a pytest fixture to yield."""
    with PdokServer() as server:
        yield server

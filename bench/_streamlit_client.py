"""A visitor that speaks Streamlit's own protocol: one websocket, BackMsgs out, ForwardMsgs in.

Far lighter than a browser per visitor (2 cores cannot drive 30 Chromium pages and a server),
and the server cannot tell the difference: it runs the same script for the same messages. It
does what a browser asks of the server on a first visit: the page and its static files (once
per visitor), the websocket, the map frame's files, and files behind download buttons. It does
not draw anything: the browser's own share of a page load is what bench/serve_to_map.py shows.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FETCHERS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="bezoeker")
ASSET = re.compile(r'(?:src|href)="(\./|/)?(static/[^"]+)"')
COMPONENT_FILES = ("index.html", "static/js/main.521860b0.js")
LEAFLET_FILES = ("app/static/leaflet/leaflet.js", "app/static/leaflet/leaflet.css")


class VisitError(Exception):
    """What a user would have seen go wrong: an error on the page, no answer, a failed file."""


@dataclass
class Widget:
    kind: str
    id: str
    options: tuple[str, ...] = ()
    url: str = ""
    deferred: str = ""


@dataclass
class Page:
    """What one script run showed: its widgets by label, headings, map frames, problems."""

    widgets: dict[str, Widget] = field(default_factory=dict)
    headings: list[str] = field(default_factory=list)
    maps: int = 0
    charts: int = 0
    problems: list[str] = field(default_factory=list)
    received: int = 0


class Visitor:
    """One visitor with its own HTTP cookies (a proxy's sticky-session cookie) and websocket."""

    resent = 0  # GETs sent again after a connection closed without an answer, all visitors

    def __init__(self, base: str, *, timeout: float = 120.0) -> None:
        self.base = base.rstrip("/") + "/"
        self.timeout = timeout
        self.http = httpx.AsyncClient(base_url=self.base, timeout=timeout)
        self.ws: websockets.ClientConnection | None = None
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.states: dict[str, WidgetState] = {}
        self._last = Page()
        self.session_id = ""

    async def open(self, *, assets: bool = True) -> Page:
        """What a browser does for a new visitor: the page, its static files, the websocket and
        the first script run."""
        index = await self.get("")
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        if assets:
            paths = list(dict.fromkeys(m.group(2) for m in ASSET.finditer(index.decode())))
            # a thread per visitor, as each visitor has a browser of their own
            await asyncio.get_running_loop().run_in_executor(FETCHERS, self._files, paths, cookie)
        headers = {"Cookie": cookie} if cookie else {}
        url = self.base.replace("http", "ws", 1) + "_stcore/stream"
        # a browser waits for the handshake as long as it takes (websockets' default: 10 s)
        self.ws = await websockets.connect(
            url,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers=headers,
            max_size=None,
            open_timeout=self.timeout,
        )
        return await self.run()

    def _files(self, paths: list[str], cookie: str) -> None:
        """Static files over one keep-alive connection, in a thread: httpx in the event loop
        spent 7 s of this client's CPU on 30 visitors' 69 MB, more than the server did."""
        url = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(
            url.hostname or "127.0.0.1", url.port, timeout=self.timeout
        )
        try:
            for path in paths:
                conn.request("GET", url.path + path, headers={"Cookie": cookie} if cookie else {})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise VisitError(f"HTTP {response.status} voor /{path}")
        finally:
            conn.close()

    async def get(self, path: str) -> bytes:
        try:
            response = await self.http.get(path)
        except httpx.RemoteProtocolError:
            # A kept-alive connection closed without an answer (seen once in 240 steps through
            # haproxy, cause not found). A browser sends a GET on a reused connection again
            # then; so does this client, once, and counts it (bench/load.py prints the count).
            Visitor.resent += 1
            response = await self.http.get(path)
        if response.status_code != 200:
            raise VisitError(f"HTTP {response.status_code} voor /{path}")
        return response.content

    async def map_frame(self) -> None:
        """The files the map's frame loads (the browser caches them after the first visit)."""
        component = "component/streamlit_folium.st_folium/"
        await asyncio.gather(
            *(self.get(component + p) for p in COMPONENT_FILES),
            *(self.get(p) for p in LEAFLET_FILES),
        )

    async def run(
        self, *, page: str | None = None, changes: dict[str, str | bool] | None = None
    ) -> Page:
        """One script run, as after a click: ``page`` by url path, widgets changed by label
        (a string for a text field or select box, True for a button)."""
        if page is not None:
            self.page_hash = self.pages[page]
        shown = self._last
        triggers = []
        for label, value in (changes or {}).items():
            widget = shown.widgets.get(label)
            if widget is None:
                raise VisitError(f"geen knop of veld {label!r} op de pagina")
            state = WidgetState(id=widget.id)
            if value is True:
                state.trigger_value = True
                triggers.append(widget.id)
            else:
                state.string_value = str(value)
            self.states[widget.id] = state
        msg = BackMsg()
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.widget_states.widgets.extend(self.states.values())
        for widget_id in triggers:  # a click counts once
            self.states.pop(widget_id)
        assert self.ws is not None
        await self.ws.send(msg.SerializeToString())
        self._last = await asyncio.wait_for(self._collect(), self.timeout)
        if self._last.problems:
            raise VisitError("; ".join(self._last.problems))
        return self._last

    async def _collect(self) -> Page:
        page = Page()
        assert self.ws is not None
        while True:
            raw = await self.ws.recv()
            page.received += len(raw)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session" and msg.new_session.HasField("initialize"):
                self.session_id = msg.new_session.initialize.session_id
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(page, msg.delta.new_element)
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "page_not_found":
                page.problems.append("pagina niet gevonden")
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    page.problems.append("script kon niet starten")
                if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return page
                page = Page(received=page.received)  # st.rerun(): the next run counts

    def _element(self, page: Page, element) -> None:  # type: ignore[no-untyped-def]
        kind = element.WhichOneof("type")
        body = getattr(element, kind)
        if kind == "exception":
            page.problems.append(f"fout: {body.type}: {body.message[:200]}")
        elif kind == "alert" and body.format == 1:  # an st.error
            page.problems.append(f"foutmelding: {body.body[:200]}")
        elif kind == "heading":
            page.headings.append(body.body)
        elif kind == "component_instance":
            page.maps += 1
        elif kind == "plotly_chart":
            page.charts += 1
        elif kind in ("selectbox", "text_input", "button", "download_button", "radio"):
            page.widgets[body.label] = Widget(
                kind,
                body.id,
                options=tuple(getattr(body, "options", ())),
                url=getattr(body, "url", ""),
                deferred=getattr(body, "deferred_file_id", ""),
            )

    async def download(self, label: str) -> bytes:
        """The file behind a download button: made on the click (deferred) or ready."""
        widget = self._last.widgets.get(label)
        if widget is None or widget.kind != "download_button":
            raise VisitError(f"geen downloadknop {label!r}")
        url = widget.url
        if widget.deferred:
            msg = BackMsg()
            request = msg.backend_operation_request
            request.request_id = uuid.uuid4().hex
            request.session_id = self.session_id
            request.deferred_file.file_id = widget.deferred
            assert self.ws is not None
            await self.ws.send(msg.SerializeToString())
            url = await asyncio.wait_for(self._deferred_url(request.request_id), self.timeout)
            # A browser fetches the made file at once; Streamlit drops a made file no session
            # refers to after two script runs of any session, so a fetch that waits its turn
            # in this client's event loop can miss it (HTTP 404; docs/metingen.md).
            response = httpx.get(
                self.base + url.lstrip("/"), cookies=self.http.cookies, timeout=self.timeout
            )
            if response.status_code != 200 or not response.content:
                raise VisitError(f"HTTP {response.status_code} voor {url}")
            return response.content
        content = await self.get(url.lstrip("/"))
        if not content:
            raise VisitError(f"leeg bestand achter {label!r}")
        return content

    async def _deferred_url(self, request_id: str) -> str:
        assert self.ws is not None
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            if msg.WhichOneof("type") == "backend_operation_response":
                response = msg.backend_operation_response
                if response.request_id == request_id:
                    if response.error_msg:
                        raise VisitError(f"download mislukt: {response.error_msg}")
                    return str(response.deferred_file.url)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.http.aclose()


async def timed(coro) -> float:  # type: ignore[no-untyped-def]
    """Seconds the awaitable took."""
    start = time.monotonic()
    await coro
    return time.monotonic() - start

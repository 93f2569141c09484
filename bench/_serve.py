"""Helpers of the dashboard benchmarks: the demo database, a `wijkmonitor serve` process and
its CPU and memory (read from /proc), Chromium's arguments, the machine's load."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("WIJKMONITOR_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
MAP_PATH = ".leaflet-overlay-pane path"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_average() -> float:
    """The machine's 1-minute load average (2 cores: above 2 means someone waits)."""
    return os.getloadavg()[0]


def wait_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} answered not within {timeout:.0f} s")


def build_demo(folder: Path) -> str:
    """Build the demo database (SQLite) in ``folder``; about 70 s. Returns its URL."""
    db = f"sqlite:///{folder / 'demo.db'}"
    subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "--db", db, "demo"],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return db


@dataclass
class Server:
    """A running `wijkmonitor serve` (it execs Streamlit: the pid is the server itself)."""

    proc: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def _status(self, key: str) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def rss_mb(self) -> float:
        return self._status("VmRSS")

    def peak_rss_mb(self) -> float:
        return self._status("VmHWM")


def start_server(
    db: str,
    *,
    port: int | None = None,
    demo_login: bool = False,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Server:
    """Start `wijkmonitor serve` on localhost and wait for its health check."""
    port = port or free_port()
    command = [sys.executable, "-m", "dashboard.cli", "--db", db, "serve", "--port", str(port)]
    if demo_login:
        command.append("--demo-login")
    environment = dict(os.environ, WIJKMONITOR_TILES="none") | (env or {})
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives with the server
    proc = subprocess.Popen(command, env=environment, stdout=out, stderr=out, cwd=ROOT)
    server = Server(proc, port)
    wait_http(f"http://127.0.0.1:{port}/_stcore/health")
    return server


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()

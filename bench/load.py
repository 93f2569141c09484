"""A meeting's worth of users: N visitors at once through an RPF meeting's script.

Run: .venv/bin/python bench/load.py --db URL [--users 1,10,30] [--replicas 2]

Starts `wijkmonitor serve` on the database (with --replicas 2: two of them on two ports behind
haproxy, with the config of deploy/haproxy.cfg: sticky sessions by cookie, websockets), adds
the users `raad-001`... (role rpf, region rpf-demo) and lets N visitors go through the script
at the same moment:

  openen       the link: page, static files, websocket, the login form
  inloggen     Gebruikersnaam, Wachtwoord, Inloggen -> the Overzicht with its map (+ map files)
  overzicht    choose Venlo -> its map
  indicator    choose another indicator -> the map anew
  excel        the Excel file of the Overzicht table
  regio        the Regio page: three gemeenten on one map
  wijkprofiel  the Wijkprofiel page: the trend charts
  briefing     make the wijkbriefing (PDF) and download it

Every visitor is a client of Streamlit's own protocol (bench/_streamlit_client.py): one
websocket per visitor, and the HTTP requests a browser makes. A step's time runs from the click
to the end of the script run (and the file, for downloads); an error is an exception or
st.error on the page, a failed request or no answer within 120 s. Think time between steps:
0,5-2 s. N = 1 runs the script 5 times in a row, N = 10 and N = 30 once (all at once).
Printed per N: p50/p95/max per step, errors, the server's CPU (mean over the round, % of one
core; all replicas together) and memory (RSS, peak), and the machine's load average.

With --nationaal DIR (the input of bench/national.py, made with its --prepare) the database
also gets every other gemeente of the Netherlands, in regions of ten neighbouring gemeenten,
published once (bench/_load_national.py); beside the first round of every N, one beheerder per
replica opens the Regio page of every one of those regions, with one indicator and then with
another: the servers then hold the national data, cluster by cluster, within their memory
budget (WIJKMONITOR_CACHE_MB) while the meeting goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import ROOT, Server, free_port, load_average, start_server, stop_server, wait_http
from _streamlit_client import VisitError, Visitor

STEPS = (
    "openen",
    "inloggen",
    "overzicht",
    "indicator",
    "excel",
    "regio",
    "wijkprofiel",
    "briefing",
)
PASSWORD = "vergadering-2026!"
REGION = "rpf-demo"
WIJK = "WK098325"


NATIONAL_STEPS = ("openen", "inloggen", "regio", "regio ind. 1", "regio ind. 2")
# The indicator the national visitor shows on every region's map, after the default one
# (both published beforehand: bench/_load_national.SHOWN).
NATIONAL_SECOND = "woningsplitsing"


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    errors: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in STEPS})

    @classmethod
    def of(cls, steps: tuple[str, ...]) -> Results:
        return cls({s: [] for s in steps}, {s: [] for s in steps})


def add_users(db: str, count: int, *, prefix: str = "raad", rol: str = "rpf") -> list[str]:
    """The meeting's members: rpf users of the demo region (idempotent), or beheerders."""
    sys.path.insert(0, str(ROOT))
    from data.access.users import add_user
    from data.db import make_engine

    engine = make_engine(db)
    names = [f"{prefix}-{i:03d}" for i in range(1, count + 1)]
    with engine.begin() as conn:
        for name in names:
            add_user(
                conn, name, rol=rol, wachtwoord=PASSWORD, regio=REGION if rol == "rpf" else None
            )
    engine.dispose()
    return names


async def meeting(base: str, user: str, rng: random.Random, results: Results) -> None:
    """One visitor through the script; stops at the first error (as a user would reload)."""
    visitor = Visitor(base)
    step = STEPS[0]

    async def do(name: str, action) -> None:  # type: ignore[no-untyped-def]
        nonlocal step
        step = name
        start = time.monotonic()
        await action
        results.times[name].append(time.monotonic() - start)
        await asyncio.sleep(rng.uniform(0.5, 2.0))

    try:
        await do("openen", _open(visitor))
        await do("inloggen", _login(visitor, user))
        await do(
            "overzicht",
            _expect_map(visitor, changes={"Gemeente": "Venlo (GM0983)"}, heading="Overzicht Venlo"),
        )
        await do(
            "indicator", _expect_map(visitor, changes={"Indicator": "Illegale woningsplitsing"})
        )
        await do("excel", visitor.download("Excel"))
        await do("regio", _expect_map(visitor, page="regio"))
        await do("wijkprofiel", _wijkprofiel(visitor))
        await do("briefing", _briefing(visitor))
    except (VisitError, TimeoutError, OSError, KeyError) as exc:
        results.errors[step].append(f"{user}: {type(exc).__name__}: {exc}"[:300])
    except Exception as exc:  # a broken websocket and the like: an error of this step
        results.errors[step].append(f"{user}: {type(exc).__name__}: {exc}"[:300])
    finally:
        await visitor.close()


async def national_tour(base: str, user: str, regions: list[str], results: Results) -> None:
    """A beheerder through the Regio page of every national region, with the default indicator
    and then with another (each a cluster's published table the server reads and keeps)."""
    from indicators import catalogue

    visitor = Visitor(base)
    step = NATIONAL_STEPS[0]

    async def do(name: str, action) -> None:  # type: ignore[no-untyped-def]
        nonlocal step
        step = name
        start = time.monotonic()
        await action
        results.times[name].append(time.monotonic() - start)

    try:
        await do("openen", _open(visitor))
        await do("inloggen", _login(visitor, user))
        await do("regio", _expect_map(visitor, page="regio"))
        for name in regions:
            await do("regio ind. 1", _expect_map(visitor, changes={"Regio": _region_name(name)}))
        change: dict[str, str | bool] = {"Indicator": catalogue.get(NATIONAL_SECOND).naam}
        await do("regio ind. 2", _expect_map(visitor, changes=change))
        for name in regions:
            await do("regio ind. 2", _expect_map(visitor, changes={"Regio": _region_name(name)}))
    except Exception as exc:  # any failure is this step's error
        results.errors[step].append(f"{user}: {type(exc).__name__}: {exc}"[:300])
    finally:
        await visitor.close()


def _region_name(region_id: str) -> str:
    return f"Nederland {region_id[3:]}"


async def _open(visitor: Visitor) -> None:
    page = await visitor.open()
    if "Gebruikersnaam" not in page.widgets:
        raise VisitError("geen inlogformulier")


async def _login(visitor: Visitor, user: str) -> None:
    changes: dict[str, str | bool] = {
        "Gebruikersnaam": user,
        "Wachtwoord": PASSWORD,
        "Inloggen": True,
    }
    page = await visitor.run(changes=changes)
    if page.maps != 1 or not any(h.startswith("Overzicht") for h in page.headings):
        raise VisitError(f"na inloggen geen Overzicht met kaart: {page.headings}")
    await visitor.map_frame()


async def _expect_map(
    visitor: Visitor,
    *,
    page: str | None = None,
    changes: dict[str, str | bool] | None = None,
    heading: str = "",
) -> None:
    shown = await visitor.run(page=page, changes=changes)
    if shown.maps < 1 or (heading and heading not in shown.headings):
        raise VisitError(f"geen kaart of kop {heading!r}: {shown.headings}")


async def _wijkprofiel(visitor: Visitor) -> None:
    shown = await visitor.run(page="wijkprofiel")
    if shown.charts < 1:
        raise VisitError("Wijkprofiel zonder grafiek")


async def _briefing(visitor: Visitor) -> None:
    await visitor.run(changes={f"Briefing (PDF) van {WIJK} maken": True})
    pdf = await visitor.download("Download briefing")
    if not pdf.startswith(b"%PDF"):
        raise VisitError("de briefing is geen PDF")


class Monitor(threading.Thread):
    """Samples the servers' CPU time and memory twice a second."""

    def __init__(self, servers: list[Server]) -> None:
        super().__init__(daemon=True)
        self.servers = servers
        self.stopped = threading.Event()
        self.rss_peak = 0.0
        self.cpu_start = self._cpu()
        self.client_start = _client_cpu()
        self.started = time.monotonic()
        self.loads = [load_average()]

    def _cpu(self) -> float:
        return sum(s.cpu_seconds() for s in self.servers)

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.rss_peak = max(self.rss_peak, sum(s.rss_mb() for s in self.servers))
            self.loads.append(load_average())

    def stop(self) -> tuple[float, float, float]:
        """Mean CPU (% of one core) of the servers and of this client since the start, and the
        servers' peak RSS (MB, all together)."""
        self.stopped.set()
        self.join()
        wall = time.monotonic() - self.started
        cpu = (self._cpu() - self.cpu_start) / wall * 100
        client = (_client_cpu() - self.client_start) / wall * 100
        return cpu, client, self.rss_peak


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def round_of(base: str, users: list[str], seed: int) -> Results:
    results = Results()
    await asyncio.gather(
        *(meeting(base, u, random.Random(seed + i), results) for i, u in enumerate(users))
    )
    return results


def run_level(
    base: str,
    users: list[str],
    servers: list[Server],
    n: int,
    national: list[str],
    regions: list[str],
) -> None:
    rounds = 5 if n == 1 else 1
    monitor = Monitor(servers)
    monitor.start()
    started = time.monotonic()
    all_results = Results()
    tours = Results.of(NATIONAL_STEPS)

    async def first_round() -> Results:
        meeting_round = round_of(base, users[:n], seed=0)
        together = await asyncio.gather(
            meeting_round, *(national_tour(base, u, regions, tours) for u in national)
        )
        first = together[0]
        assert isinstance(first, Results)
        return first

    for r in range(rounds):
        res = asyncio.run(first_round() if r == 0 else round_of(base, users[:n], seed=1000 * r))
        for step in STEPS:
            all_results.times[step] += res.times[step]
            all_results.errors[step] += res.errors[step]
    wall = time.monotonic() - started
    cpu, client, rss = monitor.stop()
    report(n, rounds, all_results, (cpu, client), rss, monitor.loads, wall, servers)
    if national:
        print(
            f"  beside the first round, {len(national)} beheerder(s) through the Regio page of "
            f"{len(regions)} national regions:"
        )
        table(tours, NATIONAL_STEPS)


def report(
    n: int,
    rounds: int,
    res: Results,
    cpu: tuple[float, float],
    rss: float,
    loads: list[float],
    wall: float,
    servers: list[Server],
) -> None:
    errors = sum(len(e) for e in res.errors.values())
    peaks = ", ".join(f"{s.peak_rss_mb():.0f}" for s in servers)
    print(
        f"\nN = {n} visitors at once, {rounds} round(s), {wall:.0f} s; errors: {errors}; "
        f"server CPU {cpu[0]:.0f}% of one core (mean; this client: {cpu[1]:.0f}%); RSS peak "
        f"{rss:.0f} MB (per process since start: {peaks} MB); load average "
        f"{min(loads):.2f}-{max(loads):.2f}"
    )
    table(res, STEPS)
    if Visitor.resent:
        print(
            f"  GETs sent again after a kept-alive connection closed unanswered: {Visitor.resent}"
        )
    sys.stdout.flush()


def table(res: Results, steps: tuple[str, ...]) -> None:
    """p50, p95 and max per step, errors, and the first errors of each step."""
    print(f"  {'step':12} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} {'errors':>6}")
    for step in steps:
        values = sorted(res.times[step])
        if values:
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            line = f"{statistics.median(values):6.2f}s {p95:6.2f}s {values[-1]:6.2f}s"
        else:
            line = f"{'-':>7} {'-':>7} {'-':>7}"
        print(f"  {step:12} {len(values):4d} {line} {len(res.errors[step]):6d}")
    for step in steps:
        for message in res.errors[step][:3]:
            print(f"  ! {step}: {message}")


def start_proxy(ports: list[int], folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """haproxy with deploy/haproxy.cfg in front of the replicas on ``ports``."""
    port = free_port()
    env = dict(
        os.environ,
        PROXY_BIND=f"127.0.0.1:{port}",
        APP1=f"127.0.0.1:{ports[0]}",
        APP2=f"127.0.0.1:{ports[1]}",
    )
    config = ROOT / "deploy" / "haproxy.cfg"
    subprocess.run(["haproxy", "-c", "-q", "-f", str(config)], env=env, check=True)
    log = open(folder / "haproxy.log", "ab")  # noqa: SIM115 - lives with the proxy
    proc = subprocess.Popen(["haproxy", "-db", "-f", str(config)], env=env, stdout=log, stderr=log)
    wait_http(f"http://127.0.0.1:{port}/_stcore/health")
    return proc, port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="the demo database (SQLite or PostGIS URL)")
    parser.add_argument("--users", default="1,10,30")
    parser.add_argument("--replicas", type=int, choices=(1, 2), default=1)
    parser.add_argument(
        "--nationaal",
        type=Path,
        metavar="DIR",
        help="add the national data of bench/national.py's input DIR and visit it beside",
    )
    args = parser.parse_args()
    if args.replicas == 2 and shutil.which("haproxy") is None:
        parser.error("--replicas 2 needs haproxy in front of them: apt-get install haproxy")
    levels = [int(n) for n in args.users.split(",")]
    users = add_users(args.db, max(levels))
    national: list[str] = []
    regions: list[str] = []
    if args.nationaal is not None:
        from _load_national import add_national

        regions = add_national(args.db, args.nationaal)
        national = add_users(args.db, args.replicas, prefix="land", rol="beheerder")
    folder = Path(tempfile.mkdtemp(prefix="wijkmonitor-load-"))
    servers = [start_server(args.db, log=folder / f"serve-{i}.log") for i in range(args.replicas)]
    proxy = None
    try:
        base = servers[0].url
        if args.replicas == 2:
            proxy, port = start_proxy([s.port for s in servers], folder)
            base = f"http://127.0.0.1:{port}/"
        print(
            f"{args.replicas} replica(s){' behind haproxy' if proxy else ''}; database "
            f"{args.db.split('://')[0]}; machine: {os.cpu_count()} cores; "
            f"{time.strftime('%Y-%m-%d %H:%M %Z')}; logs in {folder}"
        )
        # a first visitor per replica fills the caches (and makes the briefing): timed apart
        started = time.monotonic()
        warm = asyncio.run(round_of(base, users[: len(servers)], seed=7))
        errors = sum(len(e) for e in warm.errors.values())
        print(
            f"cold start: the first visitor(s) through the script took "
            f"{time.monotonic() - started:.1f} s, {errors} errors"
        )
        for n in levels:
            run_level(base, users, servers, n, national, regions)
        # every login and download was audited, by whichever replica: one unbroken chain?
        verify = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "--db", args.db, "audit-log", "verify"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        print(f"\naudit-log verify (exit {verify.returncode}): {verify.stdout.strip()[:300]}")
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait()
        for server in servers:
            stop_server(server)


if __name__ == "__main__":
    main()

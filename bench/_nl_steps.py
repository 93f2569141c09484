"""The timed steps of bench/national.py; each runs in its own process (``national.py --step``).

Every step prints one line ``RESULT {json}``: ``seconds`` (the step as a whole), ``parts`` (named
sub-timings), ``peak_mb`` (this process's ru_maxrss; with worker processes also the workers'),
and step-specific facts. Assignment steps save their answer per point as ``result_<step>.npy``
(int32: the row of the buurt in the sorted buurt codes, -1 outside) for the agreement check.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from geo.areas import gemeente_codes

WORKERS = 2
PG_ADMIN = "host=127.0.0.1 port=55432 user=postgres dbname=postgres"
PG_URL = "postgresql://postgres@127.0.0.1:55432/{name}"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def emit(step: str, seconds: float, **facts: object) -> None:
    """Print the step's RESULT line; the load average says how busy the machine was."""
    facts.setdefault("peak_mb", round(peak_mb()))
    facts.setdefault("cpu_s", round(cpu_seconds(), 1))
    facts.setdefault("load", [round(v, 1) for v in os.getloadavg()])
    print("RESULT " + json.dumps({"step": step, "seconds": round(seconds, 2), **facts}), flush=True)


class Clock:
    """Named sub-timings of one step."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}
        self.began = time.perf_counter()

    @contextmanager
    def part(self, name: str):
        start = time.perf_counter()
        yield
        self.parts[name] = round(time.perf_counter() - start, 2)

    def total(self) -> float:
        return time.perf_counter() - self.began


def _buurt_codes(cache: Path) -> np.ndarray:
    areas = pd.read_parquet(cache / "areas.parquet", columns=["code", "level"])
    return np.sort(areas.loc[areas["level"] == "buurt", "code"].to_numpy().astype(str))


def _save_result(cache: Path, step: str, codes: object, sorted_codes: np.ndarray) -> None:
    """Store ``codes`` (strings, None/NA outside) as rows of ``sorted_codes`` (-1 outside)."""
    rows = pd.Categorical(pd.Series(codes, copy=False), categories=sorted_codes).codes
    np.save(cache / f"result_{step}.npy", rows.astype(np.int32))


def _points(cache: Path) -> np.ndarray:
    return np.load(cache / "points.npy")


def _cached_buurten(cache: Path):
    import geopandas as gpd

    areas = gpd.read_parquet(cache / "areas.parquet")
    return areas.loc[areas["level"] == "buurt", ["code", "geometry"]].reset_index(drop=True)


# --- the product ----------------------------------------------------------------------------


def step_areas(cache: Path) -> None:
    """Read the shipped TopoJSON, normalise, complete the hierarchy and store it in SQLite."""
    import geopandas as gpd
    from _nl_data import raw_buurt_file

    from data import db, store
    from data.sources.files import area_layers
    from geo.areas import AREA_COLUMNS, KEY_FIGURES, normalise_areas

    target = cache / "national.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    figures = pd.read_parquet(cache / "keyfigures.parquet").set_index("code")
    clock = Clock()
    with clock.part("lezen"):
        (raw,) = area_layers(raw_buurt_file())
    with clock.part("normalise_areas"):
        buurten = normalise_areas(raw, jaar=2014)
        for figure in KEY_FIGURES:  # the synthetic key figures (CBS would deliver these)
            buurten[figure] = buurten["code"].map(figures[figure]).astype("Float64")
    with clock.part("save_areas (dissolve_levels + SQLite)"):
        engine = db.make_engine(f"sqlite:///{target}")
        stored = store.save_areas(engine, gpd.GeoDataFrame(buurten[AREA_COLUMNS]))
        engine.dispose()
    levels = stored["level"].value_counts().to_dict()
    emit(
        "areas",
        clock.total(),
        parts=clock.parts,
        rijen=levels,
        leeg=int(stored.geometry.is_empty.sum()),
    )


def _stored_buurten(cache: Path):
    from data import db, store

    engine = db.make_engine(f"sqlite:///{cache / 'national.db'}")
    buurten = store.load_areas(engine, indeling_jaar=2014, levels=["buurt"])
    engine.dispose()
    return buurten[["code", "geometry"]]


def step_assign(cache: Path) -> None:
    """geo.assign.assign_buurt on a GeoDataFrame of 9.9 million points (as data.addresses does)."""
    import geopandas as gpd

    from geo.assign import assign_buurt, count_per_buurt
    from geo.crs import RD

    xy = _points(cache)
    clock = Clock()
    with clock.part("buurten uit SQLite"):
        buurten = _stored_buurten(cache)
    with clock.part("punten-GeoDataFrame"):
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=RD)
    with clock.part("assign_buurt"):
        assigned = assign_buurt(points, buurten)
    with clock.part("count_per_buurt"):
        counts = count_per_buurt(assigned)
    total, peak = clock.total(), round(peak_mb())  # before the benchmark's own bookkeeping
    _save_result(cache, "assign", assigned["buurtcode"], _buurt_codes(cache))
    emit(
        "assign",
        clock.parts["assign_buurt"],
        parts=clock.parts,
        totaal=round(total, 2),
        peak_mb=peak,
        buiten=int(assigned["buiten"].sum()),
        buurten_met_adressen=len(counts),
    )


def step_assign_xy(cache: Path) -> None:
    """geo.assign.assign_buurt_xy on the coordinates: no Point objects at all."""
    from geo.assign import assign_buurt_xy

    xy = _points(cache)
    clock = Clock()
    with clock.part("buurten uit SQLite"):
        buurten = _stored_buurten(cache)
    with clock.part("assign_buurt_xy"):
        codes = assign_buurt_xy(xy[:, 0], xy[:, 1], buurten)
    total, peak = clock.total(), round(peak_mb())
    _save_result(cache, "assign_xy", codes, _buurt_codes(cache))
    emit(
        "assign_xy",
        clock.parts["assign_buurt_xy"],
        parts=clock.parts,
        totaal=round(total, 2),
        peak_mb=peak,
        buiten=int(codes.isna().sum()),
    )


# Per indicator work in worker processes: forked, so the inputs are shared, not pickled.
_SHARED: dict[str, object] = {}


def _load_indicator_inputs(cache: Path) -> None:
    from data import db, store

    signals = pd.read_parquet(cache / "signals.parquet")
    deliveries = pd.read_parquet(cache / "deliveries.parquet")
    engine = db.make_engine(f"sqlite:///{cache / 'national.db'}")
    areas = pd.DataFrame(store.load_areas(engine, indeling_jaar=2014).drop(columns="geometry"))
    engine.dispose()
    _SHARED.update(
        signals={k: v.reset_index(drop=True) for k, v in signals.groupby("indicator")},
        deliveries={k: v.reset_index(drop=True) for k, v in deliveries.groupby("indicator")},
        areas=areas,
        cache=cache,
    )


def _inputs_for(indicator: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The signals and deliveries an indicator reads (a derived one: those of its parts)."""
    from indicators import catalogue

    names = ["illegale_bewoning", "controles"] if catalogue.get(indicator).afgeleid else [indicator]
    signals: dict[str, pd.DataFrame] = _SHARED["signals"]  # type: ignore[assignment]
    deliveries: dict[str, pd.DataFrame] = _SHARED["deliveries"]  # type: ignore[assignment]
    return (
        pd.concat([signals[n] for n in names if n in signals], ignore_index=True),
        pd.concat([deliveries[n] for n in names if n in deliveries], ignore_index=True),
    )


def _rates_task(indicator: str) -> tuple[str, float, int, float]:
    from indicators.periods import GRANULARITIES
    from indicators.rates import indicator_table

    began = time.perf_counter()
    signals, deliveries = _inputs_for(indicator)
    areas: pd.DataFrame = _SHARED["areas"]  # type: ignore[assignment]
    table = pd.concat(
        [
            indicator_table(signals, deliveries, areas, indicator=indicator, granularity=g)
            for g in GRANULARITIES
        ],
        ignore_index=True,
    )
    table.to_parquet(Path(str(_SHARED["cache"])) / "tables" / f"{indicator}.parquet")
    return indicator, time.perf_counter() - began, len(table), peak_mb()


def _publication_task(indicator: str) -> tuple[str, float, int, float]:
    """The product's publication of one indicator for all 403 gemeenten at once (no region or
    intervention joins them, so one pass is the same as one per gemeente)."""
    from data.publication.build import ClusterData, Published, publish_indicator
    from data.publication.scope import Cluster

    began = time.perf_counter()
    signals, deliveries = _inputs_for(indicator)
    areas: pd.DataFrame = _SHARED["areas"]  # type: ignore[assignment]
    gemeenten = sorted(areas.loc[areas["level"] == "gemeente", "code"])
    data = ClusterData(
        cluster=Cluster(tuple((g, 2014) for g in gemeenten), ()),
        areas=areas.assign(geometry=None),  # type: ignore[arg-type]
        signals=signals,
        deliveries=deliveries,
        interventions=[],
        notes={},
    )
    folder = Path(str(_SHARED["cache"])) / "tables"
    from indicators import catalogue

    if catalogue.get(indicator).afgeleid:
        parts = [
            pd.read_parquet(folder / f"{c}.published.parquet")
            for c in ("illegale_bewoning", "controles")
        ]
        empty = pd.DataFrame(columns=["code", "interventie", "rol", "start", "indicator", "leden"])
        result = publish_indicator(
            data, indicator, base=Published(parts[0], empty), effort=Published(parts[1], empty)
        )
    else:
        result = publish_indicator(data, indicator)
    result.table.to_parquet(folder / f"{indicator}.published.parquet")
    shown = int((result.table["status"] == "").sum())
    return indicator, time.perf_counter() - began, shown, peak_mb()


def _run_pool(cache: Path, task: Callable, order: list[str]) -> tuple[float, dict, float]:
    began = time.perf_counter()
    with ProcessPoolExecutor(WORKERS, mp_context=get_context("fork")) as pool:
        done = list(pool.map(task, order))
    seconds = time.perf_counter() - began
    per = {name: round(s, 1) for name, s, _, _ in done}
    worker_peak = max(p for *_, p in done)
    return seconds, {"per_indicator": per, "rows": {n: r for n, _, r, _ in done}}, worker_peak


def _indicator_order() -> list[str]:
    """Heaviest first, so two workers finish together: an indicator with a delivered noemer
    (two tables, protected alone and together) before the others, then by size."""
    from data.publication.cells import delivered_noemer
    from indicators import catalogue

    signals: dict[str, pd.DataFrame] = _SHARED["signals"]  # type: ignore[assignment]
    size = {c: len(signals.get(c, ())) for c in catalogue.CODES}
    size["illegale_bewoning_per_controle"] = size["illegale_bewoning"] + size["controles"]
    pair = {c: c in signals and delivered_noemer(signals[c], c) for c in catalogue.CODES}
    return sorted(catalogue.CODES, key=lambda c: (not pair[c], -size[c]))


def step_rates(cache: Path) -> None:
    """indicators.rates.indicator_table: every indicator x maand/kwartaal/jaar x all levels."""
    (cache / "tables").mkdir(exist_ok=True)
    clock = Clock()
    with clock.part("signalen lezen"):
        _load_indicator_inputs(cache)
    seconds, facts, worker_peak = _run_pool(cache, _rates_task, _indicator_order())
    clock.parts[f"indicator_table ({WORKERS} processen)"] = round(seconds, 2)
    emit(
        "rates",
        clock.total(),
        parts=clock.parts,
        **facts,
        worker_peak_mb=round(worker_peak),
        rijen_totaal=sum(facts["rows"].values()),
    )


def step_publication(cache: Path) -> None:
    """The whole national publication: every indicator, level and period, protected
    (data.publication.build.publish_indicator), the derived indicator last."""
    (cache / "tables").mkdir(exist_ok=True)
    clock = Clock()
    with clock.part("invoer lezen"):
        _load_indicator_inputs(cache)
    order = [c for c in _indicator_order() if c != "illegale_bewoning_per_controle"]
    seconds, facts, worker_peak = _run_pool(cache, _publication_task, order)
    clock.parts[f"publish_indicator ({WORKERS} processen)"] = round(seconds, 2)
    with clock.part("illegale_bewoning_per_controle"):
        _, _, shown, _ = _publication_task("illegale_bewoning_per_controle")
    facts["rows"]["illegale_bewoning_per_controle"] = shown
    emit(
        "publication",
        clock.total(),
        parts=clock.parts,
        per_indicator=facts["per_indicator"],
        getoond=facts["rows"],
        worker_peak_mb=round(worker_peak),
    )


def step_audit(cache: Path) -> None:
    """The LP attack (wijkmonitor audit) on the publication of the largest gemeente."""
    from data.publication.audit import audit_publication
    from data.publication.build import ClusterData
    from data.publication.read import ClusterPublication
    from data.publication.scope import Cluster

    clock = Clock()
    with clock.part("invoer lezen"):
        _load_indicator_inputs(cache)
        areas: pd.DataFrame = _SHARED["areas"]  # type: ignore[assignment]
        buurten = areas[areas["level"] == "buurt"]
        gemeente = str(buurten["gemeentecode"].value_counts().idxmax())
        own = areas[areas["gemeentecode"] == gemeente]
        signals: dict[str, pd.DataFrame] = _SHARED["signals"]  # type: ignore[assignment]
        deliveries: dict[str, pd.DataFrame] = _SHARED["deliveries"]  # type: ignore[assignment]
        mine = pd.concat(signals.values(), ignore_index=True)
        mine = mine[gemeente_codes(mine["buurtcode"]) == gemeente]
        delivered = pd.concat(deliveries.values(), ignore_index=True)
        delivered = delivered[delivered["gemeentecode"] == gemeente]
    data = ClusterData(
        cluster=Cluster(((gemeente, 2014),), ()),
        areas=own.assign(geometry=None),  # type: ignore[arg-type]
        signals=mine,
        deliveries=delivered,
        interventions=[],
        notes={},
    )
    pub = ClusterPublication(data)
    with clock.part("publicatie van de gemeente"):
        from indicators import catalogue

        for code in catalogue.CODES:
            pub.published(code)
    with clock.part("aanval (alle indicatoren)"):
        results = audit_publication(pub)
    emit(
        "audit",
        clock.parts["aanval (alle indicatoren)"],
        parts=clock.parts,
        gemeente=gemeente,
        buurten=int((own["level"] == "buurt").sum()),
        geheim=sum(r.geheim for r in results),
        primair=sum(r.primair for r in results),
        gebroken=sum(r.gebroken for r in results),
        peak_mb=round(peak_mb()),
    )


def _shared_task(indicator: str) -> tuple[str, float, int, float]:
    return _SHARED["task"](indicator)  # type: ignore[operator]


# --- baselines ------------------------------------------------------------------------------


def step_sjoin(cache: Path) -> None:
    """Plain geopandas: points_from_xy, sjoin(predicate="intersects"), lowest code per point."""
    import geopandas as gpd

    from geo.crs import RD

    xy = _points(cache)
    buurten = _cached_buurten(cache)
    clock = Clock()
    with clock.part("punten-GeoDataFrame"):
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=RD)
    with clock.part("sjoin + laagste code"):
        joined = gpd.sjoin(points, buurten, how="left", predicate="intersects")
        codes = joined["code"].groupby(level=0).min()
    total, peak = clock.total(), round(peak_mb())
    _save_result(cache, "sjoin", codes.reindex(points.index), _buurt_codes(cache))
    emit(
        "sjoin",
        clock.parts["sjoin + laagste code"],
        parts=clock.parts,
        totaal=round(total, 2),
        peak_mb=peak,
    )


def _duckdb():
    import duckdb
    import duckdb_extension_spatial

    path = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    (extension,) = path.glob("v*/spatial.duckdb_extension")
    conn = duckdb.connect()
    conn.execute(f"LOAD '{extension}'")  # from the PyPI wheel: no INSTALL, no network
    conn.execute(f"SET threads = {WORKERS}")
    return conn, duckdb.__version__


def step_duckdb(cache: Path) -> None:
    """DuckDB spatial: the points as x/y columns, ST_Intersects join (SPATIAL_JOIN), min(code)."""
    import pyarrow as pa
    import shapely

    xy = _points(cache)
    buurten = _cached_buurten(cache)
    buurten = buurten[~buurten.geometry.is_empty]
    conn, version = _duckdb()
    conn.register(
        "buurt_table",
        pa.table(
            {
                "code": buurten["code"].to_numpy().astype(str),
                "wkb": shapely.to_wkb(buurten.geometry.to_numpy()),
            }
        ),
    )
    conn.register("point_table", pa.table({"i": np.arange(len(xy)), "x": xy[:, 0], "y": xy[:, 1]}))
    clock = Clock()
    with clock.part("laden"):
        conn.execute("CREATE TABLE b AS SELECT code, ST_GeomFromWKB(wkb) AS geom FROM buurt_table")
        conn.execute("CREATE TABLE p AS SELECT i, x, y FROM point_table")
    with clock.part("join + laagste code"):
        found = conn.execute(
            "SELECT p.i, min(b.code) AS code FROM p JOIN b "
            "ON ST_Intersects(b.geom, ST_Point(p.x, p.y)) GROUP BY p.i"
        ).df()
    total, peak = clock.total(), round(peak_mb())
    codes = pd.Series(found["code"].to_numpy(), index=found["i"].to_numpy()).reindex(
        np.arange(len(xy))
    )
    _save_result(cache, "duckdb", codes, _buurt_codes(cache))
    emit(
        "duckdb",
        clock.parts["join + laagste code"],
        parts=clock.parts,
        totaal=round(total, 2),
        peak_mb=peak,
        versie=version,
        threads=WORKERS,
    )


@contextmanager
def _pg_database(prefix: str):
    """A fresh database with postgis on the private server; dropped afterwards."""
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _backend_peak_mb(conn) -> float:
    """Peak RSS (VmHWM) of this connection's PostgreSQL backend process."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _copy_points(conn, table: str, xy: np.ndarray, *, ids: list[str] | None = None) -> None:
    """COPY x/y (and an id) in text format, in blocks of a million rows."""
    with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
        for start in range(0, len(xy), 1_000_000):
            block = xy[start : start + 1_000_000]
            keys = ids[start : start + len(block)] if ids else range(start, start + len(block))
            copy.write(
                "".join(
                    f"{k}\t{x!r}\t{y!r}\n" for k, (x, y) in zip(keys, block.tolist(), strict=True)
                )
            )


def step_postgis(cache: Path) -> None:
    """Plain PostGIS: COPY the points, GiST index, ST_Intersects join, min(code) per point."""
    import psycopg
    import shapely

    xy = _points(cache)
    buurten = _cached_buurten(cache)
    buurten = buurten[~buurten.geometry.is_empty]
    clock = Clock()
    with (
        _pg_database("wm_bench_base") as name,
        psycopg.connect(PG_URL.format(name=name), autocommit=True) as conn,
    ):
        conn.execute("CREATE EXTENSION postgis")
        conn.execute("CREATE TABLE buurt (code text, geom geometry(MultiPolygon, 28992))")
        with conn.cursor().copy("COPY buurt FROM STDIN") as copy:
            for code, geom in zip(buurten["code"], buurten.geometry, strict=True):
                multi = shapely.multipolygons(shapely.get_parts(geom))
                copy.write_row((code, "SRID=28992;" + shapely.to_wkb(multi, hex=True)))
        conn.execute("ANALYZE buurt")
        with clock.part("COPY punten"):
            conn.execute("CREATE TABLE punt (id bigint, x float8, y float8)")
            _copy_points(conn, "punt", xy)
        with clock.part("geometrie + GiST-index"):
            conn.execute("ALTER TABLE punt ADD COLUMN geom geometry(Point, 28992)")
            conn.execute("UPDATE punt SET geom = ST_Point(x, y, 28992)")
            conn.execute("CREATE INDEX ON punt USING gist (geom)")
            conn.execute("ANALYZE punt")
        for setting in (
            "parallel_setup_cost = 0",
            "parallel_tuple_cost = 0",
            "min_parallel_table_scan_size = 0",
            "jit = off",
        ):
            conn.execute(f"SET {setting}")
        query = (
            "SELECT p.id, min(b.code) AS code FROM buurt AS b JOIN punt AS p "
            "ON ST_Intersects(b.geom, p.geom) GROUP BY p.id"
        )
        plan = [r[0] for r in conn.execute("EXPLAIN " + query)]
        with clock.part("join + laagste code"):  # the answer in a server table (parallel)
            conn.execute(f"CREATE UNLOGGED TABLE uitkomst AS {query}")
        backend = _backend_peak_mb(conn)
        peak = round(peak_mb())
        with clock.part("uitkomst naar Python"):
            rows = conn.execute("SELECT id, code FROM uitkomst").fetchall()
        version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    total = clock.total()
    found = pd.Series([c for _, c in rows], index=[i for i, _ in rows]).reindex(np.arange(len(xy)))
    _save_result(cache, "postgis", found, _buurt_codes(cache))
    emit(
        "postgis",
        clock.parts["join + laagste code"],
        parts=clock.parts,
        peak_mb=peak,
        totaal=round(total, 2),
        server_backend_peak_mb=round(backend),
        postgis=version,
        plan=" | ".join(p.strip() for p in plan if "Scan" in p or "Gather" in p or "Loop" in p),
    )

"""The same pipeline against PostGIS (data.pipeline_sql), and its Python counterpart for findings.

``step_sql_pipeline``: areas stored with ``data.store.save_areas`` in a fresh PostGIS database,
9.9 million addresses loaded with COPY, ``assign_addresses_sql``, ``address_counts_sql``, the
address findings loaded with COPY, ``aggregate_findings_sql`` and ``rollup_counts_sql``.
``step_findings_python``: the findings counted in pandas from the product's own assignment
(``data.delivery_store.monthly_counts`` and a groupby roll-up), to compare answers and times.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _nl_steps import PG_URL, Clock, _backend_peak_mb, _buurt_codes, _pg_database, _points, emit


def _bag_ids(n: int) -> list[str]:
    return [f"9{i:015d}" for i in range(n)]


def _copy_addresses(conn, xy: np.ndarray) -> None:
    with conn.cursor().copy("COPY addresses (bag_id, x, y) FROM STDIN") as copy:
        for start in range(0, len(xy), 1_000_000):
            block = xy[start : start + 1_000_000].tolist()
            copy.write(
                "".join(f"9{start + k:015d}\t{x!r}\t{y!r}\n" for k, (x, y) in enumerate(block))
            )


def _copy_findings(conn, findings: pd.DataFrame) -> None:
    columns = "(datum, signaal, bron, bag_id, locatie, buurtcode, indeling_jaar, x, y)"
    with conn.cursor().copy(f"COPY findings {columns} FROM STDIN") as copy:
        lines = (
            f"{d}\t{s}\t{b}\t{i}\t{i}\t\t2014\t{x!r}\t{y!r}\n"
            for d, s, b, i, x, y in zip(
                findings["datum"].astype(str),
                findings["signaal"],
                findings["bron"],
                findings["bag_id"],
                findings["x"].tolist(),
                findings["y"].tolist(),
                strict=True,
            )
        )
        copy.write("".join(lines))


def step_sql_pipeline(cache: Path) -> None:
    import geopandas as gpd
    import psycopg

    from data import db, store
    from data.addresses.sql import (
        address_counts_sql,
        aggregate_findings_sql,
        assign_addresses_sql,
        ensure_point_index,
        rollup_counts_sql,
    )
    from geo.areas import AREA_COLUMNS

    xy = _points(cache)
    findings = pd.read_parquet(cache / "findings.parquet")
    areas = gpd.read_parquet(cache / "areas.parquet")
    buurten = gpd.GeoDataFrame(areas[areas["level"] == "buurt"][AREA_COLUMNS])
    clock = Clock()
    with _pg_database("wm_bench_sql") as name:
        url = PG_URL.format(name=name)
        engine = db.make_engine(url)
        with clock.part("save_areas (PostGIS)"):
            store.save_areas(engine, buurten)
        with psycopg.connect(url, autocommit=True) as conn:
            with clock.part("COPY adressen"):
                _copy_addresses(conn, xy)
            with clock.part("COPY bevindingen"):
                _copy_findings(conn, findings)
                conn.execute("ANALYZE findings")
        with clock.part("GiST-index op adrespunten"), engine.begin() as conn:
            ensure_point_index(conn)
        with clock.part("assign_addresses_sql"):
            outcome = assign_addresses_sql(engine, 2014)
        with clock.part("address_counts_sql"):
            counts = address_counts_sql(engine, 2014)
        with clock.part("aggregate_findings_sql"):
            monthly = aggregate_findings_sql(engine, 2014)
        with clock.part("rollup_counts_sql"):
            rolled = rollup_counts_sql(engine, 2014)
        with engine.connect() as conn:
            backend = _backend_peak_mb(conn.connection.driver_connection)
        engine.dispose()
    counts.to_parquet(cache / "sql_address_counts.parquet")
    monthly.to_parquet(cache / "sql_monthly.parquet")
    rolled.to_parquet(cache / "sql_rollup.parquet")
    emit(
        "sql_pipeline",
        clock.total(),
        parts=clock.parts,
        toegewezen=outcome.toegewezen,
        buiten=outcome.buiten,
        server_backend_peak_mb=round(backend),
        rollup_rijen=len(rolled),
    )


def step_findings_python(cache: Path) -> None:
    """The findings of the SQL pipeline counted in pandas, from the product's assignment."""
    from data.deliveries.store import monthly_counts
    from geo.areas import gemeente_of, parent_of

    findings = pd.read_parquet(cache / "findings.parquet")
    rows = np.load(cache / "result_assign.npy")
    codes = _buurt_codes(cache)
    clock = Clock()
    with clock.part("buurt per bevinding (bag_id)"):
        address = findings["bag_id"].str[1:].astype(np.int64).to_numpy()
        row = rows[address]
        inside = findings[row >= 0].assign(buurtcode=codes[row[row >= 0]])
    with clock.part("monthly_counts"):
        monthly = monthly_counts(inside)
    with clock.part("optellen naar wijk/gemeente en kwartaal/jaar"):
        rolled = _rollup(monthly, parent_of, gemeente_of)
    monthly.to_parquet(cache / "python_monthly.parquet")
    emit("findings_python", clock.total(), parts=clock.parts, rollup_rijen=len(rolled))


def _rollup(monthly: pd.DataFrame, parent_of, gemeente_of) -> pd.DataFrame:
    buurten = pd.Series(monthly["buurtcode"].unique())
    parent = dict(zip(buurten, buurten.map(parent_of), strict=True))
    gemeente = dict(zip(buurten, buurten.map(gemeente_of), strict=True))
    month = monthly["periode"]
    periods = {
        "maand": month,
        "kwartaal": month.str[:4] + "-Q" + ((month.str[5:7].astype(int) - 1) // 3 + 1).astype(str),
        "jaar": month.str[:4],
    }
    parts = []
    for level, key in (
        ("buurt", monthly["buurtcode"]),
        ("wijk", monthly["buurtcode"].map(parent)),
        ("gemeente", monthly["buurtcode"].map(gemeente)),
    ):
        for periode in periods.values():
            frame = pd.DataFrame(
                {
                    "code": key,
                    "periode": periode,
                    "indicator": monthly["indicator"],
                    "n": monthly["n"],
                }
            )
            summed = frame.groupby(["code", "periode", "indicator"])["n"].sum().reset_index()
            parts.append(summed.assign(level=level))
    return pd.concat(parts, ignore_index=True)


def compare(cache: Path) -> dict[str, object]:
    """Do the SQL and Python answers agree? Counts per buurt and monthly findings."""
    out: dict[str, object] = {}
    counts_path, result_path = cache / "sql_address_counts.parquet", cache / "result_assign.npy"
    if counts_path.exists() and result_path.exists():
        counts = pd.read_parquet(counts_path)
        sql = counts[counts["level"] == "buurt"].set_index("code")["adressen"]
        rows = np.load(result_path)
        codes = _buurt_codes(cache)
        python = pd.Series(np.bincount(rows[rows >= 0], minlength=len(codes)), index=codes)
        python = python[python > 0]
        out["adressen per buurt gelijk"] = bool(sql.sort_index().equals(python.sort_index()))
    sql_m, py_m = cache / "sql_monthly.parquet", cache / "python_monthly.parquet"
    if sql_m.exists() and py_m.exists():
        keys = ["bron", "buurtcode", "periode", "indicator"]
        a = pd.read_parquet(sql_m).sort_values(keys).reset_index(drop=True)
        b = pd.read_parquet(py_m).sort_values(keys).reset_index(drop=True)
        same = len(a) == len(b) and (a[keys].astype(str).values == b[keys].astype(str).values).all()
        out["bevindingen per buurt en maand gelijk"] = bool(
            same and (a["n"].to_numpy() == b["n"].to_numpy()).all()
        )
    return out

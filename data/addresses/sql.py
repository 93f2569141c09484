"""The address pipeline inside PostGIS: assignment and aggregation in SQL, past one machine's memory.

The Python path (``data.addresses`` with ``geo.assign.assign_buurt``) holds every address in
memory; these functions leave them in the database and give the same answers:

- ``assign_addresses_sql``: every stored address to the buurt of an indeling it lies in, the
  lowest buurtcode on a shared edge or corner (as ``assign_buurt``), written to
  ``address_buurten``; addresses outside every buurt get no row and are counted.
- ``address_counts_sql``: addresses per buurt, wijk and gemeente of an indeling.
- ``aggregate_findings_sql``: address findings counted per bron, buurt, month and indicator (as
  ``data.delivery_store.monthly_counts``), the buurt taken from ``address_buurten`` by
  ``bag_id`` or, for a finding without an assigned address, from its own x/y.
- ``rollup_counts_sql``: such monthly buurt counts summed to wijk and gemeente and to kwartaal
  and jaar in one pass.

PostgreSQL with PostGIS only: on SQLite, use the Python path. Each function takes the caller's
engine and runs in one transaction.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, text

from data.addresses.load import EXAMPLES, YearAssignment
from geo.errors import InputError
from indicators import catalogue

# A GiST index on the address points (an expression: the table keeps x and y). With it the
# planner loops over the ~12,000 buurten and finds each buurt's addresses through the index,
# rather than probing the buurt index once per address: about five times faster nationally.
POINT_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_addresses_punt ON addresses USING gist (ST_Point(x, y, 28992))"
)
# Parallel workers for the one big join (PostgreSQL's defaults do not choose them for ~12,000
# buurten). Only there: in a plan that loops, a Gather per row costs far more than it saves.
_PARALLEL = (
    "SET LOCAL parallel_setup_cost = 0",
    "SET LOCAL parallel_tuple_cost = 0",
    "SET LOCAL min_parallel_table_scan_size = 0",
    "SET LOCAL jit = off",
)
_BUURTEN = "SELECT code, geometry FROM areas WHERE level = 'buurt' AND indeling_jaar = :jaar"
# ST_Multi changes nothing for (multi)polygons, but the areas index no longer matches: without it
# the planner probes that index once per address (about 3 times slower nationally) instead of
# looping over the buurten, each finding its addresses through ix_addresses_punt.
_BUURTEN_LOOP = (
    "SELECT code, ST_Multi(geometry) AS geometry FROM areas "
    "WHERE level = 'buurt' AND indeling_jaar = :jaar"
)


def _require_postgis(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise InputError(
            "Toewijzen en optellen in SQL kan alleen op PostGIS; gebruik voor SQLite "
            "data.addresses.load.load_addresses."
        )


def _parallel(conn: Connection) -> None:
    for statement in _PARALLEL:
        conn.exec_driver_sql(statement)


def ensure_point_index(conn: Connection) -> None:
    """Create the GiST index on the address points if it is not there yet, and refresh stats."""
    conn.exec_driver_sql(POINT_INDEX)
    conn.exec_driver_sql("ANALYZE addresses")


def assign_addresses_sql(engine: Engine, indeling_jaar: int) -> YearAssignment:
    """Assign every stored address to the stored buurten of ``indeling_jaar``, in the database.

    Replaces the ``address_buurten`` rows of that indeling. The lowest buurtcode wins where an
    address lies on a shared edge or corner. Returns how many addresses were assigned, how many
    lie outside every buurt, and the first ``bag_id`` values of those outside.
    """
    _require_postgis(engine)
    jaar = {"jaar": int(indeling_jaar)}
    with engine.begin() as conn:
        ensure_point_index(conn)
        _parallel(conn)
        # CREATE TABLE AS may run in parallel; INSERT ... SELECT may not (PostgreSQL 15).
        conn.execute(
            text(
                "CREATE TEMP TABLE _toewijzing ON COMMIT DROP AS "
                "SELECT a.bag_id, min(b.code) AS buurtcode "
                f"FROM ({_BUURTEN_LOOP}) AS b "
                "JOIN addresses AS a ON ST_Intersects(b.geometry, ST_Point(a.x, a.y, 28992)) "
                "GROUP BY a.bag_id"
            ),
            jaar,
        )
        conn.execute(text("DELETE FROM address_buurten WHERE indeling_jaar = :jaar"), jaar)
        assigned = conn.execute(
            text(
                "INSERT INTO address_buurten (bag_id, indeling_jaar, buurtcode) "
                "SELECT bag_id, :jaar, buurtcode FROM _toewijzing"
            ),
            jaar,
        ).rowcount
        outside = text(
            "SELECT a.bag_id FROM addresses AS a WHERE NOT EXISTS "
            "(SELECT 1 FROM _toewijzing AS t WHERE t.bag_id = a.bag_id)"
        )
        buiten = conn.execute(text(f"SELECT count(*) FROM ({outside}) AS o")).scalar_one()
        examples = conn.execute(text(f"{outside} ORDER BY a.bag_id LIMIT {EXAMPLES}")).scalars()
        return YearAssignment(int(indeling_jaar), int(assigned), int(buiten), tuple(examples))


def _frame(conn: Connection, query: str, params: dict[str, object]) -> pd.DataFrame:
    result = conn.execute(text(query), params)
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


def address_counts_sql(engine: Engine, indeling_jaar: int) -> pd.DataFrame:
    """Assigned addresses per buurt, wijk and gemeente of ``indeling_jaar``.

    Columns ``code, level, adressen`` (int), sorted by code; only areas with addresses.
    Run ``assign_addresses_sql`` first.
    """
    _require_postgis(engine)
    query = """
        SELECT CASE GROUPING(b.code, b.parent_code)
                 WHEN 0 THEN b.code WHEN 2 THEN b.parent_code ELSE b.gemeentecode END AS code,
               CASE GROUPING(b.code, b.parent_code)
                 WHEN 0 THEN 'buurt' WHEN 2 THEN 'wijk' ELSE 'gemeente' END AS level,
               count(*) AS adressen
        FROM address_buurten AS l
        JOIN areas AS b ON b.code = l.buurtcode AND b.indeling_jaar = l.indeling_jaar
        WHERE l.indeling_jaar = :jaar
        GROUP BY GROUPING SETS ((b.gemeentecode, b.parent_code, b.code),
                                (b.gemeentecode, b.parent_code), (b.gemeentecode))
        ORDER BY code
    """
    with engine.connect() as conn:
        frame = _frame(conn, query, {"jaar": int(indeling_jaar)})
    return frame.astype({"adressen": "int64"})


def _indicator_values() -> str:
    pairs = ", ".join(f"('{s}', '{i}')" for s, i in sorted(catalogue.SIGNAL_INDICATOR.items()))
    return f"(VALUES {pairs}) AS m (signaal, indicator)"


def _monthly_sql() -> str:
    """The query behind ``aggregate_findings_sql`` (parameter ``:jaar``), without ordering."""
    return f"""
        WITH own AS (
            SELECT f.id, f.bron, f.datum, m.indicator, l.buurtcode, f.x, f.y
            FROM findings AS f
            JOIN {_indicator_values()} ON m.signaal = f.signaal
            LEFT JOIN address_buurten AS l
                   ON l.bag_id = f.bag_id AND l.indeling_jaar = :jaar
        ),
        located AS (
            SELECT o.id, min(b.code) AS buurtcode
            FROM own AS o
            JOIN ({_BUURTEN}) AS b ON ST_Intersects(b.geometry, ST_Point(o.x, o.y, 28992))
            WHERE o.buurtcode IS NULL
            GROUP BY o.id
        )
        SELECT o.bron, coalesce(o.buurtcode, p.buurtcode) AS buurtcode,
               to_char(o.datum, 'YYYY-MM') AS periode, o.indicator, count(*) AS n
        FROM own AS o LEFT JOIN located AS p ON p.id = o.id
        WHERE coalesce(o.buurtcode, p.buurtcode) IS NOT NULL
        GROUP BY 1, 2, 3, 4
    """


def aggregate_findings_sql(engine: Engine, indeling_jaar: int) -> pd.DataFrame:
    """Findings per ``bron, buurtcode, periode`` (month) and ``indicator``, counted in SQL.

    The buurt of a finding, for the buurten of ``indeling_jaar``: that of its address in
    ``address_buurten`` (run ``assign_addresses_sql`` first), or, without one, the buurt its own
    x/y lies in (lowest code on a shared edge). Findings in no buurt are left out. Returns the
    columns of ``data.delivery_store.monthly_counts`` (``n`` as int), sorted by those keys.
    """
    _require_postgis(engine)
    with engine.connect() as conn:
        frame = _frame(conn, _monthly_sql() + " ORDER BY 1, 2, 3, 4", {"jaar": int(indeling_jaar)})
    return frame.astype({"n": "int64"})


def rollup_counts_sql(engine: Engine, indeling_jaar: int) -> pd.DataFrame:
    """``aggregate_findings_sql`` summed over bronnen to every level and period length at once.

    Returns ``code, level, periode, indicator, n``: buurt, wijk and gemeente (``level``) per
    maand (``YYYY-MM``), kwartaal (``YYYY-Qn``) and jaar (``YYYY``), sorted. Only cells with
    findings; a cell without any is 0 where the period was delivered, which these counts do not
    know: the delivery rules stay with ``indicators.rates``.
    """
    _require_postgis(engine)
    query = f"""
        WITH monthly AS (
            SELECT b.code, b.parent_code, b.gemeentecode, c.periode, c.indicator, c.n
            FROM ({_monthly_sql()}) AS c
            JOIN areas AS b ON b.code = c.buurtcode AND b.indeling_jaar = :jaar
        ),
        periods AS (
            SELECT code, parent_code, gemeentecode, indicator, n, periode AS maand,
                   substr(periode, 1, 4) || '-Q' ||
                   ((substr(periode, 6, 2)::int - 1) / 3 + 1)::text AS kwartaal,
                   substr(periode, 1, 4) AS jaar
            FROM monthly
        ),
        per_length AS (
            SELECT code, parent_code, gemeentecode, indicator, n, maand AS periode FROM periods
            UNION ALL
            SELECT code, parent_code, gemeentecode, indicator, n, kwartaal FROM periods
            UNION ALL
            SELECT code, parent_code, gemeentecode, indicator, n, jaar FROM periods
        )
        SELECT CASE GROUPING(code, parent_code)
                 WHEN 0 THEN code WHEN 2 THEN parent_code ELSE gemeentecode END AS code,
               CASE GROUPING(code, parent_code)
                 WHEN 0 THEN 'buurt' WHEN 2 THEN 'wijk' ELSE 'gemeente' END AS level,
               periode, indicator, sum(n) AS n
        FROM per_length
        GROUP BY GROUPING SETS ((gemeentecode, parent_code, code, periode, indicator),
                                (gemeentecode, parent_code, periode, indicator),
                                (gemeentecode, periode, indicator))
        ORDER BY code, periode, indicator
    """
    with engine.connect() as conn:
        frame = _frame(conn, query, {"jaar": int(indeling_jaar)})
    return frame.astype({"n": "int64"})

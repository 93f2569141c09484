"""The whole Netherlands on one machine: the product's pipeline beside the obvious alternatives.

Run:  .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/national.py
      (--alleen assign,duckdb runs some steps; --zonder dashboard skips some; --cache DIR)

Input (made once, cached in --cache, not timed; see bench/_nl_data.py): the shipped 2014 buurten
(11,691 shapes, quantised), 9.9 million synthetic address points inside them, 5 years of monthly
signals for every indicator of the catalogue, and address findings.

Every step runs in its own Python process and reports its time and peak memory (ru_maxrss; for
steps with worker processes also the workers'). Steps:

- product pipeline (SQLite): areas (normalise_areas + save_areas: dissolve_levels + SQLite),
  assign (geo.assign.assign_buurt on 9.9 M points), rates (indicator_table for every indicator
  at maand/kwartaal/jaar and buurt/wijk/gemeente: the unprotected baseline), publication
  (data.publication.build.publish_indicator: the same tables protected as published, every
  indicator, level and period), audit (the LP attack on the largest gemeente's publication),
  basislijn (the pipeline of 2026-11-28, commit 3c92ef2, run from a git worktree on this machine
  in this run: the publication may take at most twice it; bench/_nl_baseline.py);
- the assignment by plain geopandas sjoin, DuckDB spatial and PostGIS, each checked against the
  product's answer point by point;
- the PostGIS pipeline (data.pipeline_sql): areas, COPY addresses, assignment and aggregation in
  SQL, and the same findings counted in pandas;
- the national map per zoom level (geo.simplify) and the dashboard in Chromium.

The PostGIS steps use the private server of scripts/postgis.sh (started when not running, and
stopped again afterwards if this run started it), each in a database of its own, dropped after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

N_POINTS = 9_900_000
STEPS = (
    "areas",
    "assign",
    "assign_xy",
    "rates",
    "publication",
    "audit",
    "basislijn",
    "sjoin",
    "duckdb",
    "postgis",
    "sql_pipeline",
    "findings_python",
    "map",
    "dashboard",
)
POSTGIS_STEPS = ("postgis", "sql_pipeline")
NEEDS = {
    "assign": "areas",
    "assign_xy": "areas",
    "rates": "areas",
    "publication": "areas",
    "audit": "areas",
    "findings_python": "assign",
    "map": "areas",
    "dashboard": "areas",
}
STEP_TIMEOUT_S = 900
PIPELINE_TARGET_S = 120
# The pipeline (areas, assignment, rates, the old disclosure pass) on 2026-11-28, docs/schaal.md:
# the publication may take at most twice it (issue 11). Step basislijn measures it again in the
# same run; this figure of that day's machine is used only when that step did not run.
PREVIOUS_PIPELINE_S = 48.2
MEMORY_TARGET_MB = 6 * 1024
PAGE_TARGET_S = 5


def run_step(name: str, cache: Path, timeout: float = STEP_TIMEOUT_S) -> dict[str, object]:
    """One step in a fresh process; its RESULT line, or the error."""
    command = [sys.executable, str(Path(__file__).resolve()), "--step", name, "--cache", str(cache)]
    began = time.perf_counter()
    # A session of its own: on a timeout the step's worker processes are stopped with it.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"step": name, "fout": f"afgebroken na {timeout:.0f} s"}
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, object] = json.loads(line[7:])
            result["proces_s"] = round(time.perf_counter() - began, 1)
            return result
    tail = (done.stderr or done.stdout).strip().splitlines()[-6:]
    return {"step": name, "fout": " | ".join(tail)}


def prepare(cache: Path, n_points: int) -> dict[str, object]:
    """Make the input in a process of its own: this process stays small, so the steps it starts
    do not inherit its peak in their ru_maxrss."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--prepare",
        "--cache",
        str(cache),
        "--punten",
        str(n_points),
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("META "):
                meta: dict[str, object] = json.loads(line[5:])
            else:
                print(line, end="", flush=True)
    if process.returncode != 0:
        raise SystemExit("invoer maken mislukt")
    return meta


def _step_main(name: str, cache: Path) -> None:
    import _nl_dashboard
    import _nl_map
    import _nl_sql
    import _nl_steps

    functions = {
        "areas": _nl_steps.step_areas,
        "assign": _nl_steps.step_assign,
        "assign_xy": _nl_steps.step_assign_xy,
        "rates": _nl_steps.step_rates,
        "publication": _nl_steps.step_publication,
        "audit": _nl_steps.step_audit,
        "sjoin": _nl_steps.step_sjoin,
        "duckdb": _nl_steps.step_duckdb,
        "postgis": _nl_steps.step_postgis,
        "sql_pipeline": _nl_sql.step_sql_pipeline,
        "findings_python": _nl_sql.step_findings_python,
        "map": _nl_map.step_map,
        "dashboard": _nl_dashboard.step_dashboard,
    }
    functions[name](cache)


def _postgis(action: str) -> bool:
    script = ROOT / "scripts" / "postgis.sh"
    return subprocess.run(["bash", str(script), action], capture_output=True).returncode == 0


def machine() -> dict[str, str]:
    import geopandas
    import pandas
    import shapely

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    versions = (
        f"Python {platform.python_version()}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), geopandas {geopandas.__version__}, "
        f"pandas {pandas.__version__}"
    )
    try:
        import duckdb

        versions += f", duckdb {duckdb.__version__}"
    except ImportError:
        versions += ", duckdb niet geïnstalleerd (pip install -e '.[bench]')"
    return {
        "cpu": f"{os.cpu_count()} cores, {cpu}",
        "geheugen": f"{int(memory) / 1024**2:.1f} GiB",
        "versies": versions,
    }


# --- the report ------------------------------------------------------------------------------


def _fmt_s(value: object) -> str:
    return "-" if value is None else f"{float(value):8.1f}"  # type: ignore[arg-type]


def _peak(result: dict[str, object]) -> float:
    peaks = [float(result.get("peak_mb", 0) or 0), float(result.get("worker_peak_mb", 0) or 0)]
    return max(peaks)


def _row(label: str, result: dict[str, object] | None, note: str = "") -> str:
    if result is None:
        return f"  {label:<46} {'(niet gedraaid)':>8}"
    if "fout" in result:
        return f"  {label:<46} {'FOUT':>8}   {result['fout']}"
    peak = result.get("peak_mb")
    memory = f"{peak:>7} MB" if peak is not None else ""
    if result.get("worker_peak_mb"):
        memory += f" (+{len_workers()}x{result['worker_peak_mb']} MB)"
    return f"  {label:<46} {_fmt_s(result['seconds'])} s  {memory}  {note}".rstrip()


def len_workers() -> int:
    from _nl_steps import WORKERS

    return WORKERS


def _agreement(cache: Path, name: str) -> str:
    import numpy as np

    reference, other = cache / "result_assign.npy", cache / f"result_{name}.npy"
    if not (reference.exists() and other.exists()):
        return ""
    a, b = np.load(reference), np.load(other)
    differ = int((a != b).sum())
    return "zelfde buurt als product: " + ("alle punten" if differ == 0 else f"{differ:,} anders")


def _truth(cache: Path) -> str:
    import numpy as np

    result = cache / "result_assign.npy"
    if not result.exists():
        return ""
    drawn, got = np.load(cache / "points_buurt.npy"), np.load(result)
    wrong = int((drawn != got).sum())
    return f"buurt waarin getrokken: {len(got) - wrong:,} van {len(got):,} gelijk"


def _against_baseline(
    published: dict[str, object] | None, baseline: dict[str, object] | None
) -> list[str]:
    """The publication beside twice the pipeline of 2026-11-28, measured in this run when the
    step basislijn ran (else the figure of that day, on that day's machine)."""
    lines = []
    if baseline and "seconds" in baseline:
        old = float(baseline["seconds"])  # type: ignore[arg-type]
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in baseline["parts"].items())  # type: ignore[union-attr]
        lines.append(
            f"  {'pijplijn van 2026-11-28 (' + str(baseline['commit']) + '), deze run':<46} "
            f"{old:8.1f} s  ({parts})"
        )
        source = "deze run"
    else:
        lines.append(_row("pijplijn van 2026-11-28, deze run", baseline))
        old, source = PREVIOUS_PIPELINE_S, "2026-11-28, andere machine"
    if published and "seconds" in published:
        seconds = float(published["seconds"])  # type: ignore[arg-type]
        verdict = "gehaald" if seconds <= 2 * old else "NIET gehaald"
        lines.append(
            f"  {'publicatie / pijplijn van 2026-11-28':<46} {seconds / old:8.2f} x  "
            f"(doel <= 2 x {old:.1f} s, {source}: {verdict})"
        )
    return lines


def report(results: dict[str, dict[str, object]], cache: Path, meta: dict, info: dict) -> str:
    r = results.get
    lines = [
        "Wijkmonitor: heel Nederland op één machine (bench/national.py)",
        f"machine: {info['cpu']}; {info['geheugen']} RAM",
        f"software: {info['versies']}",
        f"invoer: {meta['points']:,} adrespunten, {meta['buurten']:,} buurten "
        f"({meta['buurten_met_vorm']:,} met vorm), {meta['wijken']:,} wijken, "
        f"{meta['gemeenten']} gemeenten; {meta['signaalrijen']:,} signaalrijen "
        f"(2020-01..2024-12, 12 indicatoren + 1 afgeleid), {meta['bevindingen']:,} bevindingen",
    ]
    loads = [float(v["load"][0]) for v in results.values() if "load" in v]  # type: ignore[index]
    if loads:
        lines.append(
            f"belasting: load average (1 min) aan het eind van de stappen {min(loads):.1f}-"
            f"{max(loads):.1f} op {os.cpu_count()} cores (andere processen delen de machine)"
        )
    lines += [
        "",
        f"  {'stap':<46} {'seconden':>8}    piekgeheugen",
        "Product (SQLite, Python)",
    ]
    assign = r("assign")
    assign_note = ""
    if assign and "parts" in assign:
        parts = assign["parts"]  # type: ignore[index]
        assign_note = f"(+ {parts.get('punten-GeoDataFrame', 0):.1f} s punten-GeoDataFrame maken)"
    lines += [
        _row("1 gebieden: normalise + dissolve + SQLite", r("areas")),
        _row("2 adressen -> buurt: assign_buurt", assign, assign_note),
        _row(
            "3 indicatoren ongeschermd: indicator_table",
            r("rates"),
            "(basislijn, niet gepubliceerd)",
        ),
        _row("4 publicatie: publish_indicator, beschermd", r("publication")),
    ]
    lines += _against_baseline(r("publication"), r("basislijn"))
    audit = r("audit")
    if audit and "seconds" in audit:
        lines.append(
            f"  {'aanval op grootste gemeente (' + str(audit['gemeente']) + ')':<46} "
            f"{float(audit['seconds']):8.1f} s  {audit['buurten']} buurten, {audit['primair']} "  # type: ignore[arg-type]
            f"geheime cellen van 1-4, gebroken: {audit['gebroken']}"
        )
    else:
        lines.append(_row("aanval op grootste gemeente", audit))
    pipeline = [r(s) for s in ("areas", "assign", "publication")]
    if all(p and "seconds" in p for p in pipeline):
        total = sum(float(p["seconds"]) for p in pipeline)  # type: ignore[index,arg-type]
        peak = max(_peak(p) for p in pipeline)  # type: ignore[arg-type]
        verdict = "gehaald" if total < PIPELINE_TARGET_S else "NIET gehaald"
        memory = "gehaald" if peak < MEMORY_TARGET_MB else "NIET gehaald"
        lines.append(
            f"  {'pijplijn 1, 2 en 4 samen':<46} {total:8.1f} s  {peak:7.0f} MB  "
            f"(doel < {PIPELINE_TARGET_S} s: {verdict}; < 6 GB per proces: {memory})"
        )
    lines += ["", "Adressen -> buurt vergeleken (zelfde punten, zelfde buurten)"]
    lines.append(_row("product assign_buurt (GeoDataFrame)", assign, _truth(cache)))
    lines.append(
        _row("product assign_buurt_xy (x/y-rijen)", r("assign_xy"), _agreement(cache, "assign_xy"))
    )
    lines.append(_row("geopandas sjoin + laagste code", r("sjoin"), _agreement(cache, "sjoin")))
    lines.append(_row("DuckDB spatial (2 threads)", r("duckdb"), _agreement(cache, "duckdb")))
    lines.append(
        _row("PostGIS: join (na COPY + index)", r("postgis"), _agreement(cache, "postgis"))
    )
    for name in ("sjoin", "duckdb", "postgis"):
        base = r(name)
        if base and "parts" in base:
            parts = ", ".join(f"{k} {v} s" for k, v in base["parts"].items())  # type: ignore[union-attr]
            extra = (
                f"; backend {base['server_backend_peak_mb']} MB"
                if "server_backend_peak_mb" in base
                else ""
            )
            lines.append(f"      {name}: {parts}{extra}")
    baselines = [
        float(r(n)["seconds"])
        for n in ("sjoin", "duckdb", "postgis")  # type: ignore[index,arg-type]
        if r(n) and "seconds" in r(n)
    ]  # type: ignore[operator]
    if assign and "seconds" in assign and baselines:
        best = min(baselines)
        ok = float(assign["seconds"]) <= best  # type: ignore[arg-type]
        lines.append(
            f"  doel: assign_buurt niet trager dan de beste basislijn ({best:.1f} s): "
            + ("gehaald" if ok else "NIET gehaald")
        )
    lines += ["", "Zelfde pijplijn in PostGIS (data.pipeline_sql)"]
    sql = r("sql_pipeline")
    if sql and "parts" in sql:
        for part, seconds in sql["parts"].items():  # type: ignore[union-attr]
            lines.append(f"  {part:<46} {float(seconds):8.1f} s")
        lines.append(_row("totaal", sql, f"backend-piek {sql.get('server_backend_peak_mb')} MB"))
    else:
        lines.append(_row("pipeline_sql", sql))
    lines.append(_row("bevindingen in pandas (uit product-toewijzing)", r("findings_python")))
    from _nl_sql import compare

    for what, same in compare(cache).items():
        lines.append(f"  {what}: {'ja' if same else 'NEE'}")
    lines += ["", "Landelijke buurtkaart (geo.simplify, GeoJSON met alleen code + waarde)"]
    mapped = r("map")
    if mapped and "zooms" in mapped:
        lines.append(
            f"  map_coverage: {mapped['parts'].get('map_coverage (herstel, overlap, snap)')} s"
        )  # type: ignore[union-attr]
        for zoom, z in mapped["zooms"].items():  # type: ignore[union-attr]
            lines.append(
                f"  zoom {zoom:>2}: tolerantie {z['tolerantie_m']:>5} m, {z['decimalen']} decimalen: "
                f"{z['bytes'] / 1e6:5.2f} MB ({z['gzip_bytes'] / 1e6:4.2f} MB gzip), {z['seconden']} s"
            )
        lines.append(
            f"  wat de Regio-pagina stuurt: zoombanden {mapped['kaartlaag_zooms']}, "
            f"{mapped['kaartlaag_bytes'] / 1e6:.2f} MB geometrie ({mapped['kaartlaag_seconden']} s); "
            f"kaart met stijl en tooltip per buurt {mapped['folium_alle_buurten_bytes'] / 1e6:.2f} MB "
            f"HTML, {mapped['folium_alle_buurten_seconden']} s"
        )
    else:
        lines.append(_row("kaart", mapped))
    lines += ["", f"Dashboard met alle buurten (Chromium, doel < {PAGE_TARGET_S} s per pagina)"]
    dash = r("dashboard")
    if dash and "paginas" in dash:
        lines.append(f"  serve -> health: {dash['serve_health_s']} s")
        for page, facts in dash["paginas"].items():  # type: ignore[union-attr]
            seconds = facts.get("seconden")
            shown = (
                f"{seconds:8.1f} s"
                if seconds is not None
                else f"niet getekend binnen {dash['timeout_s']} s"
            )
            lines.append(
                f"  {page:<46} {shown}  {facts.get('titel', '')} "
                f"{facts.get('polygonen', '')}".rstrip()
            )
        prof = dash["profiel"]
        lines.append("  buiten Streamlit, alle gemeenten in één keer (wat de Regio-pagina doet):")
        for what, seconds in prof.get("eenmalig", {}).items():  # type: ignore[union-attr]
            unit = "bytes" if what.endswith("bytes") else "s"
            lines.append(f"    {what}: {seconds:,} {unit}")
        lines.append(
            f"  basislijn, per gemeente apart ({prof['steekproef_gemeenten']} gemeenten gemeten): "  # type: ignore[index]
            + ", ".join(f"{k} {v} s" for k, v in prof["per_gemeente_s"].items())
        )  # type: ignore[index,union-attr]
        lines.append(
            f"    voor alle {prof['gemeenten']} gemeenten samen geschat: "  # type: ignore[index]
            f"~{prof['oude_weg_per_gemeente_alle_gemeenten_geschat_s']} s"
        )  # type: ignore[index]
    else:
        lines.append(_row("dashboard", dash))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "wijkmonitor-national"
    )
    parser.add_argument("--punten", type=int, default=N_POINTS)
    parser.add_argument("--alleen", default="", help="komma-lijst van stappen")
    parser.add_argument("--zonder", default="", help="komma-lijst van stappen om over te slaan")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="schrijf alle uitkomsten ook als JSON")
    parser.add_argument(
        "--timeout", type=float, default=STEP_TIMEOUT_S, help="seconden per stap (standaard 900)"
    )
    args = parser.parse_args()
    if args.step:
        _step_main(args.step, args.cache)
        return
    if args.prepare:
        import _nl_data

        meta = _nl_data.prepare(args.cache, args.punten, say=lambda m: print(f"- {m}", flush=True))
        print("META " + json.dumps(meta), flush=True)
        return

    began = time.perf_counter()
    meta = prepare(args.cache, args.punten)
    wanted = [s for s in (args.alleen.split(",") if args.alleen else STEPS) if s]
    wanted = [s for s in wanted if s not in args.zonder.split(",")]
    started_postgis = False
    if any(s in POSTGIS_STEPS for s in wanted) and not _postgis("status"):
        started_postgis = _postgis("start")
    results: dict[str, dict[str, object]] = {}
    try:
        for name in wanted:
            need = NEEDS.get(name)
            if need and need not in wanted and not (args.cache / "national.db").exists():
                results[name] = {"step": name, "fout": f"eerst stap {need}"}
                continue
            print(f"- stap {name} ...", flush=True)
            if name == "basislijn":
                from _nl_baseline import run_baseline

                results[name] = run_baseline(ROOT, args.cache, args.timeout)
            else:
                results[name] = run_step(name, args.cache, args.timeout)
            summary = results[name].get("seconds", results[name].get("fout"))
            print(f"  {name}: {summary}", flush=True)
    finally:
        if started_postgis:
            _postgis("stop")
    info = machine()
    print()
    print(report(results, args.cache, meta, info))
    print(f"\n(benchmark in {time.perf_counter() - began:.0f} s; invoer in {args.cache})")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": info, "invoer": meta, "stappen": results}, indent=1, ensure_ascii=False
            )
        )


if __name__ == "__main__":
    main()

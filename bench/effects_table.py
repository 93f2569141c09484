"""The simulation tables of docs/methoden.md: the studies of bench/effects_simulation.py.

    .venv/bin/python bench/effects_table.py --pad product [--seeds 500]
        [--scenario standaard demo ...] [--periode maand kwartaal]
        [--inferentie tijdreeks conformeel auto]
    .venv/bin/python bench/effects_table.py --pad buurten [--methode did synth]

prints one row per scenario, period, effect and inference: coverage of the 95% interval,
rejections at 5% (the size without an effect, the power with one), bias, RMSE, the mean width
of the finite intervals, the share of runs with an estimate and with a finite interval, the
inference used and the periods the product path settled on.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from effects_simulation import PRODUCT_SCENARIOS, SCENARIOS, StudyResult, run_product, run_study


def _line(r: StudyResult) -> str:
    return (
        f"{r.methode:5} {r.scenario:36} {r.runs:5d} {r.coverage:8.1%} {r.rejection:9.1%} "
        f"{r.bias:7.3f} {r.rmse:6.3f} {r.mean_width:7.2f} {r.mean_truth:8.3f} "
        f"{r.estimated:8.1%} {r.finite:7.1%} {r.seconds:6.1f} {r.inferentie:11} "
        f"{r.granularity}"
    )


def main() -> None:
    from indicators.effects import estimate_effect
    from indicators.synth import estimate_synth

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pad", choices=["product", "buurten"], default="product")
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--methode", nargs="+", default=["did", "synth"])
    parser.add_argument("--scenario", nargs="+")
    parser.add_argument("--periode", nargs="+", default=["maand", "kwartaal"])
    parser.add_argument("--inferentie", nargs="+", default=["tijdreeks", "conformeel", "auto"])
    parser.add_argument("--model", default="relatief", help="relatief or additief")
    args = parser.parse_args()
    print(
        f"{'meth':5} {'scenario':36} {'runs':>5} {'dekking':>8} {'verwerpt':>9} {'bias':>7} "
        f"{'rmse':>6} {'breedte':>7} {'waarheid':>8} {'geschat':>8} {'eindig':>7} {'s':>6} "
        "inferentie  perioden"
    )
    seeds = range(args.seeds)
    if args.pad == "buurten":
        estimators: dict[str, Callable[..., object]] = {
            "did": lambda *a, **k: estimate_effect(*a, model=args.model, **k),
            "synth": lambda *a, **k: estimate_synth(*a, model=args.model, **k),
        }
        for methode in args.methode:
            for scenario in args.scenario or list(SCENARIOS):
                for factor in (0.6, 1.0):
                    print(
                        _line(
                            run_study(
                                estimators[methode],
                                methode=methode,
                                seeds=seeds,
                                factor=factor,
                                scenario=scenario,
                            )
                        ),
                        flush=True,
                    )
        return
    for scenario in args.scenario or list(PRODUCT_SCENARIOS):
        for periode in args.periode:
            for factor in (0.6, 1.0):
                for inferentie in args.inferentie:
                    r = run_product(
                        lambda *a, **k: estimate_effect(*a, model=args.model, **k),
                        scenario=scenario,
                        seeds=seeds,
                        factor=factor,
                        periode_per=periode,
                        inferentie=inferentie,
                    )
                    print(_line(r), flush=True)


if __name__ == "__main__":
    main()

"""Model files and the safe parser: rejection times, load and solve times, compiles per form.

* parser: the slowest rejection over the hostile corpus of ``tests/modelfile/test_parser.py``
  (each string parsed 20 times; the target is 0.1 s for every rejection, from issue 12);
* load: ``dp.load_model`` of each example in ``examples/`` (median of 5, compile cache warm),
  and the first load with cold caches;
* solve: ``agg.solve(t)`` of each example's model at its own horizon, and its sweep when it has one;
* compiles: the written risk ``{ sigma = "s / (1 + s)" }`` and production written as the built-in
  formulas, loaded next to the README model: the number of compiles (target 1).

Run ``python benchmarks/bench_modelfile.py`` (``--quick`` skips the sweeps). Targets are printed
with PASS/MISS; the script always exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

from _common import Targets, clear_caches, fmt_time, median, print_table, report_error

import dynapai_sym as dp
from dynapai_sym.compile import compile_model
from dynapai_sym.components.parser import ExpressionError, parse_expression

ROOT = Path(__file__).resolve().parents[1]


def hostile_corpus() -> tuple[list[str], dict]:
    spec = importlib.util.spec_from_file_location("hostile", ROOT / "tests" / "modelfile" / "test_parser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.HOSTILE, module.NAMES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the sweeps")
    args = parser.parse_args()
    targets = Targets()

    corpus, names = hostile_corpus()
    worst, worst_text = 0.0, ""
    for text in corpus:
        for _ in range(20):
            t0 = time.perf_counter()
            try:
                parse_expression(text, names)
            except ExpressionError:
                pass
            seconds = time.perf_counter() - t0
            if seconds > worst:
                worst, worst_text = seconds, text
    print(f"hostile corpus: {len(corpus)} strings, slowest rejection {fmt_time(worst)} ({worst_text[:40]!r})")
    targets.check("slowest rejection (hostile corpus)", worst, 0.1)

    rows = []
    clear_caches()
    for path in sorted((ROOT / "examples").glob("*.toml")):
        try:
            t0 = time.perf_counter()
            agg = dp.load_model(path)
            cold = time.perf_counter() - t0
            warm = median([_timed_load(path) for _ in range(5)])
            spec = agg.model_spec
            t0 = time.perf_counter()
            res = agg.solve(spec.t)
            solve = time.perf_counter() - t0
            sweep = "-"
            if agg.sweep is not None and not args.quick:
                t0 = time.perf_counter()
                sres = agg.sweep.solve()
                sweep = f"{fmt_time(time.perf_counter() - t0)} ({int(sres.success.sum())}/{len(sres)} certified)"
            rows.append([path.name, fmt_time(cold), fmt_time(warm), fmt_time(solve), res.status, sweep])
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            rows.append([path.name, "error", report_error(path.name, exc), "", "", ""])
    print_table("Examples", ["file", "first load", "load (warm)", "solve", "status", "sweep"], rows)

    base = (ROOT / "examples" / "readme.toml").read_text()
    written = base.replace('risk = "winner_only"', 'risk = { sigma = "s / (1 + s)" }\n'
                           'production = { s = "A * x_s**alpha * p**(-theta)", p = "B * x_p**beta" }')
    clear_caches()
    compile_model.cache_clear()
    dp.load_model(base).solve()
    dp.load_model(written).solve()
    compiles = compile_model.cache_info().misses
    print(f"compiles for the README model and the same model written as expressions: {compiles}")
    targets.check("compiles per form (built-in and written)", compiles, 1, fmt=str)
    targets.print()


def _timed_load(path: Path) -> float:
    t0 = time.perf_counter()
    dp.load_model(path)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()

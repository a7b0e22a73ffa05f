"""Command line: ``dynapai-sym demo`` solves and prints equilibria; ``dynapai-sym latex`` writes
a model's equations as a LaTeX document.

``demo`` runs only the problems asked for (all of them when none is named); its options follow
those of the ``demo.py`` script of dynapai, the Rust engine this package reimplements.
``dynapai-sym solve FILE`` solves a model file (``docs/model_files.md``) and
``dynapai-sym check FILE`` checks one and prints its equations.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import models
from .latex import write_latex
from .model import Actions
from .names import PARAMETER_GROUPS
from .plotting import plot as plot_result
from .scenario import Scenario
from .symbols import parameter_rows

__all__ = ["main"]


def _describe(agg, t: int, out) -> None:
    """Print the problem's parameters: one row per parameter, one column per player."""
    pf = agg.state.beliefs[0]
    n = agg.n
    user_names = {base: name for name, base in PARAMETER_GROUPS.items()}
    user_names.update(winB="win_b", loseA="lose_a", loseB="lose_b")
    rows = [(user_names.get(name, name), cells) for name, _, cells in parameter_rows(pf.param_values, n)]
    if agg.gammas is not None and t > 1:
        rows.append(("gamma", list(map(float, agg.gammas))))
    width = max(len(name) for name, _ in rows) + 2
    print(" " * width + "".join(f"{f'player {i + 1}':>11}" for i in range(n)), file=out)
    for name, cells in rows:
        if isinstance(cells, list):
            text = "".join(f"{'-' if v is None else f'{v:.4g}':>11}" for v in cells)
        else:
            text = f"{cells:>11.4g} (all players)"
        print(f"{name:<{width}}{text}", file=out)
    contest = "nobody may win a period" if not pf.csf.always_someone_wins else "someone wins each period"
    print(f"contest: {pf.csf!r} ({contest}); "
          + ("the game ends the first time someone wins" if agg.end_on_win else "every period is played"),
          file=out)


def _solve_and_print(agg, t: int, label: str, plot: bool, out=None) -> None:
    out = sys.stdout if out is None else out
    steps = "1 time step" if t == 1 else f"{t} time steps"
    print(f"Solving for optimal {label}, with {agg.n} players and {steps}.", file=out)
    _describe(agg, t, out)
    t0 = time.perf_counter()
    res = agg.solve(t)
    seconds = time.perf_counter() - t0
    print(f"Solved in {seconds:.3f} seconds", file=out)
    print(res, file=out)
    if agg.end_on_win:
        print("Probability of reaching each period:", np.array2string(agg.probas(res)[:, 0], precision=4),
              file=out)
    print(file=out)
    if plot:
        fig = plot_result(res, title=f"Optimal {label}")
        name = f"demo_{label.replace(' ', '_').replace('(', '').replace(')', '')}.png"
        fig.savefig(name, dpi=100, bbox_inches="tight")
        print(f"wrote {name}", file=out)


def _scenario(n: int, plot: bool, out) -> None:
    """A sweep of the README model over the input price r (one period)."""
    r = np.linspace(0.01, 0.1, 10)
    print(f"Solving a sweep of the README model over r = {r[0]:g} .. {r[-1]:g} ({len(r)} points), "
          f"{n} players, 1 time step.", file=out)
    t0 = time.perf_counter()
    sweep = Scenario.from_params(n=n, r=r, varying="r").solve()
    print(f"Solved in {time.perf_counter() - t0:.3f} seconds; "
          f"{int(np.sum(sweep.success))} of {len(sweep)} points certified", file=out)
    table = sweep.to_dataframe()
    print(table[["r", "player", "x_s", "x_p", "s", "p", "sigma", "payoff"]].to_string(index=False), file=out)
    print(file=out)
    if plot:
        fig = plot_result(sweep, title="Equilibria against r")
        fig.savefig("demo_scenario.png", dpi=100, bbox_inches="tight")
        print("wrote demo_scenario.png", file=out)


def demo(args) -> int:
    n, t = args.n, args.t
    out = sys.stdout
    chosen = any([args.readme, args.basic, args.invest, args.sharing, args.end_on_win,
                  args.invest_end_on_win, args.scenario])
    run_all = args.all or not chosen
    print("Each model's equations are compiled on its first solve (included in its time); "
          "later solves of the same form reuse them.\n", file=out)
    if args.readme or run_all:
        print("The README's example (A = B = 10, alpha = beta = theta = 0.5, d = 1, r = 0.1):", file=out)
        pf = models.readme_payoff(n)
        acts = Actions.from_inputs(np.full(n, 1.0), np.full(n, 2.0))
        print(f"Payoff from actions x_s = 1, x_p = 2: {pf(acts)}\n", file=out)
        _solve_and_print(models.builtin("readme", n), 1, "static strategies (README model)", args.plot, out)
    if args.basic or run_all:
        _solve_and_print(models.basic_aggregator(n), t, "strategies", args.plot, out)
    if args.invest or run_all:
        _solve_and_print(models.invest_aggregator(n), t, "invest strategies", args.plot, out)
    if args.end_on_win or run_all:
        _solve_and_print(models.basic_aggregator(n, end_on_win=True), t, "strategies (end-on-win)",
                         args.plot, out)
    if args.invest_end_on_win or run_all:
        _solve_and_print(models.invest_aggregator(n, end_on_win=True), t,
                         "invest strategies (end-on-win)", args.plot, out)
    if args.sharing or run_all:
        _solve_and_print(models.sharing_aggregator(n), min(t, 3), "sharing strategies", args.plot, out)
    if args.scenario or run_all:
        _scenario(n, args.plot, out)
    return 0


def latex(args) -> int:
    try:
        agg = models.builtin(args.model, args.n)
    except ValueError as exc:
        print(f"dynapai-sym latex: {exc}", file=sys.stderr)
        return 2
    t = args.t if (args.t is None or args.t == 1 or agg.gammas is not None) else None
    try:
        path = write_latex(agg, args.output, t=t, jacobian=args.jacobian)
    except OSError as exc:
        print(f"dynapai-sym latex: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


_OUTPUTS = (".csv", ".parquet", ".pq", ".nc")


class _BadInputError(Exception):
    """A bad file or option: reported as one line, exit status 2."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _read(path: str):
    from .modelfile import read_spec

    try:
        return read_spec(Path(path))
    except (ValueError, TypeError) as exc:
        raise _BadInputError(_one_line(exc)) from None


def _sweep_option(text: str) -> tuple[str, dict]:
    """``NAME=START:STOP:NUM`` -> ``(name, {"start", "stop", "num"})``."""
    name, sep, rng = text.partition("=")
    parts = rng.split(":")
    if not sep or not name.strip() or len(parts) != 3:
        raise _BadInputError(f"--sweep {text!r}: expected NAME=START:STOP:NUM, e.g. r=0.01:0.1:50")
    try:
        start, stop, num = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise _BadInputError(f"--sweep {text!r}: START and STOP must be numbers and NUM a whole number") from None
    if num < 1:
        raise _BadInputError(f"--sweep {text!r}: NUM must be at least 1")
    return name.strip(), {"start": start, "stop": stop, "num": num}


def _equilibrium_table(res, sweep: bool) -> str:
    """The equilibria as text: players 1-based; for sweeps, the first period of every point."""
    import pandas as pd

    df = res.to_dataframe()  # players numbered from 1 already
    if sweep:
        df = df[df["period"] == 0]
    drop = ["method", "seconds", "success"] + (["period"] if sweep else []) + ([] if sweep else ["point"])
    df = df.drop(columns=[c for c in drop if c in df.columns])
    with pd.option_context("display.max_rows", 400, "display.width", 160, "display.float_format", "{:.6g}".format):
        return df.to_string(index=False)


def solve_file(args) -> int:
    """``dynapai-sym solve FILE``: exit 0 when every point is certified, 1 when some are not, 2 on bad input."""
    try:
        spec = _read(args.file)
        if args.sweep:
            if len(args.sweep) > 2:
                raise _BadInputError("--sweep: at most two parameters can vary")
            spec = spec.with_sweep(dict(_sweep_option(text) for text in args.sweep))
        for option, path, allowed in (("-o", args.output, _OUTPUTS), ("--plot", args.plot, (".png", ".pdf", ".svg")),
                                      ("--latex", args.latex, (".tex",))):
            if path is not None and Path(path).suffix.lower() not in allowed:
                raise _BadInputError(f"{option} {path}: expected a file ending in {', '.join(allowed)}")
        agg = spec.aggregator()
        t = spec.t if args.t is None else args.t
        agg.check_horizon(t)
        scenario = spec.scenario()
    except _BadInputError as exc:
        print(f"dynapai-sym solve: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        print(f"dynapai-sym solve: {_one_line(exc)}", file=sys.stderr)
        return 2
    from .scenario import Scenario

    sweep = scenario is not None
    if not sweep:
        scenario = Scenario([agg], t=t)
    print(f"Solving {args.file}: {agg.n} players, {spec.actions} actions, {t} period{'s' if t > 1 else ''}"
          + (f", {len(scenario)} points" if sweep else ""))
    t0 = time.perf_counter()
    res = scenario.solve(t=t, n_jobs=args.jobs, progress=sweep)
    print(f"Solved in {time.perf_counter() - t0:.2f} s")
    print(_equilibrium_table(res, sweep))
    try:
        if args.output:
            print(f"wrote {res.save(args.output)}")
        if args.latex:
            print(f"wrote {write_latex(agg, args.latex, t=t if 1 < t <= 6 else None)}")
        if args.plot:
            fig = plot_result(res if sweep else res[0], title=Path(args.file).stem)
            fig.savefig(args.plot, dpi=100)
            print(f"wrote {args.plot}")
    except (OSError, ImportError, ValueError) as exc:
        print(f"dynapai-sym solve: {_one_line(exc)}", file=sys.stderr)
        return 2
    certified = int(np.sum(res.success))
    if certified < len(res):
        print(f"{len(res) - certified} of {len(res)} points are not certified equilibria (see status)",
              file=sys.stderr)
        return 1
    return 0


def check_file(args) -> int:
    """``dynapai-sym check FILE``: exit 0 for a valid file (its equations printed), 2 otherwise."""
    try:
        spec = _read(args.file)
        agg = spec.aggregator()
        scenario = spec.scenario()
    except _BadInputError as exc:
        print(f"dynapai-sym check: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        print(f"dynapai-sym check: {_one_line(exc)}", file=sys.stderr)
        return 2
    pf = agg.state.beliefs[0]
    print(f"{args.file}: valid. {agg.n} players, {spec.actions} actions, horizon {spec.t}"
          + (f", sweep of {len(scenario)} points over {', '.join(scenario.varying)}" if scenario else ""))
    print("Equations (player 1):")
    m = pf.intermediates
    for key in ("p", "s", "sigma", "q", "c"):
        print(f"  {key}_1 = {m[key][0]}")
    print(f"  d_1 = {m['d'][0][0]}")
    for i in range(agg.n):
        print(f"  u_{i + 1} = {pf.payoff_expr(i)}")
    print("Parameters:")
    for sym, value in sorted(pf.param_values.items(), key=lambda kv: kv[0].name):
        print(f"  {sym} = {value:g}")
    if agg.gammas is not None:
        print(f"  gammas = {agg.gammas.tolist()}")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dynapai-sym", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="solve the demo problems and print the equilibria")
    d.add_argument("--n", type=_positive_int, default=2, help="number of players (default 2)")
    d.add_argument("--t", type=_positive_int, default=5, help="number of periods (default 5)")
    d.add_argument("--readme", action="store_true",
                   help="the README's example: its payoff and its one-period equilibrium")
    d.add_argument("--basic", action="store_true", help="solve the basic problem")
    d.add_argument("--invest", action="store_true", help="solve the problem with investment")
    d.add_argument("--sharing", action="store_true", help="solve the problem with sharing")
    d.add_argument("--end-on-win", action="store_true", help="basic problem, game ends on a win")
    d.add_argument("--invest-end-on-win", action="store_true", help="investment, game ends on a win")
    d.add_argument("--scenario", action="store_true",
                   help="solve a sweep of the README model over the input price r")
    d.add_argument("--all", action="store_true", help="run every problem (default when none chosen)")
    d.add_argument("--plot", action="store_true", help="write plots of the results as PNG files")
    d.set_defaults(func=demo)
    lx = sub.add_parser("latex", help="write a built-in model's equations as a standalone LaTeX document")
    lx.add_argument("model", help=f"built-in model: one of {', '.join(sorted(models.BUILTIN))}")
    lx.add_argument("--n", type=_positive_int, default=2, help="number of players (default 2)")
    lx.add_argument("--t", type=_positive_int, default=None,
                    help="also write the objective over t periods (small t)")
    lx.add_argument("--output", "-o", default="model.tex", help="output path (default model.tex)")
    lx.add_argument("--jacobian", action="store_true",
                    help="also write the second derivatives (rows of the Jacobian of the conditions)")
    lx.set_defaults(func=latex)
    sv = sub.add_parser("solve", help="solve a model file and print the equilibria")
    sv.add_argument("file", help="model file (TOML, see docs/model_files.md)")
    sv.add_argument("--t", type=_positive_int, default=None, help="number of periods (default: the file's)")
    sv.add_argument("--sweep", action="append", metavar="NAME=START:STOP:NUM",
                    help="vary a parameter (replaces the file's sweep; give it twice for a grid)")
    sv.add_argument("--jobs", type=_positive_int, default=1, help="worker processes for sweeps (default 1)")
    sv.add_argument("-o", "--output", default=None, help="write the results table (.csv, .parquet or .nc)")
    sv.add_argument("--latex", default=None, help="write the model's equations as a LaTeX document (.tex)")
    sv.add_argument("--plot", default=None, help="write a figure of the results (.png, .pdf or .svg)")
    sv.set_defaults(func=solve_file)
    ck = sub.add_parser("check", help="check a model file and print its equations")
    ck.add_argument("file", help="model file (TOML, see docs/model_files.md)")
    ck.set_defaults(func=check_file)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "n", 2) < 2:
        parser.error("--n must be at least 2")
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

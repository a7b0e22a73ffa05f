"""Command line: ``dynapai-sym demo`` solves and prints real equilibria.

Options follow the original engine's ``demo.py``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from . import models
from .latex import write_latex
from .model import Actions
from .plotting import plot as plot_result

__all__ = ["main"]


def _solve_and_print(agg, t: int, label: str, plot: bool, out=None) -> None:
    out = sys.stdout if out is None else out
    print(f"Solving for optimal {label}, with {agg.n} players and {t} time steps...", file=out)
    t0 = time.perf_counter()
    res = agg.solve(t)
    seconds = time.perf_counter() - t0
    print(f"Solved in {seconds:.3f} seconds (including compilation on first use)", file=out)
    print(res, file=out)
    if agg.end_on_win:
        print("Probability of reaching each period:", np.array2string(agg.probas(res)[:, 0], precision=4),
              file=out)
    print(file=out)
    if plot:
        fig = plot_result(res, title=f"Optimal {label}")
        name = f"demo_{label.replace(' ', '_').replace('(', '').replace(')', '')}.png"
        fig.savefig(name, dpi=100)
        print(f"wrote {name}", file=out)


def demo(args) -> int:
    n, t = args.n, args.t
    chosen = any([args.basic, args.invest, args.sharing, args.end_on_win, args.invest_end_on_win])
    run_all = args.all or not chosen
    print("The seed README's example:")
    pf = models.readme_payoff()
    print(f"Payoff from actions: {pf(Actions.from_inputs([1.0, 1.0], [2.0, 2.0]))}\n")
    print("Static equilibrium of the README's model:")
    _solve_and_print(models.builtin("readme", n), 1, "static strategies", args.plot)
    if args.basic or run_all:
        _solve_and_print(models.basic_aggregator(n), t, "strategies", args.plot)
    if args.invest or run_all:
        _solve_and_print(models.invest_aggregator(n), t, "invest strategies", args.plot)
    if args.end_on_win or run_all:
        _solve_and_print(models.basic_aggregator(n, end_on_win=True), t, "strategies (end-on-win)",
                         args.plot)
    if args.invest_end_on_win or run_all:
        _solve_and_print(models.invest_aggregator(n, end_on_win=True), t,
                         "invest strategies (end-on-win)", args.plot)
    if args.sharing or run_all:
        _solve_and_print(models.sharing_aggregator(n), min(t, 3), "sharing strategies", args.plot)
    return 0


def latex(args) -> int:
    try:
        agg = models.builtin(args.model, args.n)
    except ValueError as exc:
        print(f"dynapai-sym latex: {exc}", file=sys.stderr)
        return 2
    t = args.t if (args.t is None or args.t == 1 or agg.gammas is not None) else None
    try:
        path = write_latex(agg, args.output, t=t)
    except OSError as exc:
        print(f"dynapai-sym latex: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
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
    d.add_argument("--basic", action="store_true", help="solve the basic problem")
    d.add_argument("--invest", action="store_true", help="solve the problem with investment")
    d.add_argument("--sharing", action="store_true", help="solve the problem with sharing")
    d.add_argument("--end-on-win", action="store_true", help="basic problem, game ends on a win")
    d.add_argument("--invest-end-on-win", action="store_true", help="investment, game ends on a win")
    d.add_argument("--all", action="store_true", help="run every problem (default when none chosen)")
    d.add_argument("--plot", action="store_true", help="write plots of the results as PNG files")
    d.set_defaults(func=demo)
    lx = sub.add_parser("latex", help="write a built-in model's equations as a standalone LaTeX document")
    lx.add_argument("model", help=f"built-in model: one of {', '.join(sorted(models.BUILTIN))}")
    lx.add_argument("--n", type=_positive_int, default=2, help="number of players (default 2)")
    lx.add_argument("--t", type=_positive_int, default=None,
                    help="also write the objective over t periods (small t)")
    lx.add_argument("--output", "-o", default="model.tex", help="output path (default model.tex)")
    lx.set_defaults(func=latex)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "n", 2) < 2:
        parser.error("--n must be at least 2")
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

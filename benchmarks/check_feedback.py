"""Feedback (subgame-perfect) equilibria against an independent backward induction, on random games.

Run: ``python benchmarks/check_feedback.py [--count N] [--start S] [--seeds ...] [--quick]``.
Prints the counts and PASS/MISS; always exits 0.

Random two-period games (two players; investment, or investment and sharing; the three risk forms;
both contests; ending on a win or not; discount factors in [0.5, 1]) are solved with
``concept="feedback"``. Every certified answer is then checked with the reference model's payoffs
(``../shared/reference``; the package's own ``agg.u`` where that folder is missing or the mapping
fails, said in the table) and none of the package's solvers:

* **the second period**: the equilibrium of the last period at the state the first period reaches,
  found by root-finding on finite-difference first-order conditions in log coordinates and
  checked globally (each player's own inputs on a grid, and sitting out), must equal the
  package's second-period inputs;
* **the first period**: each player's best first-period deviation (its own profile scaled, random
  draws, investments switched off, then Nelder-Mead from the best), where every deviation's payoff
  re-solves the last period's equilibrium at the state it reaches in the same independent way. A
  gain above ``1e-6 (1 + |U_i|)`` is a false certificate. A deviation after which the last period
  has no interior equilibrium found is not valued (counted in the table).

A player whose last-period answer is out of the race (x_p = 0 or below ``1e-50``, x_s at most
``1e-10``: exactly out, or a token presence that keeps it safe, the limit x_s -> 0+) is held there
by the root-finding (the others' conditions solved), and the global check offers it every input
on its grids; each re-solve tries the answer's players out first, then nobody held, then each
player in turn at a token presence. Answers with another last-period input below ``1e-6`` (a
player nearly out but not at a token presence: the root-finding in log coordinates cannot reach
it) are counted but not checked.

The last period's investments and shares are 0 (they pay off only after the horizon).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import Targets, header, print_table, report_error
from check_certificates import IndependentPayoff, draw_dynamic_model
from scipy.optimize import minimize, root

import dynapai_sym as dp

GAIN_RTOL = 1e-6  # a first-period gain above GAIN_RTOL (1 + |U_i|) defeats a feedback answer
LAST_RTOL = 1e-5  # the package's and the independent last-period inputs agree to this (relative)
BOUNDARY = 1e-6  # answers with a last-period input below this are not checked (see run)
FD_STEP = 1e-6  # log-coordinate step of the finite-difference first-order conditions
TOKEN = 1e-12  # a player held at a token presence plays (TOKEN, 0) in the last period
TOKEN_S, TOKEN_P = 1e-10, 1e-50  # an answer's last-period (x_s, x_p) below these is a token presence
GRID = np.exp(np.linspace(np.log(1e-3), np.log(1e2), 14))  # factors of the global last-period check
#: absolute inputs of the global last-period check too: around a player nearly out (inputs of 1e-10),
#: factors of its own inputs alone never reach the inputs that beat it
ABSOLUTE = np.exp(np.linspace(np.log(1e-4), np.log(1e2), 13))


#: parameter ranges of the draw (uniform, per player unless said)
RANGES = {"a": (4, 20), "alpha": (0.3, 0.7), "b": (0.5, 4), "beta": (0.3, 0.7), "theta": (0.1, 1.0),
          "scale": (0.5, 2.0), "r": (0.03, 0.2), "r_inv": (0.005, 0.05), "d": (0.3, 2), "r_share": (0.001, 0.02),
          "gamma": (0.5, 1.0)}


def draw(rng: np.random.Generator) -> tuple[dp.Aggregator, str]:
    """A random two-player investment or sharing model (:func:`check_certificates.draw_dynamic_model`)."""
    return draw_dynamic_model(rng, 2, RANGES)


class BackwardInduction:
    """Two-period feedback values from the independent payoff ``pay`` ((B, 2, n, k) -> (B, n))."""

    def __init__(self, pay: IndependentPayoff, n: int, k: int):
        self.pay, self.n, self.k = pay, n, k
        self.unvalued = 0
        self.recent = None  # the last equilibrium found: the next root-finding starts there too

    def _profiles(self, z0: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        """Two-period profiles (B, 2, n, k): first period ``z0`` (n, k), last period's x_s, x_p from
        ``inputs`` (B, n, 2), everything else 0."""
        B = inputs.shape[0]
        X = np.zeros((B, 2, self.n, self.k))
        X[:, 0] = z0
        X[:, 1, :, :2] = inputs
        return X

    def _conditions(self, w: np.ndarray, z0: np.ndarray, full: np.ndarray | None = None,
                    free: np.ndarray | None = None) -> np.ndarray:
        """The free inputs' own log-coordinate slopes of their players' payoffs in the last period.

        ``w``: logs of the free inputs (``free``, flat indices into (n, 2); all by default), the
        others as in ``full`` (n, 2)."""
        free = np.arange(2 * self.n) if free is None else free
        base = np.zeros((self.n, 2)) if full is None else full.copy()
        base.flat[free] = np.exp(w)
        steps = []
        for j in free:
            for sign in (1.0, -1.0):
                x = base.copy()
                x.flat[j] *= np.exp(sign * FD_STEP)
                steps.append(x)
        U = self.pay(self._profiles(z0, np.array(steps)))  # (2 len(free), n)
        return np.array([(U[2 * a, j // 2] - U[2 * a + 1, j // 2]) / (2 * FD_STEP) for a, j in enumerate(free)])

    def last_period(self, z0: np.ndarray, start: np.ndarray) -> np.ndarray | None:
        """The last period's (x_s, x_p) of each player (n, 2) after the first period ``z0``, or None
        when no equilibrium is found (or a player gains by a move on the global grid).

        Players may be held where they are out of the race: those out in ``start`` (a token
        presence x_s <= 1e-10, x_p < 1e-50, or exactly 0) at their own inputs first, then nobody,
        then each player in turn at a token presence (x_s = TOKEN, x_p = 0: kept safe, the limit
        of x_s -> 0+); the others' inputs solve their first-order conditions in log coordinates,
        and the global check offers the held players every input on its grids."""
        out = tuple(np.flatnonzero((start[:, 1] < TOKEN_P) & (start[:, 0] <= TOKEN_S)))
        held_sets = [out, ()] + [(i,) for i in range(self.n)]
        # the continuation of the answer's own last period first: where a subgame has several
        # equilibria, the one the answer's policy follows
        guesses = [start] + ([self.recent] if self.recent is not None else [])
        guesses += [np.full_like(start, 0.5), np.full_like(start, 2.0)]
        for number, held in enumerate(dict.fromkeys(held_sets)):
            full = np.zeros((self.n, 2))
            full[list(held), 0] = start[list(held), 0] if number == 0 else TOKEN
            free = np.array([2 * i + c for i in range(self.n) if i not in held for c in (0, 1)], dtype=int)
            for guess in guesses:
                x = full.copy()
                if free.size:
                    w0 = np.log(np.maximum(guess, 1e-8)).ravel()[free]
                    with np.errstate(all="ignore"):
                        sol = root(self._conditions, w0, args=(z0, full, free), tol=1e-12)
                        x.flat[free] = np.exp(sol.x)
                        slopes = self._conditions(sol.x, z0, full, free)
                    if not (np.all(np.isfinite(x)) and np.max(np.abs(slopes)) < 1e-7):
                        continue
                if self._globally_best(z0, x):
                    self.recent = x
                    return x
        return None

    def _globally_best(self, z0: np.ndarray, x: np.ndarray) -> bool:
        """No player gains by other own inputs on a log grid around ``x``, on an absolute log grid,
        or by sitting out."""
        U = self.pay(self._profiles(z0, x[None]))[0]
        for i in range(self.n):
            own = np.array([[a * x[i, 0], b * x[i, 1]] for a in GRID for b in GRID]
                           + [[a, b] for a in ABSOLUTE for b in ABSOLUTE]
                           + [[0.0, 0.0], [0.0, x[i, 1]], [x[i, 0], 0.0]])
            tries = np.repeat(x[None], len(own), axis=0)
            tries[:, i] = own
            if np.max(self.pay(self._profiles(z0, tries))[:, i]) > U[i] + 1e-9 * (1 + abs(U[i])):
                return False
        return True

    def value(self, i: int, z0: np.ndarray, start: np.ndarray) -> float:
        """Player i's payoff over both periods when the first is played as ``z0`` (n, k) and the
        last period's equilibrium at the state reached follows; -inf where none is found."""
        x1 = self.last_period(z0, start)
        if x1 is None:
            self.unvalued += 1
            return -np.inf
        return float(self.pay(self._profiles(z0, x1[None]))[0, i])


def best_first_period_gain(bi: BackwardInduction, X: np.ndarray, i: int, upper: np.ndarray,
                           rng: np.random.Generator) -> tuple[float, float, np.ndarray]:
    """(gain, U_i, best deviation) of player i's first period, the last period re-solved each time."""
    z0, start = X[0].copy(), X[1][:, :2]

    def value_of(a):
        z = z0.copy()
        z[i] = np.minimum(np.abs(a), upper)
        return bi.value(i, z, start)

    base = value_of(z0[i])
    own = z0[i]
    scale = np.maximum(own, 0.3)
    cands = [own * f for f in (0.0, 0.5, 0.9, 1.1, 2.0)]
    no_invest = own.copy()
    no_invest[2:] = 0.0
    cands.append(no_invest)
    cands += list(rng.lognormal(0.0, 1.0, (30, own.size)) * scale)
    vals = np.array([value_of(a) for a in cands])
    best, best_a = base, own
    if np.max(vals) > best:
        best, best_a = float(np.max(vals)), cands[int(np.argmax(vals))]
    for j in np.argsort(-vals)[:1]:
        r = minimize(lambda a: -value_of(a), cands[j], method="Nelder-Mead",
                     options={"xatol": 1e-8, "fatol": 1e-12, "maxfev": 200})
        if np.isfinite(r.fun) and -r.fun > best:
            best, best_a = -r.fun, np.minimum(np.abs(r.x), upper)
    return best - base, base, best_a


def run(seeds: list[int]) -> dict:
    c = {"games": 0, "certified": 0, "token": 0, "false": 0, "last_mismatch": 0, "not_certified": 0, "errors": 0,
         "unvalued": 0, "fallback": 0, "boundary": 0, "seconds": 0.0}
    t0 = time.perf_counter()
    for seed in seeds:
        rng = np.random.default_rng((seed, 15))
        try:
            agg, what = draw(rng)
            res = agg.solve(2, concept="feedback")
        except Exception as exc:  # noqa: BLE001 - a check reports, never raises
            c["errors"] += 1
            report_error(f"seed {seed}", exc)
            continue
        c["games"] += 1
        if not res.success:
            c["not_certified"] += 1
            print(f"  seed {seed} ({what}): {res.status}")
            continue
        c["certified"] += 1
        try:
            pay = IndependentPayoff(agg, 2, rng)
            c["fallback"] += pay.source != "reference"
            X = res.strategies.data
            last = X[1][:, :2]
            token = (last[:, 1] < TOKEN_P) & (last[:, 0] <= TOKEN_S)
            if np.any((last < BOUNDARY) & ~token[:, None]):
                # a player nearly out but not at a token presence: the root-finding in log
                # coordinates has no such point to find (and a subgame near it may have several
                # equilibria)
                c["boundary"] += 1
                print(f"  seed {seed} ({what}): a last-period input below {BOUNDARY:g}, not checked")
                continue
            c["token"] += bool(token.any())
            bi = BackwardInduction(pay, agg.n, agg.k)
            x1 = bi.last_period(X[0], X[1][:, :2])
            if x1 is None or not np.allclose(x1, X[1][:, :2], rtol=LAST_RTOL, atol=1e-8):
                c["last_mismatch"] += 1
                print(f"  LAST PERIOD DIFFERS seed {seed} ({what}): package {X[1][:, :2].ravel()}, independent "
                      f"{None if x1 is None else x1.ravel()}")
            for i in range(agg.n):
                gain, base, dev = best_first_period_gain(bi, X, i, pay.upper, rng)
                if gain > GAIN_RTOL * (1.0 + abs(base)):
                    c["false"] += 1
                    print(f"  FALSE CERTIFICATE seed {seed} ({what}): player {i + 1} gains {gain:.3e} over "
                          f"U={base:.6g} by playing {np.array2string(dev, precision=4)} in period 1")
                    break
            c["unvalued"] += bi.unvalued
        except Exception as exc:  # noqa: BLE001
            c["errors"] += 1
            report_error(f"seed {seed} ({what})", exc)
        print(f"  seed {seed} ({what}): checked, {time.perf_counter() - t0:.0f} s", flush=True)
    c["seconds"] = time.perf_counter() - t0
    return c


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=None, help="games, seeds start..start+count-1 (default 24)")
    parser.add_argument("--start", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="explicit seeds (override --count)")
    parser.add_argument("--quick", action="store_true", help="6 games")
    args = parser.parse_args(argv)
    header("check_feedback: feedback answers against an independent backward induction", args.quick)
    seeds = args.seeds or list(range(args.start, args.start + (args.count or (6 if args.quick else 24))))
    c = run(seeds)
    print_table("Random two-period feedback games", [
        "games", "certified", "checked with a player out", "not checked (inputs near 0)", "false certificates",
        "last period differs",
        "not certified", "deviations not valued", "errors", "independent payoff", "time"], [[
            str(c["games"]), str(c["certified"]), str(c["token"]), str(c["boundary"]), str(c["false"]),
            str(c["last_mismatch"]),
            str(c["not_certified"]),
            str(c["unvalued"]), str(c["errors"]),
            "reference" if not c["fallback"] else f"package for {c['fallback']}", f"{c['seconds']:.0f} s"]])
    targets = Targets()
    targets.check("false feedback certificates", c["false"], 0, fmt=lambda v: f"{v:.0f}",
                  note=f"of {c['certified']} certified")
    targets.check("last periods that differ", c["last_mismatch"], 0, fmt=lambda v: f"{v:.0f}")
    targets.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

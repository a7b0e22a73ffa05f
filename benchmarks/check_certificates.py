"""Certificates against an independent search, on random games: false certificates and missed equilibria.

Run: ``python benchmarks/check_certificates.py [--kind static|dynamic|wide|dynamic-wide|all]
[--count N | --seeds S ...]`` (``--quick`` for a short run). One game per seed; seeds 0..N-1 by
default (N = 200 static games, 40 multi-period games, 120 wide static games, 40 wide multi-period
games; ``--start`` shifts them).

Draws:

* ``static``: n = 2..4, one period, winner-only risk, Tullock contest; per player A, B in [5, 20],
  alpha, beta in [0.3, 0.7], theta in [0, 1], d in [0, 2], r in [0.02, 0.2], and the losers'
  reward lose_a in [0, 0.5] (what a player gets when another wins and the outcome is safe:
  ``dp.RewardFunc(n, lose_a=...)``);
* ``dynamic``: n = 2..3, T = 2..5, investment or technology sharing (either share map), winner-only,
  multiplicative or additive risk, the maybe-no-win contest (scale in [0.5, 2]) with and without
  end_on_win, gamma in [0.8, 1] per player;
* ``wide``: one period, n = 2..6, all three risk forms (theta in [0, 1.5]), the Tullock contest
  (60%) or maybe-no-win (scale in [0.5, 2]); per player A, B in [1, 50], alpha, beta in
  [0.2, 0.9], d in [0, 5], r in [0.01, 0.5], lose_a in [0, 0.5]: players far apart, some out of
  the race at the smallest inputs (missed equilibria counted as for ``static``);
* ``dynamic-wide``: n = 2..3, T = 2..4, investment or sharing, all three risk forms (theta in
  [0, 1.5]), the Tullock contest or maybe-no-win (half each; with the latter, end_on_win or not); per
  player A in [2, 30], B in [0.5, 5], alpha, beta in [0.2, 0.8], d in [0, 3], r in [0.02, 0.3],
  r_inv in [0.005, 0.1], the sharing price in [0.0005, 0.02], gamma in [0.7, 1].

Each game is solved with ``Aggregator.solve``. The independent model is the REFERENCE model's payoff
(``../shared/reference``, when that folder exists; each game's mapping is first checked: both
implementations must give the same payoffs at random profiles). Without the reference the search
uses the package's payoff (``agg.u``) and says so.

* A certified answer is attacked, for every player, by a search that shares nothing with the
  package's certificate but the model: direct evaluation of exact-zero schedules (dropping out,
  giving up safety or performance, sitting a period out, dropping out from a period on, never
  investing or sharing), scaled copies, the other players' schedules and random schedules; then
  L-BFGS-B (finite-difference gradients of the independent payoff) in raw and log coordinates from
  the profile, the best candidates and the exact-zero schedules (their zeros held), and Nelder-Mead
  in log coordinates from the best point. A certificate is FALSE when a deviation gains more than
  1e-6 (1 + |U_i|) (every reported gain is an evaluated profile).
* An answer that is not certified (static games; multi-period with ``--search-missed``) is checked
  for a pure equilibrium found independently: the reference's ``solve_baseline`` from a few seeds
  (random starts without the reference) and the package's uncertified profile, each polished by
  iterated best responses (L-BFGS-B on the independent payoff) and accepted when the deviation
  search finds no gain above the same tolerance. Such a candidate is then cross-examined: the
  deviations the package's certificate proposes at it are evaluated with the independent payoff,
  and one that gains more than the tolerance refutes it (the independent search had missed that
  move; the line says so, and the game counts as "no equilibrium found"). An equilibrium that
  survives is a MISSED one; the script records whether the package certifies it when started
  there (``agg.solve(init=...)``).

Per-game lines are printed only for false certificates and missed equilibria, with progress and
elapsed time every few games; then a summary with targets. Exits 0 whatever it finds.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import (
    MappingError,
    Targets,
    check_reference_payoffs,
    fmt_num,
    header,
    package_payoffs,
    print_table,
    reference,
    reference_payoff_function,
    reference_problem,
    report_error,
)
from scipy.optimize import minimize

import dynapai_sym as dp
from dynapai_sym.solvers.certify import certify

GAIN_RTOL = 1e-6  # a gain above GAIN_RTOL (1 + |U_i|) defeats a profile
#: the package's own tolerance: a found profile whose gains lie between it and GAIN_RTOL is no
#: equilibrium to the package (it reports such a best profile and its gain), so not a miss
PACKAGE_GAIN_RTOL = dp.SolverOptions().gain_tol
LOG_LO, LOG_HI = -60.0, float(np.log(1e6))  # log-coordinate bounds (e^-60 ~ 1e-26)
MISSED_PER_200 = 1.0  # target: at most one missed pure equilibrium per 200 static games


# ---------------------------------------------------------------- random games
def draw_static(rng: np.random.Generator) -> tuple[dp.Aggregator, int, str]:
    n = int(rng.integers(2, 5))
    prod = dp.ProdFunc(a=rng.uniform(5, 20, n), alpha=rng.uniform(0.3, 0.7, n), b=rng.uniform(5, 20, n),
                       beta=rng.uniform(0.3, 0.7, n))
    theta, lose = rng.uniform(0, 1, n), rng.uniform(0, 0.5, n)
    pf = dp.PayoffFunc(prod_func=prod, risk_func=dp.RiskFunc.winner_only(theta), d=rng.uniform(0, 2, n),
                       r=rng.uniform(0.02, 0.2, n), reward_func=dp.RewardFunc(n, lose_a=lose))
    return dp.Aggregator(pf), 1, f"n={n} static"


def draw_dynamic(rng: np.random.Generator) -> tuple[dp.Aggregator, int, str]:
    n = int(rng.integers(2, 4))
    T = int(rng.integers(2, 6))
    sharing = bool(rng.integers(2))
    form = ("winner_only", "multiplicative", "additive")[int(rng.integers(3))]
    prod = dp.ProdFunc(a=rng.uniform(6, 14, n), alpha=rng.uniform(0.3, 0.7, n), b=rng.uniform(0.5, 2, n),
                       beta=rng.uniform(0.3, 0.7, n))
    risk = getattr(dp.RiskFunc, form)(rng.uniform(0.1, 0.8, n))
    csf = dp.CSF.maybe_no_win(float(rng.uniform(0.5, 2.0)))
    r, r_inv, d = rng.uniform(0.05, 0.2, n), rng.uniform(0.005, 0.05, n), rng.uniform(0.5, 2, n)
    share_map = ("fraction", "exp")[int(rng.integers(2))]
    if sharing:
        cost = dp.CostFunc.fixed_sharing(r, r_inv, rng.uniform(0.0005, 0.01, n))
        pf = dp.PayoffFunc(prod_func=prod, risk_func=risk, csf=csf, d=d, cost_func=cost, share_map=share_map)
    else:
        pf = dp.PayoffFunc(prod_func=prod, risk_func=risk, csf=csf, d=d, r=r, r_inv=r_inv)
    end_on_win = bool(rng.integers(2))
    agg = dp.Aggregator(pf, gammas=rng.uniform(0.8, 1.0, n), end_on_win=end_on_win)
    what = f"sharing ({share_map})" if sharing else "invest"
    return agg, T, f"n={n} T={T} {what} {form}{' end_on_win' if end_on_win else ''}"


def draw_wide(rng: np.random.Generator) -> tuple[dp.Aggregator, int, str]:
    n = int(rng.integers(2, 7))
    prod = dp.ProdFunc(a=rng.uniform(1, 50, n), alpha=rng.uniform(0.2, 0.9, n), b=rng.uniform(1, 50, n),
                       beta=rng.uniform(0.2, 0.9, n))
    form = ("winner_only", "multiplicative", "additive")[int(rng.integers(3))]
    risk = getattr(dp.RiskFunc, form)(rng.uniform(0, 1.5, n))
    no_win = rng.random() >= 0.6
    csf = dp.CSF.maybe_no_win(float(rng.uniform(0.5, 2.0))) if no_win else dp.CSF.default()
    pf = dp.PayoffFunc(prod_func=prod, risk_func=risk, csf=csf, d=rng.uniform(0, 5, n), r=rng.uniform(0.01, 0.5, n),
                       reward_func=dp.RewardFunc(n, lose_a=rng.uniform(0, 0.5, n)))
    return dp.Aggregator(pf), 1, f"n={n} {form} {'maybe-no-win' if no_win else 'tullock'}"


#: parameter ranges of the wide multi-period draw (uniform, per player unless said)
WIDE_DYNAMIC = {"a": (2, 30), "alpha": (0.2, 0.8), "b": (0.5, 5), "beta": (0.2, 0.8), "theta": (0.0, 1.5),
                "scale": (0.5, 2.0), "r": (0.02, 0.3), "r_inv": (0.005, 0.1), "d": (0.0, 3), "r_share": (0.0005, 0.02),
                "gamma": (0.7, 1.0)}


def draw_dynamic_model(rng: np.random.Generator, n: int, ranges: dict) -> tuple[dp.Aggregator, str]:
    """A random investment or sharing model of ``n`` players with parameters uniform in ``ranges``
    (see :data:`WIDE_DYNAMIC`): any risk form, the Tullock or maybe-no-win contest (half each),
    ending on a win only with the latter (with a sure winner the game would end after one period)."""
    sharing = bool(rng.integers(2))
    form = ("winner_only", "multiplicative", "additive")[int(rng.integers(3))]

    def draw(key):
        return rng.uniform(*ranges[key], n)

    prod = dp.ProdFunc(a=draw("a"), alpha=draw("alpha"), b=draw("b"), beta=draw("beta"))
    risk = getattr(dp.RiskFunc, form)(draw("theta"))
    no_win = bool(rng.integers(2))
    csf = dp.CSF.maybe_no_win(float(rng.uniform(*ranges["scale"]))) if no_win else dp.CSF.default()
    r, r_inv, d = draw("r"), draw("r_inv"), draw("d")
    if sharing:
        cost = dp.CostFunc.fixed_sharing(r, r_inv, draw("r_share"))
        pf = dp.PayoffFunc(prod_func=prod, risk_func=risk, csf=csf, d=d, cost_func=cost)
    else:
        pf = dp.PayoffFunc(prod_func=prod, risk_func=risk, csf=csf, d=d, r=r, r_inv=r_inv)
    end_on_win = bool(rng.integers(2)) and no_win
    agg = dp.Aggregator(pf, gammas=draw("gamma"), end_on_win=end_on_win)
    return agg, (f"{'sharing' if sharing else 'invest'} {form} {'maybe-no-win' if no_win else 'tullock'}"
                 f"{' end_on_win' if end_on_win else ''}")


def draw_dynamic_wide(rng: np.random.Generator) -> tuple[dp.Aggregator, int, str]:
    n, T = int(rng.integers(2, 4)), int(rng.integers(2, 5))
    agg, what = draw_dynamic_model(rng, n, WIDE_DYNAMIC)
    return agg, T, f"n={n} T={T} {what}"


DRAWS = {"static": (draw_static, 0), "dynamic": (draw_dynamic, 1), "wide": (draw_wide, 7),
         "dynamic-wide": (draw_dynamic_wide, 11)}
#: games per kind: full run, --quick
COUNTS = {"static": (200, 40), "dynamic": (40, 8), "wide": (120, 30), "dynamic-wide": (40, 8)}


# ---------------------------------------------------------------- the independent model
class IndependentPayoff:
    """Batch payoffs ``X (m, T, n, k) -> (m, n)`` of the independent model: the reference's when the
    folder exists and the mapping checks out, else the package's ``agg.u`` (``source`` says which)."""

    def __init__(self, agg: dp.Aggregator, T: int, rng: np.random.Generator):
        self.T, self.n, self.k = T, agg.n, agg.k
        self.problem, self.note = None, ""
        ref = reference()
        fn = None
        if ref.available:
            try:
                problem = reference_problem(agg, T)
                check_reference_payoffs(agg, problem, rng)
                fn, self.problem, self.source = reference_payoff_function(problem), problem, "reference"
            except MappingError as exc:
                self.note = f"mapping failed, package payoff used: {exc}"
        else:
            self.note = ref.note
        if fn is None:
            self.source = "package"

            def fn(X, agg=agg):
                with np.errstate(all="ignore"):
                    return package_payoffs(agg, X)

        self.fn = fn
        self.upper = np.full(self.k, np.inf)
        if self.k == 6 and agg.state.beliefs[0].share_map == "fraction":
            self.upper[4:] = 1.0

    def __call__(self, X: np.ndarray) -> np.ndarray:
        U = np.asarray(self.fn(X), dtype=float)
        return np.where(np.isfinite(U), U, -np.inf)


class Effort:
    def __init__(self, dynamic: bool):
        self.random = 10 if dynamic else 24
        self.top = 3 if dynamic else 6
        self.maxiter = 200 if dynamic else 400
        self.nm_fev = 1500 if dynamic else 600


def zero_masks(T: int, k: int) -> list[np.ndarray]:
    """Exact-zero patterns of one schedule (T, k): which coordinates are held at exactly 0."""
    masks = []
    full = np.ones((T, k), dtype=bool)
    masks.append(full)  # drop out entirely
    for c in (0, 1):  # give up safety or performance in every period
        m = np.zeros((T, k), dtype=bool)
        m[:, c] = True
        masks.append(m)
    if T > 1:
        for t in range(1, T):  # drop out from period t on
            m = np.zeros((T, k), dtype=bool)
            m[t:] = True
            masks.append(m)
        for t in range(T):  # sit period t out (still free to invest)
            m = np.zeros((T, k), dtype=bool)
            m[t, :2] = True
            masks.append(m)
    if k >= 4:
        m = np.zeros((T, k), dtype=bool)
        m[:, 2:4] = True  # never invest
        masks.append(m)
    if k == 6:
        m = np.zeros((T, k), dtype=bool)
        m[:, 4:] = True  # never share
        masks.append(m)
    return [m.reshape(-1) for m in masks]


class Deviation:
    """Player ``i``'s payoff against the others' schedules in ``X``, recording the best evaluated schedule."""

    def __init__(self, pay: IndependentPayoff, X: np.ndarray, i: int):
        self.pay, self.X, self.i = pay, X, i
        T, _, k = X.shape
        self.shape = (T, k)
        self.ub = np.tile(pay.upper, T)
        self.best_value, self.best = -np.inf, X[:, i, :].reshape(-1).copy()

    def values(self, S: np.ndarray) -> np.ndarray:
        S = np.clip(np.atleast_2d(S), 0.0, self.ub)
        P = np.repeat(self.X[None], len(S), axis=0)
        P[:, :, self.i, :] = S.reshape(len(S), *self.shape)
        v = self.pay(P)[:, self.i]
        j = int(np.argmax(v))
        if v[j] > self.best_value:
            self.best_value, self.best = float(v[j]), S[j].copy()
        return v

    def local(self, s0: np.ndarray, fixed: np.ndarray, log: bool, maxiter: int) -> None:
        """L-BFGS-B from ``s0`` over the free coordinates (``fixed`` ones held at exactly 0), with
        central differences of the payoff (one batched evaluation per gradient)."""
        free = ~fixed
        bounded = np.isfinite(self.ub) & free
        logc = free & ~bounded if log else np.zeros_like(free)
        idx = np.flatnonzero(free)
        if idx.size == 0:
            return
        s_base = np.where(fixed, 0.0, np.clip(s0, 0.0, self.ub))
        lo = np.where(logc, LOG_LO, 0.0)[idx]
        hi = np.where(logc, LOG_HI, np.where(np.isfinite(self.ub), self.ub, 1e6))[idx]
        v0 = np.where(logc, np.log(np.maximum(s_base, np.exp(LOG_LO))), s_base)[idx]
        v0 = np.clip(v0, lo, hi)
        il = logc[idx]

        def schedules(V):
            S = np.repeat(s_base[None], len(V), axis=0)
            S[:, idx] = V
            S[:, idx[il]] = np.exp(V[:, il])
            return S

        def fun(v):
            h = np.where(il, 1e-6, 1e-6 * np.maximum(np.abs(v), 1e-3))
            up, dn = np.minimum(v + h, hi), np.maximum(v - h, lo)
            V = np.repeat(v[None], 2 * len(v) + 1, axis=0)
            r = np.arange(len(v))
            V[1 + r, r] = up
            V[1 + len(v) + r, r] = dn
            vals = self.values(schedules(V))
            if not np.isfinite(vals[0]):
                return 1e9, np.zeros_like(v)
            g = (vals[1:len(v) + 1] - vals[len(v) + 1:]) / np.maximum(up - dn, 1e-300)
            g = np.where(np.isfinite(g), g, 0.0)
            return -vals[0], -g

        minimize(fun, v0, jac=True, method="L-BFGS-B", bounds=list(zip(lo, hi)),
                 options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-12})

    def nelder_mead(self, s0: np.ndarray, maxfev: int) -> None:
        """Nelder-Mead in log coordinates (shares bounded by 1 clipped) from ``s0``'s positive entries."""
        pos = s0 > 0
        idx = np.flatnonzero(pos)
        if idx.size == 0:
            return
        base = s0.copy()

        def fun(z):
            s = base.copy()
            s[idx] = np.exp(np.clip(z, LOG_LO, LOG_HI))
            v = self.values(s)[0]
            return -v if np.isfinite(v) else 1e9

        minimize(fun, np.log(s0[idx]), method="Nelder-Mead",
                 options={"maxfev": maxfev, "xatol": 1e-12, "fatol": 1e-15, "adaptive": True})


def best_deviation(pay: IndependentPayoff, X: np.ndarray, i: int, rng: np.random.Generator,
                   effort: Effort) -> tuple[float, np.ndarray]:
    """Best payoff of player ``i`` found over own schedules, and the schedule."""
    dev = Deviation(pay, X, i)
    T, n, k = X.shape
    own = X[:, i, :].reshape(-1)
    masks = zero_masks(T, k)
    cands = [own, np.zeros_like(own)]
    cands += [own * c for c in (1e-6, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.8, 0.95, 1.05, 1.25, 2.0, 3.0, 10.0)]
    cands += [X[:, j, :].reshape(-1) for j in range(n) if j != i]
    cands += [np.where(m, 0.0, own) for m in masks]
    scale = np.maximum(own, 1e-2)
    for _ in range(effort.random):
        cands.append(scale * rng.lognormal(0.0, 1.5, own.size))
        cands.append(rng.uniform(0.0, 2.0 * max(1.0, float(own.max())), own.size))
    C = np.clip(np.array(cands), 0.0, dev.ub)
    vals = dev.values(C)
    order = [int(j) for j in np.argsort(-vals)]
    top = []
    for j in order:
        if len(top) >= effort.top:
            break
        if all(np.max(np.abs(C[j] - C[m])) > 1e-9 for m in top):
            top.append(j)
    none = np.zeros(own.size, dtype=bool)
    for s0 in [own] + [C[j] for j in top]:
        for log in (False, True):
            dev.local(s0, none, log, effort.maxiter)
    for m in masks:
        dev.local(np.where(m, 0.0, np.maximum(own, 1e-3)), m, True, effort.maxiter)
    dev.local(np.full(own.size, 1e-6), none, True, effort.maxiter)  # near zero, everything free
    dev.nelder_mead(dev.best.copy(), effort.nm_fev)
    return dev.best_value, dev.best


def gains(pay: IndependentPayoff, X: np.ndarray, rng: np.random.Generator, effort: Effort):
    """Per player: (gain, U_i, deviating schedule) of the best deviation found."""
    U = pay(X[None])[0]
    out = []
    for i in range(X.shape[1]):
        value, schedule = best_deviation(pay, X, i, rng, effort)
        out.append((value - U[i], U[i], schedule))
    return out


def defeated(g) -> bool:
    return any(gain > GAIN_RTOL * (1.0 + abs(u)) for gain, u, _ in g)


# ---------------------------------------------------------------- an independent equilibrium search
def polish(pay: IndependentPayoff, X: np.ndarray, effort: Effort, sweeps: int = 60) -> np.ndarray:
    """Iterated (Gauss-Seidel) best responses, each a local L-BFGS-B climb in raw and log coordinates."""
    X = np.array(X, dtype=float)
    T, n, k = X.shape
    none = np.zeros(T * k, dtype=bool)
    for _ in range(sweeps):
        before = X.copy()
        for i in range(n):
            dev = Deviation(pay, X, i)
            own = X[:, i, :].reshape(-1)
            dev.values(own)
            for log in (True, False):
                dev.local(dev.best.copy(), none, log, effort.maxiter)
            X[:, i, :] = dev.best.reshape(T, k)
        if np.max(np.abs(X - before) / (1.0 + np.abs(before))) < 1e-10:
            break
    return X


def refuting_deviation(pay: IndependentPayoff, agg: dp.Aggregator, X: np.ndarray) -> tuple[int, float] | None:
    """A deviation from ``X`` that the package's certificate proposes and the independent payoff
    confirms (player, gain), or None. The package only proposes schedules here; the gain is the
    independent model's, so a candidate equilibrium of the independent search that this refutes
    was not one (its own deviation search had missed the move)."""
    game = agg.game(pay.T)
    cert = certify(game, game.layout.pack(np.maximum(X, 0.0)), dp.SolverOptions(), np.random.default_rng(0))
    U = pay(X[None])[0]
    best = None
    for dev in cert.deviations:
        Y = np.array(X, dtype=float)
        Y[:, dev.player, :] = np.clip(dev.schedule, 0.0, pay.upper)
        gain = float(pay(Y[None])[0][dev.player] - U[dev.player])
        if gain > GAIN_RTOL * (1.0 + abs(U[dev.player])) and (best is None or gain > best[1]):
            best = (dev.player, gain)
    return best


def find_equilibrium(pay: IndependentPayoff, res: dp.SolverResult, rng: np.random.Generator, effort: Effort,
                     starts: int = 3, agg: dp.Aggregator | None = None, refuted: list | None = None):
    """A pure equilibrium of the independent model, or None: (profile, gains, how it was found).

    With ``agg``, a candidate is also checked against the deviations the package's certificate
    proposes, evaluated by the independent payoff (:func:`refuting_deviation`); a refuted
    candidate is skipped and recorded in ``refuted`` as (how, player, gain)."""
    ref = reference()
    T, n, k = pay.T, pay.n, pay.k
    candidates = []
    for s in range(starts):
        if pay.problem is not None:
            base = ref.baseline.solve_baseline(pay.problem, seed=s)
            candidates.append((base.strategies, f"reference baseline seed {s}"))
        else:
            X0 = rng.lognormal(-1.0, 0.5, size=(T, n, k))
            if np.isfinite(pay.upper).any():
                X0 = np.minimum(X0, pay.upper)
            candidates.append((X0, f"random start {s}"))
    candidates.append((res.strategies.data, "the package's uncertified profile"))
    tried = []
    for X0, how in candidates:
        X = polish(pay, X0, effort)
        if any(np.max(np.abs(X - Y)) < 1e-7 for Y in tried):
            continue
        tried.append(X)
        g = gains(pay, X, rng, effort)
        if not defeated(g):
            refute = refuting_deviation(pay, agg, X) if agg is not None else None
            if refute is None:
                return X, g, how
            if refuted is not None:
                refuted.append((how, *refute))
    return None


# ---------------------------------------------------------------- main loop
def run(kind: str, seeds: list[int], quick: bool, search_missed: bool) -> dict:
    draw, code = DRAWS[kind]
    effort = Effort(kind.startswith("dynamic"))
    counts = {"games": 0, "certified": 0, "false": 0, "missed": 0, "missed_zero": 0, "missed_recovered": 0,
              "none_found": 0, "not_searched": 0, "fallback": 0, "errors": 0, "refuted": 0, "near": 0}
    t0 = last = time.perf_counter()
    print(f"\n{kind}: {len(seeds)} games, seeds {seeds[0]}..{seeds[-1]}", flush=True)
    for g, seed in enumerate(seeds):
        rng = np.random.default_rng((seed, code))
        try:
            agg, T, what = draw(rng)
            res = agg.solve(T)
            pay = IndependentPayoff(agg, T, rng)
        except Exception as exc:
            counts["errors"] += 1
            report_error(f"{kind} seed {seed}", exc)
            continue
        counts["games"] += 1
        counts["fallback"] += pay.source != "reference"
        if pay.note.startswith("mapping failed") and counts["fallback"] <= 3:
            print(f"  NOTE seed {seed} ({what}): {pay.note}")
        try:
            if res.success:
                counts["certified"] += 1
                g_list = gains(pay, res.strategies.data, rng, effort)
                if defeated(g_list):
                    counts["false"] += 1
                    worst = max(range(len(g_list)), key=lambda i: g_list[i][0] / (1 + abs(g_list[i][1])))
                    gain, u, sched = g_list[worst]
                    print(f"  FALSE CERTIFICATE seed {seed} ({what}): player {worst} gains {gain:.3e} over U={u:.6g} "
                          f"({pay.source} payoff) with schedule {np.array2string(sched, precision=4)}")
            elif not kind.startswith("dynamic") or search_missed:
                refuted: list = []
                found = find_equilibrium(pay, res, rng, effort, agg=agg, refuted=refuted)
                counts["refuted"] += bool(refuted)
                for how, player, gain in refuted:
                    print(f"  seed {seed} ({what}): the independent search's candidate (from {how}) is refuted: "
                          f"player {player + 1} gains {gain:.3e} (independent payoff) by a deviation the "
                          "package's certificate proposes")
                if found is None:
                    counts["none_found"] += 1
                else:
                    X, g_list, how = found
                    worst = max(gain / (1 + abs(u)) for gain, u, _ in g_list)
                    again = agg.solve(T, init=dp.Strategies(np.maximum(X, 0.0)))
                    if worst > PACKAGE_GAIN_RTOL and not again.success:
                        counts["near"] += 1
                        print(f"  NEAR EQUILIBRIUM seed {seed} ({what}): package said {res.status!r}; from {how} the "
                              f"independent search found a profile whose largest relative gain {worst:.1e} is above "
                              f"the package's tolerance {PACKAGE_GAIN_RTOL:g} (started there: {again.status!r}); "
                              "not counted as missed")
                    else:
                        counts["missed"] += 1
                        zero = bool(np.any(X < 1e-10))
                        counts["missed_zero"] += zero
                        counts["missed_recovered"] += bool(again.success)
                        print(f"  MISSED EQUILIBRIUM seed {seed} ({what}): package said {res.status!r}; "
                              f"found from {how}, largest relative gain {worst:.1e}"
                              f"{', has zero inputs' if zero else ''}; "
                              f"package started there: {again.status!r}\n    profile {np.array2string(X, precision=5)}")
            else:
                counts["not_searched"] += 1
        except Exception as exc:
            counts["errors"] += 1
            report_error(f"{kind} seed {seed} ({what})", exc)
        now = time.perf_counter()
        if now - last > 20 or g + 1 == len(seeds) or (g + 1) % 25 == 0:
            last = now
            print(f"  [{g + 1}/{len(seeds)}] {now - t0:.0f} s: certified {counts['certified']}, false "
                  f"{counts['false']}, missed {counts['missed']}, none found {counts['none_found']}", flush=True)
    counts["seconds"] = time.perf_counter() - t0
    return counts


def summarize(kind: str, c: dict, targets: Targets, search_missed: bool) -> list[str]:
    searched = not kind.startswith("dynamic") or search_missed
    not_cert = c["games"] - c["certified"]
    targets.check(f"{kind}: false certificates", c["false"], 0, fmt=lambda v: fmt_num(v, ".0f"),
                  note=f"of {c['certified']} certified")
    if searched:
        limit = MISSED_PER_200 * c["games"] / 200.0
        targets.check(f"{kind}: missed pure equilibria", c["missed"], limit, fmt=lambda v: fmt_num(v, ".3g"),
                      note=f"<= 1 per 200 games; {c['missed_recovered']} certified when started there")
    return [kind, str(c["games"]), str(c["certified"]), str(c["false"]),
            str(c["missed"]) if searched else "not searched",
            f"{c['missed_zero']}" if searched else "",
            (str(c["none_found"]) + (f" ({c['refuted']} with a refuted candidate)" if c["refuted"] else "")
             + (f"; {c['near']} near (gain above the package's tolerance)" if c["near"] else ""))
            if searched else f"{not_cert} (not searched)",
            str(c["errors"]), "package" if c["fallback"] == c["games"] else
            ("reference" if not c["fallback"] else f"reference ({c['fallback']} package)"),
            f"{c['seconds']:.0f} s"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("static", "dynamic", "wide", "dynamic-wide", "all"), default="static")
    parser.add_argument("--count", type=int, default=None,
                        help="games per kind, seeds start..start+count-1 (default 200 static, 40 dynamic, "
                             "120 wide, 40 dynamic-wide; --quick: 40, 8, 30 and 8)")
    parser.add_argument("--start", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="explicit seeds (override --count)")
    parser.add_argument("--search-missed", action="store_true",
                        help="also look for missed equilibria in multi-period games (slow)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer games (40 static, 8 multi-period, 30 wide, 8 wide multi-period)")
    args = parser.parse_args(argv)
    header("check_certificates: random games against an independent search", args.quick)
    ref = reference()
    print(ref.note if ref.available else f"NOTE: {ref.note}; the search uses the package's own payoff")
    kinds = list(DRAWS) if args.kind == "all" else [args.kind]
    targets, rows = Targets(), []
    for kind in kinds:
        if args.seeds is not None:
            seeds = list(args.seeds)
        else:
            default = COUNTS[kind][1 if args.quick else 0]
            seeds = list(range(args.start, args.start + (args.count or default)))
        c = run(kind, seeds, args.quick, args.search_missed)
        rows.append(summarize(kind, c, targets, args.search_missed))
    print_table("Random games", ["kind", "games", "certified", "false certificates", "missed pure eq.",
                                 "of which with zero inputs", "not certified, no eq. found", "errors",
                                 "independent payoff", "time"], rows)
    print(f"(a gain counts above {GAIN_RTOL:g} (1 + |U_i|); missed = not certified although the independent "
          f"search found a pure equilibrium; near = it found a profile whose gains are below that but above the "
          f"package's tolerance {PACKAGE_GAIN_RTOL:g} (1 + |U_i|), and the package started there finds a better "
          "deviation)")
    targets.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

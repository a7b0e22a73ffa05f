r"""Mixed strategies by best responses to a history (fictitious-play style).

The scheme of the dynapai and AIIncentives.jl engines: keep a history of the last ``hist_size``
pure profiles; in each round every player best-responds to the empirical
distribution of the others' schedules in the history (maximising its mean
payoff against them), and the new profile joins the history. After ``iters``
rounds the history is the sample of the mixed strategy; ``mixed_samples``
profiles are drawn from it.

The result is judged by its exploitability: for each player, the gain of its
best response against the others' sample over its own mean sample payoff,

.. math::

    \varepsilon_i = \max_{a_i} \mathbb{E}_{h}[U_i(a_i, x^h_{-i})] - \mathbb{E}_{h, h'}[U_i(x^h_i, x^{h'}_{-i})].

It is reported as ``epsilon``; the answer counts as a (approximate) mixed
equilibrium only when :math:`\max_i \varepsilon_i` is within the gain tolerance.

Source: Brown (1951), "Iterative solution of games by fictitious play"; the
history-window variant follows the dynapai engine's ``solve_mixed``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .best_response import maximise_own
from .candidates import deviation_candidates
from .result import Status

__all__ = ["solve_mixed", "MixedOutcome"]

_ROUND_ITERS = 60  # L-BFGS-B iterations per start for the best responses of the rounds


@dataclass
class MixedOutcome:
    x: np.ndarray  # mean profile
    samples: np.ndarray  # (S, T, n, k)
    epsilon: np.ndarray  # per player
    success: bool
    status: str
    message: str
    method: str = "mixed"
    iterations: int = 0
    kkt_residual: float = float("nan")
    certificate: object = None
    seconds: float = 0.0
    notes: list = field(default_factory=list)


def _mean_payoff(game, i: int, own_flat: np.ndarray, others: np.ndarray) -> float:
    """Player i's mean payoff when it plays ``own_flat`` (T k,) against each profile in ``others`` (H, N)."""
    chain, pos = game.chain_of(i)
    Z = game.layout.against_profiles(i, own_flat, others)
    with np.errstate(all="ignore"):
        vals = chain.objective(Z)[pos]
    return float(np.mean(vals)) if np.all(np.isfinite(vals)) else -np.inf


def _best_response_to_history(game, i: int, history: np.ndarray, start: np.ndarray, rng,
                              maxiter: int = 300) -> np.ndarray:
    """Global best response of player i to the history: candidate screen, then L-BFGS-B
    (at most ``maxiter`` iterations from each start)."""
    lay = game.layout
    idx = lay.own_index(i)
    lower, upper = np.maximum(game.lower[idx], 1e-12), game.upper[idx]
    # screen: the certification's candidate schedules (drop-outs, corners, random) around `start`
    cands = deviation_candidates(lay.schedules(start), game.upper[idx], game.k, rng, 32)
    chain, pos = game.chain_of(i)
    H, C = history.shape[0], cands.shape[0]
    with np.errstate(all="ignore"):  # every candidate against every profile of the history
        vals = chain.objective(lay.against_grid(i, cands, history))[pos].reshape(C, H).mean(axis=1)
    vals = np.where(np.isfinite(vals), vals, -np.inf)
    starts = [start] + [lay.flat_schedules(cands[j]) for j in np.argsort(-vals)[:2]]

    best_x, best_val = start, _mean_payoff(game, i, start, history)
    for s0 in starts:
        own = maximise_own(game, i, list(history), s0, lower, upper, maxiter=maxiter, ftol=1e-12, gtol=1e-8)
        val = _mean_payoff(game, i, own, history)
        if val > best_val:
            best_x, best_val = own, val
    return best_x


def solve_mixed(game, x0: np.ndarray, options) -> MixedOutcome:
    """Approximate a mixed-strategy equilibrium (see module docstring)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(options.seed)
    H = options.hist_size
    base = np.clip(np.asarray(x0, dtype=float), game.lower, game.upper)
    history = np.array([np.clip(base * np.exp(rng.normal(0, 0.5, size=base.shape)), game.lower, game.upper)
                        for _ in range(H)])
    rounds = max(1, min(options.iters, 2 * H))
    for _ in range(rounds):
        new = history[-1].copy()
        for i in range(game.n):
            idx = game.own_index(i)
            # the rounds only move the history; the exploitability below uses full best responses
            new[idx] = _best_response_to_history(game, i, history, history[-1][idx], rng, maxiter=_ROUND_ITERS)
        history = np.vstack([history[1:], new[None]])
    # exploitability against the final history
    eps = np.zeros(game.n)
    for i in range(game.n):
        idx = game.own_index(i)
        mean_now = np.mean([_mean_payoff(game, i, h[idx], history) for h in history])
        br = _best_response_to_history(game, i, history, history[-1][idx], rng)
        eps[i] = _mean_payoff(game, i, br, history) - mean_now
    S = options.mixed_samples
    picks = rng.integers(0, H, size=S)
    samples = game.layout.unpack(history[picks])
    # a sampled mixed strategy is an approximation, never a certified equilibrium: success stays False
    success = False
    message = (f"mixed strategy from a history of {H} profiles after {rounds} rounds; "
               f"exploitability per player {np.array2string(eps, precision=3)}")
    return MixedOutcome(history.mean(axis=0), samples, eps, success, Status.MIXED, message,
                        iterations=rounds, seconds=time.perf_counter() - t0)

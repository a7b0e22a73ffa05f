r"""Batched multi-start ascent of one player's payoff: a cheap global search for deviations.

Many starting schedules for player :math:`i` (against fixed opponents) climb together, in log
coordinates :math:`v = \log x`, by normalised gradient steps with a step size per start:

.. math::

    v^{+} = \Pi\big(v + s\, g / \|g\|_\infty\big), \qquad g = x \odot \nabla_x U_i(x),

accepted (and :math:`s \leftarrow 1.5 s`) when the payoff rises, rejected (and
:math:`s \leftarrow s / 4`) otherwise; :math:`\Pi` keeps :math:`x` between a floor standing for
zero and the upper bounds. Each iteration is one batched evaluation of payoffs and gradients
(:meth:`~dynapai_sym.numeric.NumericGame.player_gradient_batch`), so a dozen starts cost about
two single gradients per iteration. In log coordinates the corners :math:`x = 0`, where
:math:`x^\alpha` is singular and a plain ascent stops, are out of reach; starts therefore find
the interior basins (give up later, invest early and compete) that decide whether a profile
is an equilibrium. The end points are candidates, polished by L-BFGS-B in
:mod:`~dynapai_sym.solvers.certify`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["batched_ascent"]


def batched_ascent(game, i, x: np.ndarray, starts: np.ndarray, upper: np.ndarray,
                   iters: int = 20, min_step: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Climb player i's payoff from every schedule in ``starts`` (B, T, k) at once.

    Parameters
    ----------
    game : NumericGame
    i : int or ndarray of int (B,)
        The deviating player, or each start's deviating player (the starts of all players then
        climb together: one evaluation per iteration for all of them,
        :meth:`~dynapai_sym.numeric.NumericGame.players_gradient_batch`).
    x : ndarray (N,)
        The profile; the other players' actions stay fixed.
    starts : ndarray (B, T, k)
        Starting schedules (non-negative).
    upper : ndarray (T k,) or (B, T k)
        Upper bounds of the deviating player's actions (``inf`` where unbounded), per start if 2-D.
    iters : int
        Batched evaluations at most.
    min_step : float
        A start whose step (in log units) falls below this has converged and stops moving.

    Returns
    -------
    values : ndarray (B,)
        Payoff at each end point (``-inf`` where never finite).
    schedules : ndarray (B, T, k)
        The end points.
    """
    starts = np.asarray(starts, dtype=float)
    B, T, k = starts.shape
    up = np.broadcast_to(np.asarray(upper, dtype=float).reshape(-1, T, k), (B, T, k))
    slopes = (lambda xs: game.player_gradient_batch(i, xs, x)) if np.ndim(i) == 0 else \
        (lambda xs: game.players_gradient_batch(i, xs, x))
    floor = 1e-8 * max(float(np.max(starts)), float(np.max(x)), 1e-3)
    log_up = np.log(np.where(np.isfinite(up), up, 1e300))
    v = np.minimum(np.log(np.maximum(starts, floor)), log_up)
    log_floor = np.log(floor)

    def evaluate(v_):
        xs = np.minimum(np.exp(v_), up)
        vals, grads = slopes(xs)
        ok = np.isfinite(vals) & np.all(np.isfinite(grads), axis=(1, 2))
        vals = np.where(ok, vals, -np.inf)
        grads = np.where(ok[:, None, None], grads * xs, 0.0)  # gradient in log coordinates
        return vals, grads

    f, g = evaluate(v)
    step = np.full(B, 0.5)
    for _ in range(iters):
        active = step >= min_step
        if not active.any():
            break
        norm = np.max(np.abs(g), axis=(1, 2))
        direction = np.where((norm > 0)[:, None, None], g / np.where(norm > 0, norm, 1.0)[:, None, None], 0.0)
        trial = np.clip(v + (step * active)[:, None, None] * direction, log_floor, log_up)
        f_new, g_new = evaluate(trial)
        better = active & (f_new > f)
        v = np.where(better[:, None, None], trial, v)
        f = np.where(better, f_new, f)
        g = np.where(better[:, None, None], g_new, g)
        step = np.where(better, step * 1.5, np.where(active, step * 0.25, step))
        step = np.where(norm > 0, step, 0.0)  # flat: nothing to climb
    return f, np.minimum(np.exp(v), up)

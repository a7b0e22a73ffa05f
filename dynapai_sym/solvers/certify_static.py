r"""Certification of many one-period profiles at once: :func:`~.certify.certify_steps`, vectorised.

:func:`~.certify.certify_steps` certifies one profile with a loop of small steps: the
conditions, each player's Hessian, and each player's probe (a large batch of candidate
deviations, then checks and local maximisations of the promising ones). In a one-period game,
the probe of a profile that *is* an equilibrium usually ends without any local maximisation:
every far candidate is far below the equilibrium payoff, or lies on the profile's own hill. This
module computes exactly those steps for many points and all players at once, with array
operations and a few compiled calls (candidates of all players of all points evaluated
together):

1. the KKT residual, the second-order check (eigenvalues of each player's Hessian on its free
   variables, stacked by pattern of free variables), the indeterminate variables;
2. for each player, the probe's candidates (:func:`~.candidates.deviation_candidates_batch`,
   copies of the other players, coordinate steps) and their payoffs;
3. the probe's decisions: which far candidates are within the polishing margin, the best far
   imitation, the check that those lie on the profile's own hill (payoff rising along the
   segment home, one more batched call), the one-sided coordinate steps.

A point whose probe would polish a candidate (or re-enter for a player who has given up,
extrapolate a singular limit, or probe an input just above its bound on that input's own scale)
is *left* to :func:`~.certify.certify_steps`: the result for it is ``None``. For every other
point the certificate is the one :func:`~.certify.certify_steps` returns (the same candidates,
from the same random numbers, the same decisions), computed in a fraction of the time.
"""

from __future__ import annotations

import numpy as np

from .candidates import SCALE_FLOOR, coordinate_steps, deviation_candidates_batch, random_draws, tiny_pushed
from .certificate import (
    EIGEN_TOL,
    FAR,
    GIVEN_UP,
    HESSIAN_FINITE,
    INDETERMINATE_SLOPE,
    MARGIN_FLOOR,
    NEAR_BOUND,
    POLISH_MARGIN,
    SCALE_OFFSET,
    SYMMETRY_ATOL,
    SYMMETRY_RTOL,
    UNDEFINED_DROP_LOSS,
    UPHILL_POINTS,
    Certificate,
    Deviation,
)

__all__ = ["certify_static", "probe_draws", "second_order", "strictly_active", "CHUNK_COLUMNS"]

#: payoff evaluations per compiled call (points are processed in chunks of about this many
#: candidate columns, which bounds the memory of the compiled call's temporaries)
CHUNK_COLUMNS = 65536


def probe_draws(rng: np.random.Generator, n: int, k: int, n_random: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The random numbers each player's probe draws from ``rng``, in :func:`~.certify.certify_steps`'
    order (player 0's, then player 1's, ...): per player, :func:`~.candidates.random_draws`."""
    return [random_draws(rng, n_random, 1, k) for _ in range(n)]


def certify_static(batch, X: np.ndarray, idx, options, draws, conditions=None) -> list[Certificate | None]:
    r"""Certificates of the one-period profiles ``X[b]`` (points ``idx[b]`` of ``batch``).

    Parameters
    ----------
    batch : StaticBatch
        The games, evaluated together (one period, one structure).
    X : ndarray (B, N)
        Profiles.
    idx : sequence of int (B,)
        The point of ``batch`` each profile belongs to.
    options : SolverOptions
    draws : list of (normal, uniform)
        The probe's random numbers, per player (:func:`probe_draws`); the same for every point,
        as :func:`~.certify.certify_steps` draws them from a generator seeded alike.
    conditions : tuple (G, JG, U), optional
        :math:`G` (B, N), :math:`\partial G/\partial x` (B, N, N) and the payoffs (B, n) at ``X``,
        if already evaluated.

    Returns
    -------
    list of Certificate or None
        For each b, :func:`~.certify.certify_steps`' certificate of ``X[b]`` with the global probe,
        or None where that probe would go on to local maximisations (the caller runs
        :func:`~.certify.certify_steps` there).
    """
    X = np.asarray(X, dtype=float)
    idx = np.asarray(idx, dtype=int)
    B = X.shape[0]
    if conditions is None:
        with np.errstate(all="ignore"):
            G, JG = batch.kkt_jacobian(X, idx)
            U = batch.payoffs(X, idx)
    else:
        G, JG, U = conditions
    n, k = batch.n, batch.k
    C = _candidate_count(draws, k, n)
    step = max(1, CHUNK_COLUMNS // max(1, C))
    out: list = []
    for lo in range(0, B, step):
        sl = slice(lo, min(B, lo + step))
        out += _certify_chunk(batch, X[sl], idx[sl], options, draws, G[sl], JG[sl], U[sl])
    return out


def _candidate_count(draws, k: int, n: int) -> int:
    """Columns per point of the probe's first evaluation (all players): an estimate for chunking."""
    normal, uniform = draws[0]
    return n * (len(normal) + len(uniform) + 64 + 2 * k + n)


def _certify_chunk(batch, X, idx, options, draws, G, JG, U) -> list[Certificate | None]:
    n, k = batch.n, batch.k
    B = X.shape[0]
    lower, upper = batch.lower, batch.upper
    with np.errstate(all="ignore"):
        residual = batch.kkt_residual(X, G)
        finite_u = np.all(np.isfinite(U), axis=1)
        residual = np.where(finite_u, residual, np.nan)
        kkt_ok = finite_u & np.isfinite(residual) & (residual <= options.kkt_tol)
        # a payoff still rising towards a floor just above 0: certify_steps extrapolates its limit
        floors = batch.singular_corners(X, G) & (X > lower) & ~(G > 0)
    # inputs just above their bound, pushed towards it: certify_steps probes them on their own scale
    hard = floors.any(axis=1) | tiny_pushed(X, G, lower).any(axis=1)
    max_eigs, so_ok = second_order(X, G, JG, kkt_ok, n, k, lower, upper, options)
    indeterminate = _indeterminate(G, JG, n, k, options)

    Xp = X.reshape(B, n, k)
    strict_local = kkt_ok & so_ok
    effort_scale = np.maximum(np.max(Xp[..., :2], axis=(1, 2)), SCALE_FLOOR)
    gains = np.zeros((B, n))
    best_cands = np.zeros((B, n, 1, k))
    pending: list = []  # uphill checks: (points, players, candidates, values)
    for i in range(n):
        own_idx = np.arange(i * k, (i + 1) * k)
        own = Xp[:, i][:, None, :]  # (B, T=1, k)
        up = upper[own_idx]
        others = np.clip(Xp[:, [j for j in range(n) if j != i]], 0.0, up)[:, :, None, :]  # (B, n-1, 1, k)
        normal, uniform = draws[i]
        cands = np.concatenate([deviation_candidates_batch(own, up, k, normal, uniform), others], axis=1)
        local = coordinate_steps(own, up)  # (B, 2k, 1, k)
        both = _player_values(batch, X, idx, i, np.concatenate([cands, local], axis=1), own_idx)
        both = np.where(np.isfinite(both), both, -np.inf)
        nc = cands.shape[1]
        vals, lvals = both[:, :nc], both[:, nc:]
        Ui = U[:, i]
        target = Ui + options.gain_tol * (1.0 + np.abs(Ui))
        col_scale = SCALE_OFFSET + np.max(np.abs(own), axis=1)  # (B, k)
        far = _last_axes_max(np.abs(cands - own[:, None]) / col_scale[:, None, None, :]) > FAR
        j_best = np.argmax(vals, axis=1)
        rows = np.arange(B)
        gains[:, i] = vals[rows, j_best] - Ui
        best_cands[:, i] = cands[rows, j_best]
        # the probe's polishing: the most promising far candidates within the margin below U
        drop = np.where(np.isfinite(vals[:, 0]), vals[:, 0], Ui - UNDEFINED_DROP_LOSS)
        margin = POLISH_MARGIN * np.maximum(np.maximum(np.abs(Ui), np.abs(Ui - drop)), MARGIN_FLOOR)
        order = np.argsort(-np.where(far, vals, -np.inf), axis=1)[:, :options.probe_polish]
        home = strict_local & (max_eigs[:, i] < 0)
        for rank in range(order.shape[1]):
            j = order[:, rank]
            v = vals[rows, j]
            near = np.isfinite(v) & (v >= Ui - margin)
            hard |= near & ~home  # polished
            check = np.flatnonzero(near & home & ~hard)  # polished unless the payoff rises all the way home
            pending.append((check, np.full(check.size, i), cands[check, j[check]], v[check]))
        # the best far copy of another player, polished unless already among those above
        imit = np.arange(nc - (n - 1), nc)
        ok_imit = far[:, imit] & np.isfinite(vals[:, imit])
        j_imit = imit[np.argmax(np.where(ok_imit, vals[:, imit], -np.inf), axis=1)]
        polish_imit = ok_imit.any(axis=1) & ~np.any(order == j_imit[:, None], axis=1)
        hard |= polish_imit & ~home
        check = np.flatnonzero(polish_imit & home & ~hard)  # unless it lies on the profile's hill
        pending.append((check, np.full(check.size, i), cands[check, j_imit[check]], vals[check, j_imit[check]]))
        # a player who has given up: re-entry searches; a one-sided step that gains: polished
        hard |= np.max(own[..., :2], axis=(1, 2)) <= GIVEN_UP * effort_scale
        hard |= np.max(lvals, axis=1) > target
    pending = tuple(np.concatenate(parts) for parts in zip(*pending))
    if pending[0].size:
        hard |= _not_uphill(batch, X, idx, U, pending)

    symmetric_games = batch.symmetric[idx]
    # np.allclose(X_b, X_b[:, :1]) for every point: every player plays player 1's actions
    same = np.all(np.abs(Xp - Xp[:, :1]) <= SYMMETRY_ATOL + SYMMETRY_RTOL * np.abs(Xp[:, :1]), axis=(1, 2))
    out: list = []
    for b in range(B):
        if hard[b]:
            out.append(None)
            continue
        deviations = [Deviation(i, best_cands[b, i].copy(), float(gains[b, i])) for i in range(n)
                      if gains[b, i] > options.gain_tol * (1.0 + abs(U[b, i]))]
        symmetric = bool(same[b]) if symmetric_games[b] else None
        out.append(Certificate(float(residual[b]), bool(kkt_ok[b]), bool(so_ok[b]), max_eigs[b].copy(),
                               gains[b].copy(), deviations, symmetric,
                               None if indeterminate[b] is None else indeterminate[b], True, ()))
    return out


def _last_axes_max(a: np.ndarray) -> np.ndarray:
    """``np.max(a, axis=(2, 3))`` of a (B, C, T, k) array: a running maximum over the few trailing
    entries, which numpy computes much faster than a reduction over small trailing axes."""
    flat = a.reshape(*a.shape[:2], -1)
    out = flat[..., 0].copy()
    for j in range(1, flat.shape[-1]):
        np.maximum(out, flat[..., j], out=out)
    return out


def _player_values(batch, X: np.ndarray, idx: np.ndarray, i: int, schedules: np.ndarray,
                   own_idx: np.ndarray) -> np.ndarray:
    """Player i's payoffs when it plays ``schedules[b, c]`` (B, C, 1, k) against ``X[b]``: (B, C)."""
    B, C = schedules.shape[:2]
    Z = np.repeat(X, C, axis=0)  # (B C, m)
    Z[:, own_idx] = schedules.reshape(B * C, -1)
    batch.count(idx, C)
    values = batch.player_payoffs(np.full(B * C, i), Z.T, np.repeat(idx, C))
    return values.reshape(B, C)


def _not_uphill(batch, X, idx, U, pending) -> np.ndarray:
    """Points with a candidate whose payoff does not rise strictly along the segment back to the
    profile (checked at the quarter points, as :func:`~.certify._uphill_to_home`): those are
    polished. ``pending``: (points b, players i, candidates (1, k), candidate values), arrays."""
    rows, players, cands, cand_vals = pending
    steps = np.array(UPHILL_POINTS)
    n, k = batch.n, batch.k
    S = len(steps)
    own = X.reshape(X.shape[0], n, k)[rows, players]  # (R, k)
    path = cands[:, 0][:, None] + steps[None, :, None] * (own - cands[:, 0])[:, None]  # (R, S, k)
    Z = np.repeat(X[rows], S, axis=0)  # (R S, m)
    cols = (players[:, None] * k + np.arange(k)[None]).repeat(S, axis=0)  # (R S, k)
    np.put_along_axis(Z, cols, path.reshape(-1, k), axis=1)
    batch.count(idx[rows], S)
    values = batch.player_payoffs(np.repeat(players, S), Z.T, np.repeat(idx[rows], S)).reshape(-1, S)
    seq = np.concatenate([cand_vals[:, None], values, U[rows, players][:, None]], axis=1)
    rising = np.all(np.isfinite(seq), axis=1) & np.all(np.diff(seq, axis=1) > 0, axis=1)
    fails = np.zeros(X.shape[0], dtype=bool)
    fails[rows[~rising]] = True
    return fails


def strictly_active(x: np.ndarray, g: np.ndarray, lower: np.ndarray, upper: np.ndarray, tol: float) -> np.ndarray:
    r"""Variables held at a bound by a condition that strictly pushes into it: :math:`x_j` within
    :data:`~.certificate.NEAR_BOUND` (relative to :math:`1 + |x_j|`) of its lower bound with
    :math:`G_j < -` ``tol``, or of its upper bound with :math:`G_j >` ``tol``.

    Second-order conditions apply on the critical cone, which leaves such variables out: moving
    one off its bound loses at first order. A Newton iterate lands them within rounding of the
    bound (say 1e-31 instead of 0), where the payoff is flat in some of them (an investment in the
    last period): counting them as free would test curvature along directions that are not
    feasible improvements."""
    near = NEAR_BOUND * (1.0 + np.abs(x))
    return ((x <= lower + near) & (g < -tol)) | ((x >= upper - near) & (g > tol))


def second_order(X, G, JG, kkt_ok, n: int, k: int, lower, upper, options) -> tuple[np.ndarray, np.ndarray]:
    r"""Each player's largest eigenvalue of its Hessian on its free variables, and whether all are
    below the tolerance (as :func:`~.certify.certify_steps`), for one-period profiles ``X`` (B, n k)
    with conditions ``G`` (B, n k) and their Jacobians ``JG`` (B, n k, n k): (B, n), (B,).

    Player i's Hessian is the symmetric part of its diagonal block of ``JG``; its free variables
    are those neither strictly held at a bound nor at a singular lower bound (second derivatives
    not finite there). A player without free variables keeps :math:`-\infty`; a Hessian that is
    not finite on its free variables gives :math:`+\infty` (not a local maximum)."""
    B = X.shape[0]
    max_eigs = np.full((B, n), -np.inf)
    so_ok = np.ones(B, dtype=bool)
    rows = np.flatnonzero(kkt_ok)
    if not rows.size:
        return max_eigs, so_ok
    R = rows.size
    players = np.arange(n)
    xi, gi = X[rows].reshape(R, n, k), G[rows].reshape(R, n, k)
    low, up = lower.reshape(n, k), upper.reshape(n, k)
    at_bound = strictly_active(xi, gi, low, up, options.kkt_tol)
    Hi = JG[rows].reshape(R, n, k, n, k)[:, players, :, players, :].transpose(1, 0, 2, 3)  # (R, n, k, k)
    with np.errstate(all="ignore"):
        H = 0.5 * (Hi + np.swapaxes(Hi, -1, -2))
        finite = np.all(np.isfinite(H) & (np.abs(H) < HESSIAN_FINITE), axis=-1)  # (R, n, k)
    singular = (xi <= low + NEAR_BOUND) & ~finite
    free = (~(at_bound | singular)).reshape(R * n, k)
    H = H.reshape(R * n, k, k)
    if (free == free[:1]).all():  # one pattern of free variables (the usual case): no sorting
        patterns, which = free[:1], np.zeros(R * n, dtype=int)
    else:
        patterns, which = np.unique(free, axis=0, return_inverse=True)
    eigs = np.full(R * n, -np.inf)
    failed = np.zeros(R * n, dtype=bool)
    for q, pattern in enumerate(patterns):
        if not pattern.any():
            continue
        sel = np.flatnonzero(which.reshape(-1) == q)
        Hf = H[sel][:, pattern][:, :, pattern]
        good = np.all(np.isfinite(Hf), axis=(1, 2))
        eigs[sel[~good]] = np.inf
        failed[sel[~good]] = True
        if good.any():
            Hg = Hf[good]
            eig = np.max(np.linalg.eigvalsh(Hg), axis=1)
            scale = np.maximum(1.0, np.max(np.abs(Hg), axis=(1, 2)))
            eigs[sel[good]] = eig
            failed[sel[good]] = eig > EIGEN_TOL * scale
    max_eigs[rows] = eigs.reshape(R, n)
    so_ok[rows] = ~failed.reshape(R, n).any(axis=1)
    return max_eigs, so_ok


def _indeterminate(G, JG, n: int, k: int, options) -> list:
    """Variables with no first-order effect on any condition and a condition of about 0, per point:
    (1, n, k) bool, or None where the Jacobian is not finite."""
    with np.errstate(invalid="ignore"):
        finite = np.all(np.isfinite(JG), axis=(1, 2))
        col_norm = np.max(np.abs(JG), axis=1)  # (B, N)
        flags = (col_norm <= INDETERMINATE_SLOPE) & (np.abs(G) <= options.kkt_tol)
    return [flags[b].reshape(1, n, k) if finite[b] else None for b in range(G.shape[0])]

r"""Batched KKT root-finding: the semismooth Newton of :mod:`.kkt` on many static games at once.

For P static games of one structure (:class:`~dynapai_sym.numeric.StaticBatch`), each with
its own parameter set :math:`\theta_p` and start :math:`x_p^0`, every point runs the iteration
of :func:`~dynapai_sym.solvers.kkt.solve_kkt`:

.. math::

    \phi_p(x) = \Phi_{FB}\big(x, -G(x; \theta_p)\big), \qquad
    \partial\phi_p = D_x - D_F\, \partial G, \qquad
    \partial\phi_p\, d_p = -\phi_p,

with the projected backtracking line search :math:`x^+ = \Pi_{[l,u]}(x + \alpha d)`,
:math:`\alpha = 1, \tfrac12, \ldots` (at most 40 halvings), accepted when the merit
:math:`M = \tfrac12\|\phi\|^2` satisfies :math:`M^+ \le (1 - 10^{-4}\alpha) M` or
:math:`M^+ < 10^{-30}`; stop when the natural residual
:math:`\|x - \Pi_{[l,u]}(x + G)\|_\infty \le` ``tol``, then :func:`~dynapai_sym.solvers.kkt._snap`
(here batched). The compiled conditions are evaluated for all active points in one call
and the Newton systems solved as one ``(B, N, N)`` stack; a converged point leaves the
active set.

Only the semismooth Newton direction is batched. A point that would need anything else
is *handed over* (``handed_over`` true, ``converged`` false), to be solved by the per-point
path: singular corners at the start (a player sitting out, which :func:`solve_kkt` pins),
conditions not finite at the start, an unusable Newton direction or a failed line search
(where :func:`solve_kkt` would try Levenberg–Marquardt), a stall (no 0.1 % progress in 25
steps) or the iteration cap. So every point that converges here follows :func:`solve_kkt`'s
iterates from the same start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .certify import Certificate, certify, certify_steps
from .certify_static import certify_static, probe_draws
from .kkt import drift_scale, drifting, mcp_residual
from .nash import EXIT_FRACTION, Outcome, gave_up
from .result import Status

__all__ = ["BatchRun", "certified_outcome", "certified_outcomes", "certify_batch", "predict_equilibria",
           "solve_kkt_batch"]


@dataclass
class BatchRun:
    """Outcome of :func:`solve_kkt_batch`, one entry per point.

    Attributes
    ----------
    x : ndarray (P, N)
        Last iterate of each point.
    residual : ndarray (P,)
        Its natural residual (``inf`` where never evaluated).
    iterations : ndarray of int (P,)
        Newton steps taken.
    converged : ndarray of bool (P,)
        Residual within ``tol`` (after the snap).
    handed_over : ndarray of bool (P,)
        Not converged here; the per-point solver should take it (see module docstring).
    """

    x: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    handed_over: np.ndarray


def _state(batch, X: np.ndarray, idx: np.ndarray):
    """``(G, JG, phi, dx, dF, ok)`` of the points ``idx`` at ``X``; ``ok`` false where not finite."""
    with np.errstate(all="ignore"):
        G, JG = batch.kkt_jacobian(X, idx)
        ok = np.isfinite(G).all(axis=1) & np.isfinite(JG).all(axis=(1, 2))
        B, N = X.shape
        boxed = np.isfinite(batch.upper)
        if not boxed.any():  # lower bounds only: the rows broadcast against the bounds as they are
            phi, dx, dF = mcp_residual(X, -G, batch.lower, batch.upper, np.zeros(1, dtype=bool))
            return G, JG, phi, dx, dF, ok
        lower = np.broadcast_to(batch.lower, (B, N)).ravel()
        upper = np.broadcast_to(batch.upper, (B, N)).ravel()
        phi, dx, dF = mcp_residual(X.ravel(), -G.ravel(), lower, upper, np.broadcast_to(boxed, (B, N)).ravel())
    return G, JG, phi.reshape(B, N), dx.reshape(B, N), dF.reshape(B, N), ok


def _state_if_descent(batch, X: np.ndarray, idx: np.ndarray, merit: np.ndarray, alpha: np.ndarray):
    """:func:`_state` of trial points, the Jacobian evaluated only where the conditions pass the
    merit test of the line search (elsewhere ``ok`` is false: the trial is refused either way)."""
    B, N = X.shape
    with np.errstate(all="ignore"):
        G = batch.kkt_function(X, idx)
        boxed = np.isfinite(batch.upper)
        if not boxed.any():
            phi, _, _ = mcp_residual(X, -G, batch.lower, batch.upper, np.zeros(1, dtype=bool))
        else:
            phi, _, _ = mcp_residual(X.ravel(), -G.ravel(), np.broadcast_to(batch.lower, (B, N)).ravel(),
                                     np.broadcast_to(batch.upper, (B, N)).ravel(),
                                     np.broadcast_to(boxed, (B, N)).ravel())
        tmerit = _merit(np.asarray(phi).reshape(B, N))
        descent = np.isfinite(G).all(axis=1) & ((tmerit <= merit * (1.0 - 1e-4 * alpha)) | (tmerit < 1e-30))
    JG = np.full((B, N, N), np.nan)
    phi = np.asarray(phi, dtype=float).reshape(B, N).copy()
    dx, dF = np.zeros((B, N)), np.zeros((B, N))
    ok = np.zeros(B, dtype=bool)
    rows = np.flatnonzero(descent)
    if rows.size:
        G[rows], JG[rows], phi[rows], dx[rows], dF[rows], ok[rows] = _state(batch, X[rows], idx[rows])
    return G, JG, phi, dx, dF, ok


def _merit(phi: np.ndarray) -> np.ndarray:
    return 0.5 * np.einsum("ij,ij->i", phi, phi)


def _newton(Jphi: np.ndarray, phi: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Semismooth Newton directions :math:`\\partial\\phi\\, d = -\\phi` of a stack, and which are usable."""
    B = len(phi)
    with np.errstate(all="ignore"):
        try:
            d = np.linalg.solve(Jphi, -phi[..., None])[..., 0]
        except np.linalg.LinAlgError:  # some matrix singular: solve one by one
            d = np.full_like(phi, np.nan)
            for b in range(B):
                try:
                    d[b] = np.linalg.solve(Jphi[b], -phi[b])
                except np.linalg.LinAlgError:
                    pass
        usable = np.all(np.isfinite(d), axis=1) & (
            np.linalg.norm(d, axis=1) < 1e8 * (1 + np.linalg.norm(X, axis=1)))
    return d, usable


def _snap_batch(batch, X: np.ndarray, G: np.ndarray, res: np.ndarray, idx: np.ndarray,
                tol: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~dynapai_sym.solvers.kkt._snap` for each row: variables within rounding of an
    active bound put exactly on it, kept where the residual stays within ``max(tol, res)``."""
    lower, upper = batch.lower, batch.upper
    # variables already on their bound do not move: a row with none to move is left as it is
    near_low = (X - lower <= 1e-9 * (1 + np.abs(X))) & (G < 0) & (X != lower)
    near_up = (upper - X <= 1e-9 * (1 + np.abs(X))) & (G > 0) & (X != upper)
    rows = np.flatnonzero(near_low.any(axis=1) | near_up.any(axis=1))
    if not rows.size:
        return X, res
    X, res = X.copy(), res.copy()
    snapped = np.where(near_low[rows], lower, np.where(near_up[rows], upper, X[rows]))
    with np.errstate(all="ignore"):
        G2 = batch.kkt_function(snapped, idx[rows])
        res2 = batch.kkt_residual(snapped, G2)
    keep = np.isfinite(res2) & (res2 <= np.maximum(tol, res[rows]))
    X[rows[keep]] = snapped[keep]
    res[rows[keep]] = res2[keep]
    return X, res


def solve_kkt_batch(batch, X0: np.ndarray, tol: float = 1e-12, max_iter: int = 50,
                    conditions_first: bool = False, max_step: float | None = None) -> BatchRun:
    r"""Solve the KKT systems of all points of ``batch`` together (see module docstring).

    Parameters
    ----------
    batch : StaticBatch
        P static games of one structure.
    X0 : ndarray (P, N)
        One start per point (projected onto the bounds).
    tol : float
        Stop a point when its natural residual :math:`\|x - \Pi(x + G)\|_\infty \le` ``tol``.
    max_iter : int
        Newton steps per point at most; a point still running then is handed over.
    conditions_first : bool
        Test each trial point of the line search on the conditions alone
        (``batch.kkt_function``) and evaluate the Jacobian only where the merit test passes (a
        trial whose Jacobian is not finite there is refused, as it would be otherwise). The
        iterates are the same; for batches whose Jacobian costs several times their conditions.
    max_step : float, optional
        Cap on the line search's first trial: no entry moves by more than ``max_step`` times the
        point's scale (its largest entry, at least 1), :math:`\alpha_0 = \min(1,
        \text{max\_step}\cdot\text{scale} / \|d\|_\infty)`. For batches whose conditions are
        dear far away (each trial re-solves later subgames at the states it leads to); default
        none (full Newton steps first, as :func:`~.kkt.solve_kkt`).

    Returns
    -------
    BatchRun
    """
    lower, upper = batch.lower, batch.upper
    P = batch.P
    X = np.clip(np.array(X0, dtype=float).reshape(P, batch.N), lower, upper)
    scale = drift_scale(X)
    residual = np.full(P, np.inf)
    iterations = np.zeros(P, dtype=int)
    converged = np.zeros(P, dtype=bool)
    handed = np.zeros(P, dtype=bool)
    active = np.arange(P)
    G, JG, phi, dx, dF, ok = _state(batch, X, active)
    with np.errstate(all="ignore"):
        corners = batch.singular_corners(X, G, JG).any(axis=1)
        if corners.any():  # solve_kkt pins these only where the payoffs are defined; either way, not here
            handed |= corners
    handed |= ~ok
    keep = ~handed
    active, G, JG, phi, dx, dF = active[keep], G[keep], JG[keep], phi[keep], dx[keep], dF[keep]
    best_res = np.full(P, np.inf)
    stall = np.zeros(P, dtype=int)
    for it in range(1, max_iter + 1):
        if not active.size:
            break
        Xa = X[active]
        res = batch.kkt_residual(Xa, G)
        done = res <= tol
        if done.any():
            rows = active[done]
            Xs, rs = _snap_batch(batch, Xa[done], G[done], res[done], rows, tol)
            X[rows], residual[rows], iterations[rows], converged[rows] = Xs, rs, it - 1, True
        better = res < best_res[active] * 0.999
        best_res[active] = np.where(better, res, best_res[active])
        stall[active] = np.where(better, 0, stall[active] + 1)
        stalled = ~done & (stall[active] > 25)
        residual[active[~done]] = res[~done]
        iterations[active[stalled]] = it - 1
        handed[active[stalled]] = True
        keep = ~(done | stalled)
        active, Xa, G, JG, phi, dx, dF = (active[keep], Xa[keep], G[keep], JG[keep], phi[keep], dx[keep],
                                          dF[keep])
        if not active.size:
            break
        merit = _merit(phi)
        Jphi = dx[:, :, None] * np.eye(batch.N) - dF[:, :, None] * JG
        d, usable = _newton(Jphi, phi, Xa)
        iterations[active] = it
        # line search, each point with its own step length
        accepted = np.zeros(len(active), dtype=bool)
        alpha = np.ones(len(active))
        if max_step is not None:
            with np.errstate(all="ignore"):
                reach = max_step * drift_scale(Xa) / np.max(np.abs(d), axis=1)
            alpha = np.where(np.isfinite(reach), np.minimum(alpha, reach), alpha)
        new = [None] * 6
        new[0], new[1], new[2] = G.copy(), JG.copy(), phi.copy()
        new[3], new[4] = dx.copy(), dF.copy()
        Xnew = Xa.copy()
        pending = np.flatnonzero(usable)
        for _ in range(40):
            if not pending.size:
                break
            trial = np.minimum(np.maximum(Xa[pending] + alpha[pending, None] * d[pending], lower), upper)
            if conditions_first:
                tG, tJ, tphi, tdx, tdF, tok = _state_if_descent(batch, trial, active[pending], merit[pending],
                                                                alpha[pending])
            else:
                tG, tJ, tphi, tdx, tdF, tok = _state(batch, trial, active[pending])
            tmerit = _merit(tphi)
            with np.errstate(invalid="ignore"):
                good = tok & ((tmerit <= merit[pending] * (1.0 - 1e-4 * alpha[pending])) | (tmerit < 1e-30))
            rows = pending[good]
            Xnew[rows] = trial[good]
            new[0][rows], new[1][rows], new[2][rows] = tG[good], tJ[good], tphi[good]
            new[3][rows], new[4][rows] = tdx[good], tdF[good]
            accepted[rows] = True
            pending = pending[~good]
            alpha[pending] *= 0.5
        failed = ~accepted  # an unusable direction or a failed line search: Levenberg-Marquardt's job
        handed[active[failed]] = True
        keep = accepted
        X[active[keep]] = Xnew[keep]
        # drifting (as solve_kkt watches for): handed over, where the penalized run takes it
        drift = keep & drifting(Xnew, scale[active])
        handed[active[drift]] = True
        keep &= ~drift
        active = active[keep]
        G, JG, phi, dx, dF = new[0][keep], new[1][keep], new[2][keep], new[3][keep], new[4][keep]
    if active.size:  # the cap: the per-point solver takes over
        residual[active] = batch.kkt_residual(X[active], G)
        converged_now = residual[active] <= tol
        if converged_now.any():
            rows = active[converged_now]
            Xs, rs = _snap_batch(batch, X[rows], G[converged_now], residual[rows], rows, tol)
            X[rows], residual[rows], converged[rows] = Xs, rs, True
        handed[active[~converged_now]] = True
    return BatchRun(X, residual, iterations, converged, handed & ~converged)


def predict_equilibria(batch, X_old: np.ndarray, old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r""":func:`~dynapai_sym.solvers.sensitivity.predict_equilibrium` for many pairs of points at once.

    Row b moves the equilibrium ``X_old[b]`` of point ``old[b]`` to a start for point ``new[b]``:

    .. math::

        x_{pred} = x^* - \big[\partial_{x_F} G_F(x^*, \theta_{old})\big]^{-1} \Delta G_F, \qquad
        \Delta G = G(x^*, \theta_{new}) - G(x^*, \theta_{old}),

    with F the free variables at :math:`x^*` (active bounds stay put), a variable pushed across
    a bound moved halfway to it instead, then projected on the bounds. The linear systems of
    rows sharing a free set are solved as one stack.

    Parameters
    ----------
    batch : StaticBatch
    X_old : ndarray (B, N)
        Certified equilibria of the points ``old``.
    old, new : ndarray of int (B,)
        Points of ``batch``.

    Returns
    -------
    X_pred : ndarray (B, N)
    ok : ndarray of bool (B,)
        False where the prediction is not usable (singular Jacobian, non-finite values), where
        :func:`predict_equilibrium` returns None.
    """
    X_old = np.asarray(X_old, dtype=float)
    B, N = X_old.shape
    lower, upper = batch.lower, batch.upper
    tol = 1e-8
    with np.errstate(all="ignore"):
        G, J = batch.kkt_jacobian(X_old, old)
        dG = batch.kkt_function(X_old, new) - G
        ok = np.all(np.isfinite(J), axis=(1, 2)) & np.all(np.isfinite(dG), axis=1)
        active = ((X_old <= lower + tol) & (G < -tol)) | ((X_old >= upper - tol) & (G > tol))
        free = ~active
        dx = np.zeros_like(X_old)
        patterns, which = np.unique(free, axis=0, return_inverse=True)
        which = np.asarray(which).reshape(-1)
        for q, pattern in enumerate(patterns):
            rows = np.flatnonzero((which == q) & ok)
            if not rows.size or not pattern.any():
                continue
            A = J[rows][:, pattern][:, :, pattern]
            rhs = dG[rows][:, pattern]
            try:
                sol = -np.linalg.solve(A, rhs[..., None])[..., 0]
            except np.linalg.LinAlgError:  # some matrix singular: one by one
                sol = np.full_like(rhs, np.nan)
                for j in range(len(rows)):
                    try:
                        sol[j] = -np.linalg.solve(A[j], rhs[j])
                    except np.linalg.LinAlgError:
                        ok[rows[j]] = False
            sub = dx[rows]
            sub[:, pattern] = sol
            dx[rows] = sub
        ok &= np.all(np.isfinite(dx), axis=1)
        X_new = X_old + dx
    below, above = X_new < lower, X_new > upper
    X_new = np.where(below, 0.5 * (X_old + lower), X_new)
    X_new = np.where(above, 0.5 * (X_old + upper), X_new)
    return np.clip(X_new, lower, upper), ok


def certify_batch(batch, X: np.ndarray, idx, options) -> list[Certificate]:
    r""":func:`~dynapai_sym.solvers.certify.certify` of profile ``X[b]`` of point ``idx[b]``, for all b.

    The same certificate as ``certify(batch.games[idx[b]], X[b], options)`` (with the generator
    seeded by ``options.seed``, as :func:`~dynapai_sym.solvers.nash.solve_game` passes it).
    First all points at once, vectorised
    (:func:`~dynapai_sym.solvers.certify_static.certify_static`); the points whose probe goes on
    to local maximisations then run :func:`~dynapai_sym.solvers.certify.certify_steps`, each its
    own steps in its own order, sharing the evaluations common to all: in rounds (one per
    player), each point's large batch of candidate deviations, answered for every point in one
    compiled call (:meth:`~dynapai_sym.numeric.StaticBatch.player_payoffs`), value for value what
    ``player_objective`` returns.
    """
    X = np.asarray(X, dtype=float)
    idx = np.asarray(idx, dtype=int)
    with np.errstate(all="ignore"):
        G, JG = batch.kkt_jacobian(X, idx)
        U = batch.payoffs(X, idx)
    draws = probe_draws(np.random.default_rng(options.seed), batch.n, batch.k, options.probe_samples)
    out = certify_static(batch, X, idx, options, draws, (G, JG, U))
    rest = [b for b, cert in enumerate(out) if cert is None]
    if rest:
        for b, cert in zip(rest, _certify_by_steps(batch, X[rest], idx[rest], options,
                                                   (G[rest], JG[rest], U[rest]))):
            out[b] = cert
    return out


def _certify_by_steps(batch, X: np.ndarray, idx: np.ndarray, options, conditions) -> list[Certificate]:
    """:func:`~dynapai_sym.solvers.certify.certify_steps` of each point, its payoff requests
    answered for all points together, round by round."""
    games = [batch.games[p] for p in idx]
    G, JG, U = conditions
    steps = [certify_steps(game, X[b], options, None, True, (G[b], JG[b], U[b])) for b, game in enumerate(games)]
    out: list = [None] * len(games)
    requests: dict[int, tuple] = {}

    def advance(b, value=None, first=False):
        try:
            requests[b] = next(steps[b]) if first else steps[b].send(value)
        except StopIteration as stop:
            out[b] = stop.value
            requests.pop(b, None)

    for b in range(len(games)):
        advance(b, first=True)
    while requests:
        order = list(requests)
        blocks, players, points, sizes = [], [], [], []
        for b in order:
            i, schedules = requests[b]
            Z = games[b].layout.against(i, schedules, X[b])[0]  # (m, B_b)
            blocks.append(Z)
            players.append(np.full(Z.shape[1], i))
            points.append(np.full(Z.shape[1], idx[b]))
            sizes.append(Z.shape[1])
            batch.count([idx[b]], Z.shape[1])
        values = batch.player_payoffs(np.concatenate(players), np.concatenate(blocks, axis=1),
                                      np.concatenate(points))
        for b, part in zip(order, np.split(values, np.cumsum(sizes)[:-1])):
            advance(b, part)
    return out


def certified_outcomes(batch, X: np.ndarray, idx, iterations, options) -> list[Outcome | None]:
    """The outcome :func:`~dynapai_sym.solvers.nash.solve_game` reports when its first start
    converges to ``X[b]`` (point ``idx[b]`` of ``batch``), where that outcome is a certified
    success; None elsewhere (the point-by-point solver then decides).

    Exactly its rules: a point with players near an exit (:func:`~dynapai_sym.solvers.nash.gave_up`)
    is left to :func:`solve_game` (which re-solves at the exact exit first), and every other
    point must pass :func:`~dynapai_sym.solvers.certify.certify` (KKT residual, second order,
    global probe; here :func:`certify_batch`, the same certificates). Certification is most of
    a static sweep's time (about 0.5 ms a point, against microseconds for the batched Newton);
    sharing the probe's payoff evaluations across points saves about a tenth of it.
    """
    X = np.asarray(X, dtype=float)
    idx = np.asarray(idx, dtype=int)
    out: list = [None] * len(idx)
    keep = np.flatnonzero(~_gave_up_rows(X, batch.n, batch.k)).tolist()
    if not keep:
        return out
    certs = certify_batch(batch, X[keep], idx[keep], options)
    for b, cert in zip(keep, certs):
        if cert.passed:
            out[b] = _outcome(bool(batch.symmetric[idx[b]]), X[b], cert, iterations[b])
    return out


def _gave_up_rows(X: np.ndarray, n: int, k: int) -> np.ndarray:
    """Whether some player (nearly) gave up in each one-period profile ``X[b]`` (B, n k):
    :func:`~dynapai_sym.solvers.nash.gave_up` of every row at once, (B,) bool."""
    if k < 2:
        return np.zeros(X.shape[0], dtype=bool)
    inputs = X.reshape(X.shape[0], n, k)[..., :2]
    scale = EXIT_FRACTION * (1.0 + inputs.max(axis=(1, 2)))
    out = np.all(inputs <= scale[:, None, None], axis=-1) & np.any(inputs > 0, axis=-1)
    return out.any(axis=1)


def certified_outcome(game, x: np.ndarray, iterations: int, options, seconds: float = 0.0) -> Outcome | None:
    """:func:`certified_outcomes` of one point, certified by :func:`~dynapai_sym.solvers.certify.certify`."""
    if gave_up(game, x).any():
        return None
    cert = certify(game, x, options, np.random.default_rng(options.seed), check_global=True)
    return _outcome(game.symmetric, x, cert, iterations, seconds) if cert.passed else None


def _outcome(symmetric: bool, x: np.ndarray, cert: Certificate, iterations: int, seconds: float = 0.0) -> Outcome:
    """The certified outcome at ``x`` of a game (``symmetric``: whether permuting players leaves it unchanged)."""
    notes = []
    if symmetric and cert.symmetric is False:
        notes.append("the game is symmetric but this equilibrium is not")
    return Outcome(x, True, Status.CERTIFIED, cert.describe(), "kkt", int(iterations), cert.kkt_residual, cert,
                   seconds, notes)

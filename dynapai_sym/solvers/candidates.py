r"""Candidate deviations for the global best-response probe of :mod:`~dynapai_sym.solvers.certify`.

Each function builds schedules (arrays ``(B, T, k)`` or lists of ``(T, k)``) that one player
might switch to: drop-outs, giving up performance (the singular limit of
:math:`s = A x_s^\alpha p^{-\theta}`), scaled columns, per-period changes, random schedules,
copies of other players, postponed investments, small coordinate steps, and the starts of the
batched ascent. They only build candidates; evaluating and polishing them is the probe's job.
"""

from __future__ import annotations

import functools

import numpy as np

from ..layout import ActionLayout

# ---- shared with the probe in certify.py
SCALE_FLOOR = 1e-3  # smallest scale given to an action column (or to the inputs played): keeps
#                     relative moves and random spreads non-degenerate where a column is all zero
ZERO_FLOOR = 1e-300  # deepest positive stand-in for 0 (a few orders above the smallest normal
#   float): the polishes' lower bound and the deepest "zero" level; where x^alpha p^-theta is
#   singular the payoff is not finite at exactly 0, and a line search that hits it stops dead
RANDOM_REACH = 3.0  # random schedules are drawn up to RANDOM_REACH x the scale (+ 1) of the columns

# ---- stand-ins for zero
_TINY = 1e-10  # stands for 0 in inputs whose payoff is singular at exactly 0
_ZERO_LEVELS = (1e-12, 1e-100, 1e-250, ZERO_FLOOR)  # orders of "zero" performance for singular
#   limits, down to the floor the searches hold inputs at (kept as they are, not clipped to _TINY)
_GIVE_UP_XS_FLOOR = 1e-8  # x_s kept at least this when performance is given up (x_s scaled down)

# ---- scaled and per-period candidates
_SCALE_FACTORS = np.array([0.0, 0.01, 0.1, 0.3, 0.6, 0.9, 1.1, 1.5, 3.0, 10.0, 100.0])  # whole
#   schedule and each column scaled by these (0 to 100: near and far moves in one batch)
_ZERO_COLUMN_BASE = 0.1  # a column of zeros is scaled from this fraction of its scale
_PERIOD_FACTORS = (0.0, 0.3, 3.0)  # one period's effort dropped, cut or tripled (T > 1)
_RANDOM_LOG_SPREAD = 1.5  # std of log factors of the random multiples of the schedule

# ---- "give up performance" candidates: every x_p level of _ZERO_LEVELS with x_s scaled by each
# factor of _GIVE_UP_XS_FACTORS
_GIVE_UP_XS_FACTORS = (1.0, 1e-3, 0.0)
_GIVE_UP_XP = np.repeat(_ZERO_LEVELS, len(_GIVE_UP_XS_FACTORS))
_GIVE_UP_XS = np.tile(_GIVE_UP_XS_FACTORS, len(_ZERO_LEVELS))

# ---- "invest, then compete harder" candidates
_ENTRY_AMOUNTS = np.array([0.3, 3.0, 30.0])  # investments, x the input scale
#: the entries' investments (safety, performance), x the input scale: each amount in one column,
#: and every pair of amounts in both (a player re-entering may build safety and performance at once)
_ENTRY_INVESTMENTS = np.array([(a, 0.0) for a in _ENTRY_AMOUNTS] + [(0.0, a) for a in _ENTRY_AMOUNTS]
                              + [(a, b) for a in _ENTRY_AMOUNTS for b in _ENTRY_AMOUNTS])
_ENTRY_EFFORT = np.array([1.0, 1.5, 3.0, 10.0])  # factors of the later periods' inputs (1.5: a random game
#   whose certificate fell to investing and competing half as hard again)
_ENTRY_MIN_SIZE = 1.0  # the input scale of an entry is at least this
_ENTRY_LEVEL = 0.1  # later inputs raised to at least this x factor x the input scale (re-entry of
#                     a player who has given up at a competing level)
_SAT_OUT_XS = 1e-3  # x_s scaled by this in a period sat out (the middle give-up level of x_s)

# ---- starts of the batched ascent
_ASCENT_RANDOM_STARTS = 8  # random starts (half uniform, half log-normal around the schedule)
_ASCENT_FACTORS = np.array([0.01, 0.3, 3.0])  # the schedule scaled by these
_ASCENT_ZERO_START = 1e-3  # columns at zero start at this fraction of their scale
_ASCENT_REACH = 2.0  # uniform random starts up to _ASCENT_REACH x the scale (+ 1)
_ASCENT_LOG_SPREAD = 1.0  # std of log factors of the log-normal random starts

# ---- investment moves across kinks, and one-sided coordinate steps
_INVESTMENT_MOVE_FACTORS = (1.3, 0.7)  # each non-zero investment moved by +-30%
_INVESTMENT_MOVES_EXTRA = 8  # moves kept: 2 T (postponements, two per period) + this many
_INVESTMENT_NEGLIGIBLE = 1e-6  # a period's investments below this x the schedule's scale are not withdrawn
_COORDINATE_STEP = 1e-3  # relative step of the one-sided probes
_COORDINATE_STEP_FLOOR = 1e-2  # steps are relative to |x|, but at least to this
#: an input above its lower bound by less than the smallest coordinate step (so that the step down
#: lands on the bound itself) is probed by the multiplicative steps of :func:`log_steps`
TINY_INPUT = _COORDINATE_STEP * _COORDINATE_STEP_FLOOR
_LOG_STEP_FACTORS = np.array([0.1, 0.3, 0.5, 0.7, 0.85, 0.95, 1.05, 1.2, 2.0])  # of (x - lower)


def deviation_candidates(own: np.ndarray, upper: np.ndarray, k: int, rng: np.random.Generator,
                         n_random: int) -> np.ndarray:
    """Candidate deviation schedules (B, T, k) around and far from ``own`` (T, k).

    The first candidate is the complete drop-out (no effort in any period). The random ones
    draw ``n_random // 2`` log-normal multiples and then the rest uniform from ``rng``
    (:func:`random_draws`); :func:`deviation_candidates_batch` builds the same for many
    schedules at once.
    """
    normal, uniform = random_draws(rng, n_random, own.shape[0], k)
    return deviation_candidates_batch(own[None], upper, k, normal, uniform)[0]


def random_draws(rng: np.random.Generator, n_random: int, T: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The random numbers behind :func:`deviation_candidates`' random schedules, in the order it
    draws them: standard normals ``(n_random // 2, T, k)``, then uniforms on [0, 1)
    ``(n_random - n_random // 2, T, k)``."""
    if not n_random:
        return np.empty((0, T, k)), np.empty((0, T, k))
    normal = rng.normal(0.0, 1.0, size=(n_random // 2, T, k))
    uniform = rng.uniform(0, 1, size=(n_random - n_random // 2, T, k))
    return normal, uniform


def deviation_candidates_batch(own: np.ndarray, upper: np.ndarray, k: int, normal: np.ndarray,
                               uniform: np.ndarray) -> np.ndarray:
    """:func:`deviation_candidates` of each schedule ``own[b]`` (B, T, k), with the random
    numbers given (:func:`random_draws`, the same for every b): (B, C, T, k).

    The structural candidates (:func:`candidate_template`) come first, then ``len(normal)``
    log-normal multiples of the schedule and ``len(uniform)`` uniform schedules up to
    :data:`RANDOM_REACH` x each column's scale (+ 1); all are clipped to ``[0, upper]``.
    """
    T = own.shape[1]
    scale = scale_of(own)  # (B, k), per column
    own_mult, base_mult, const, floor = candidate_template(T, k)
    # a column of zeros is scaled from 0.1 x its scale
    base = np.where(own.any(axis=1, keepdims=True), own, _ZERO_COLUMN_BASE * scale[:, None, :])  # (B, T, k)
    out = np.maximum(own_mult * own[:, None] + base_mult * base[:, None] + const, floor)
    if len(normal) or len(uniform):
        out = np.concatenate([out, own[:, None] * np.exp(_RANDOM_LOG_SPREAD * normal)[None],
                              uniform[None] * (RANDOM_REACH * scale + 1.0)[:, None, None, :]], axis=1)
    return np.minimum(np.maximum(out, 0.0), upper.reshape(T, k))


@functools.lru_cache(maxsize=64)
def candidate_template(T: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""The structural candidates of :func:`deviation_candidates_batch` for schedules of T
    periods and k actions, as coefficients: candidate c of schedule :math:`x` (T, k) is

    .. math::

        \max(M_c \odot x + N_c \odot \bar x + C_c,\ F_c)

    with :math:`\bar x` the schedule whose all-zero columns are replaced by 0.1 x their scale.
    Four arrays (C, T, k), read-only, in this order of candidates:

    * drop out from period :math:`t_0` on (every :math:`t_0`; the first is the complete drop-out);
    * no performance, no safety, in all periods;
    * give up performance entirely (p -> 0) while safety :math:`s = A x_s^\alpha p^{-\theta}` blows
      up, from :math:`t_0` on: x_p at each level of "zero", x_s scaled (the payoff's limit at
      p = 0 can beat the equilibrium under shared (additive or multiplicative) risk); investments
      (and shares) made before :math:`t_0` only serve later periods: variants give those up too;
    * (T > 1) sitting out the contest in one period, or in every period up to :math:`t_0`, while
      investing as before: the payoff is singular there too;
    * the whole schedule, and each column, scaled by each factor of ``_SCALE_FACTORS``;
    * (T > 1) one period's effort dropped, cut or tripled.

    Inputs x_s, x_p never go below a stand-in for zero (``_TINY``) where the structure sets them
    to zero or scales them.
    """
    floor = np.zeros(k)
    floor[: min(k, 2)] = _TINY  # x_s, x_p: stand-in for exact zero
    periods = np.arange(T)
    after = periods[None, :] >= periods[:, None]  # after[t0, t]: period t is at or after t0
    ones, zeros = np.ones((T, k)), np.zeros((T, k))
    parts: list[tuple] = []  # (own_mult, base_mult, const, floor), each (C, T, k)
    # drop out from period t0 on
    gone = np.broadcast_to(after[:, :, None], (T, T, k))
    parts.append((np.where(gone, 0.0, 1.0), zeros[None], np.where(gone, floor, 0.0), zeros[None]))
    # no performance / no safety, all periods
    cols = min(k, 2)
    hit = np.zeros((cols, T, k), dtype=bool)
    for col in range(cols):
        hit[col, :, col] = True
    parts.append((np.where(hit, 0.0, 1.0), zeros[None], np.where(hit, _TINY, 0.0), zeros[None]))
    parts.append(_contest_exit_template(after, k, zero_masked_columns=True, zero_earlier_columns=True))
    if T > 1:
        parts.append(_contest_exit_template(np.eye(T, dtype=bool), k, zero_masked_columns=False))
        parts.append(_contest_exit_template(after.T, k, zero_masked_columns=False))
    # the whole schedule, and each column, scaled
    F = len(_SCALE_FACTORS)
    parts.append((_SCALE_FACTORS[:, None, None] * ones, zeros[None], zeros[None], floor * ones))
    column = np.eye(k, dtype=bool)[:, None, :]  # (column scaled, 1, column)
    col_own = np.broadcast_to(np.where(column, 0.0, 1.0), (F, k, T, k))
    col_base = np.where(column[None], _SCALE_FACTORS[:, None, None, None], 0.0) * ones
    parts.append((col_own, col_base, zeros[None], floor * ones))
    # per-period effort changes
    if T > 1:
        factors = np.array(_PERIOD_FACTORS)[:, None, None, None]  # (F, 1, 1, 1)
        this = np.eye(T, dtype=bool)[None, :, :, None]  # (1, period changed, t, 1)
        parts.append((np.where(this, factors, 1.0), zeros[None], zeros[None], np.where(this, floor, 0.0)))
    out = []
    for which in range(4):
        arr = np.concatenate([np.broadcast_to(p[which], np.broadcast_shapes(*(q.shape for q in p))).reshape(-1, T, k)
                              for p in parts])
        arr.setflags(write=False)
        out.append(arr)
    return tuple(out)


def _contest_exit_template(masks: np.ndarray, k: int, zero_masked_columns: bool,
                           zero_earlier_columns: bool = False) -> tuple:
    """Schedules that leave the contest in the periods of each row of ``masks`` (M, T), as
    coefficients of :func:`candidate_template`: x_p at each level of "zero", x_s scaled by each
    factor of ``_GIVE_UP_XS`` (at least ``_GIVE_UP_XS_FLOOR``), (V L M, T, k) with L levels.

    Other columns (investments, shares) are kept; ``zero_masked_columns`` also zeroes them in the
    masked periods, and ``zero_earlier_columns`` adds variants with investments (and, with shares,
    everything but x_s, x_p) zeroed in every period.
    """
    M, T = masks.shape
    L = len(_GIVE_UP_XP)
    mask = np.broadcast_to(masks[None, :, :], (L, M, T))
    own_mult = np.ones((L, M, T, k))
    const = np.zeros((L, M, T, k))
    floor = np.zeros((L, M, T, k))
    own_mult[..., 1] = np.where(mask, 0.0, 1.0)
    const[..., 1] = np.where(mask, _GIVE_UP_XP[:, None, None], 0.0)
    own_mult[..., 0] = np.where(mask, _GIVE_UP_XS[:, None, None], 1.0)
    floor[..., 0] = np.where(mask, _GIVE_UP_XS_FLOOR, 0.0)
    if k > 2:
        if zero_masked_columns:
            own_mult[..., 2:] = np.where(mask[..., None], 0.0, own_mult[..., 2:])
        if zero_earlier_columns:
            variants = [own_mult, own_mult.copy()]
            variants[1][..., 2:4] = 0.0
            if k > 4:
                variants.append(own_mult.copy())
                variants[2][..., 2:] = 0.0
            own_mult = np.concatenate(variants)
            const = np.concatenate([const] * len(variants))
            floor = np.concatenate([floor] * len(variants))
    return (own_mult.reshape(-1, T, k), np.zeros((1, T, k)), const.reshape(-1, T, k), floor.reshape(-1, T, k))


def _sit_out(schedules: np.ndarray, t: int) -> None:
    """Period ``t`` of ``schedules`` (..., T, k) sat out at a token presence, in place: x_s scaled by
    :data:`_SAT_OUT_XS`, x_p at the first "zero" level (under multiplicative or additive risk a
    player present with no performance is safe; one with exactly zero inputs is not)."""
    schedules[..., t, 0] *= _SAT_OUT_XS
    schedules[..., t, 1] = _ZERO_LEVELS[0]


def investment_entries(own: np.ndarray) -> np.ndarray:
    """Invest in one period and compete harder afterwards: for each period t < T - 1, each
    investment of :data:`_ENTRY_INVESTMENTS` (one column or both; times the scale of the player's
    inputs, at least :data:`_ENTRY_MIN_SIZE`), with the inputs x_s, x_p of the later periods
    scaled by each factor of :data:`_ENTRY_EFFORT` (and raised to at least :data:`_ENTRY_LEVEL`
    x factor x that scale). A player close to giving up may gain from this joint, far move, which
    neither small steps nor an ascent in log coordinates (slow to leave zero) reach.

    Each move also comes with period t sat out (build first, then compete: x_s scaled by
    :data:`_SAT_OUT_XS`, x_p at the first "zero" level), and with shares
    (k = 6) with the matching share set to 1 in period t + 1:
    at a tie of states (after a full share) neither investing nor sharing alone moves anyone
    (a share of a zero lead is worthless, max(0, .) at its kink), but investing and then sharing
    the lead does.
    """
    T, k = own.shape
    size = max(float(np.max(own[:, :2])), _ENTRY_MIN_SIZE)
    moves = _ENTRY_INVESTMENTS * size  # (M, 2): safety and performance investment of each move
    out = np.broadcast_to(own, (T - 1, len(moves), len(_ENTRY_EFFORT), T, k)).copy()
    for t in range(T - 1):
        out[t, :, :, t, 2:4] += moves[:, None, :]
        for e, factor in enumerate(_ENTRY_EFFORT):
            # scaled, but at least _ENTRY_LEVEL x factor x the input scale: a player who has given up
            # (inputs ~ 0) re-enters at a competing level
            later = out[t, :, e, t + 1:, :2]
            out[t, :, e, t + 1:, :2] = np.maximum(later * factor, _ENTRY_LEVEL * factor * size)
    # build first, then compete: the investing period sat out (performance at a "zero" level)
    sat_out = out.copy()
    for t in range(T - 1):
        _sit_out(sat_out[t], t)
    out = np.stack([out, sat_out])  # (variant, t, move, effort, T, k)
    if k >= 6:
        shared = out.copy()
        for t in range(T - 1):
            # the lead built by each invested column shared in the next period
            invested = (moves > 0)[None, :, None, :]  # (variant, move, effort, column)
            shared[:, t, :, :, t + 1, 4:6] = np.where(invested, 1.0, shared[:, t, :, :, t + 1, 4:6])
        out = np.stack([out, shared])
    return out.reshape(-1, T, k)


def scale_of(own: np.ndarray) -> np.ndarray:
    """Scale of each action column of a schedule (T, k) (or of each of a batch (B, T, k)): its
    largest value, at least :data:`SCALE_FLOOR`; (k,) (or (B, k))."""
    return np.maximum(own.max(axis=-2), SCALE_FLOOR)


def ascent_starts(own: np.ndarray, others: np.ndarray, rng: np.random.Generator,
                  n_random: int = _ASCENT_RANDOM_STARTS) -> np.ndarray:
    """Starts of the batched ascent (B, T, k): the schedule scaled by each factor of
    :data:`_ASCENT_FACTORS` (0.01, 0.3 and 3; columns at zero start at :data:`_ASCENT_ZERO_START`
    of their scale), each other player's schedule, and ``n_random`` random schedules."""
    T, k = own.shape
    scale = scale_of(own)
    base = np.maximum(own, _ASCENT_ZERO_START * scale)
    parts = [base[None] * _ASCENT_FACTORS[:, None, None], others,
             rng.uniform(0, 1, size=(n_random // 2, T, k)) * (_ASCENT_REACH * scale + 1.0),
             base[None] * np.exp(rng.normal(0.0, _ASCENT_LOG_SPREAD, size=(n_random - n_random // 2, T, k)))]
    return np.concatenate(parts)


def imitations(layout: ActionLayout, x: np.ndarray, i: int, upper: np.ndarray) -> np.ndarray:
    """Player i copying each other player's whole schedule in profile ``x`` (laid out by
    ``layout``): (n - 1, T, k), within i's bounds ``upper`` (T k,)."""
    X = layout.unpack(x)  # (T, n, k)
    copies = X[:, [j for j in range(layout.n) if j != i]].transpose(1, 0, 2)  # (n - 1, T, k)
    return np.clip(copies, 0.0, upper.reshape(layout.T, layout.k))


def investment_withdrawals(own: np.ndarray) -> np.ndarray:
    """Own schedules (B, T, k) that give up or put off a period's investments (columns 2, 3), for
    each period t < T - 1 that invests: the investments dropped; dropped, with period t + 1 sat out
    at a token presence (:func:`_sit_out`); and postponed to period t + 1, sat out in the same way (invest while out of
    the race, compete later). Periods whose investments are negligible (below
    :data:`_INVESTMENT_NEGLIGIBLE` of the schedule's largest input or investment, at least 1) are
    left out. Empty without investment columns."""
    T, k = own.shape
    out = []
    if k < 4:
        return np.empty((0, T, k))
    # periods whose investments count (not ones held just above zero)
    meaningful = np.max(own[:-1, 2:4], axis=1) > _INVESTMENT_NEGLIGIBLE * max(float(np.max(own[:, :4])), 1.0)
    for t in np.flatnonzero(meaningful):
        dropped = own.copy()
        dropped[t, 2:4] = 0.0
        token = dropped.copy()
        _sit_out(token, t + 1)
        postponed = token.copy()
        postponed[t + 1, 2:4] += own[t, 2:4]
        out += [dropped, token, postponed]
    return np.array(out).reshape(-1, T, k)


def investment_moves(own: np.ndarray) -> list[np.ndarray]:
    """Own schedules with the investments (columns 2, 3) changed: each period's investments
    postponed to the next period (the inputs of that period given up; discounting makes later
    investment cheaper), then each non-zero investment moved by +-30%
    (:data:`_INVESTMENT_MOVE_FACTORS`); at most 2 T + :data:`_INVESTMENT_MOVES_EXTRA`."""
    out = []
    T = own.shape[0]
    if own.shape[1] < 4:
        return out
    for t in np.flatnonzero(np.any(own[:-1, 2:4] > 0, axis=1)):
        later = own.copy()
        later[t + 1, 2:4] += later[t, 2:4]
        later[t, 2:4] = 0.0
        out.append(later)
        given_up = later.copy()
        given_up[t + 1, :2] = 0.0
        out.append(given_up)
    for t, c in zip(*np.nonzero(own[:, 2:4] > 0)):
        for f in _INVESTMENT_MOVE_FACTORS:
            moved = own.copy()
            moved[t, 2 + c] *= f
            out.append(moved)
    return out[: 2 * T + _INVESTMENT_MOVES_EXTRA]


def tiny_pushed(x: np.ndarray, G: np.ndarray, lower: np.ndarray) -> np.ndarray:
    r"""Inputs just above their lower bound, pushed towards it: :math:`0 < x_j - l_j <`
    :data:`TINY_INPUT` and :math:`G_j < 0` (same shapes in, a boolean mask out).

    Their natural residual is :math:`x_j - l_j` itself, so the first-order test counts them as
    at the bound; but where the payoff is singular at the bound (:math:`x^\beta` with a small
    :math:`\beta`) its maximum along :math:`x_j` can lie at :math:`10^{-13}`, inside that
    distance, and the bound itself be worse. The coordinate steps (at least
    :math:`10^{-5}`) cannot see that scale; :func:`log_steps` can."""
    with np.errstate(invalid="ignore"):
        gap = x - lower
        return (gap > 0) & (gap < TINY_INPUT) & (G < 0)


def log_steps(own: np.ndarray, pushed: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Schedules that scale one tiny input's distance to its lower bound by each factor of
    :data:`_LOG_STEP_FACTORS` (0.1 to 2): (C, T, k) for a schedule ``own`` (T, k), one block of
    factors per input marked in ``pushed`` (T, k) (see :func:`tiny_pushed`); ``lower`` (T, k)."""
    shape = own.shape
    flat, low = own.reshape(-1), np.broadcast_to(lower, shape).reshape(-1)
    cols = np.flatnonzero(np.asarray(pushed).reshape(-1))
    out = np.repeat(flat[None], cols.size * _LOG_STEP_FACTORS.size, axis=0)
    rows = np.arange(out.shape[0])
    j = np.repeat(cols, _LOG_STEP_FACTORS.size)
    out[rows, j] = low[j] + (flat[j] - low[j]) * np.tile(_LOG_STEP_FACTORS, cols.size)
    return out.reshape(-1, *shape)


def coordinate_steps(own: np.ndarray, upper: np.ndarray, rel: float = _COORDINATE_STEP) -> np.ndarray:
    """Schedules that move one own action up or down by a small relative step: (2 T k, T, k)
    for a schedule ``own`` (T, k), or (B, 2 T k, T, k) for a batch (B, T, k).

    The step is ``rel`` times the action's size, a size below :data:`_COORDINATE_STEP_FLOOR`
    counting as that floor."""
    shape = own.shape[-2:]
    flat = own.reshape(*own.shape[:-2], 1, -1)  # (..., 1, T k)
    h = rel * np.maximum(np.abs(flat), _COORDINATE_STEP_FLOOR)
    eye = np.eye(flat.shape[-1])
    steps = np.concatenate([flat + eye * h, flat - eye * h], axis=-2)
    steps = np.clip(steps, 0.0, upper.reshape(-1))
    return steps.reshape(*steps.shape[:-1], *shape)

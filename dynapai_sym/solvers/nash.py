r"""The pure-strategy Nash solver: staged KKT root-finding plus certification.

Strategy (``method="kkt"``, the default for smooth models):

1. Projected Levenberg–Marquardt on the Fischer–Burmeister form of the KKT
   system (:mod:`.kkt`) from the given start.
2. If it fails: a few rounds of iterated best response (L-BFGS-B) to get close, then 1 again.
3. Then restarts from seeded random perturbations of the start.
4. Every converged point is certified (:mod:`.certify`). A point defeated by a
   profitable deviation seeds a new start (the deviating player's schedule
   replaced), since the equilibrium, if any, often lies there.

Only a certified point is reported as success. If converged points exist but
all are defeated, the status is "no pure equilibrium found" with the profile
whose best deviation gains least, and the deviation.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgumentError
from .best_response import best_response
from .certify import Certificate, certify
from .kkt import solve_kkt
from .polish import log_newton
from .result import Status

__all__ = ["solve_game", "Outcome", "PURE_METHODS", "gave_up"]

#: the methods :func:`solve_game` implements (the registry, :mod:`.methods`, adds "mixed")
PURE_METHODS = ("auto", "kkt", "best_response", "best_response_nm")


@dataclass
class Outcome:
    x: np.ndarray
    success: bool
    status: str
    message: str
    method: str
    iterations: int
    kkt_residual: float
    certificate: Certificate | None
    seconds: float
    notes: list


def _counted(notes: list[str]) -> list[str]:
    """Each distinct note once, in order, with how many times it was made when more than once."""
    counts = Counter(notes)
    return [note if counts[note] == 1 else f"{note} ({counts[note]} times)" for note in dict.fromkeys(notes)]


def _random_start(x0: np.ndarray, game, rng) -> np.ndarray:
    base = np.where(x0 > 0, x0, 0.1)
    x = base * np.exp(rng.uniform(-2.0, 2.0, size=x0.shape))
    return np.clip(x, game.lower, game.upper)


def solve_game(game, x0: np.ndarray, options, method: str = "auto", check_global: bool = True) -> Outcome:
    """Find and certify a pure-strategy equilibrium of ``game`` starting at ``x0``.

    Parameters
    ----------
    game : NumericGame
    x0 : ndarray (N,)
    options : SolverOptions
    method : {"auto", "kkt", "best_response", "best_response_nm"}
        ``"auto"`` is ``"kkt"`` for smooth models and Nelder–Mead best response otherwise.
    check_global : bool
        Run the global best-response probe. Only internal starting-point searches turn it
        off; their answers are starts, never reported results.
    """
    t0 = time.perf_counter()
    if method not in PURE_METHODS:
        raise InvalidArgumentError(f"method must be one of {PURE_METHODS} (pure-strategy solvers), got {method!r}")
    if method == "auto":
        method = "kkt" if game.smooth else "best_response_nm"
    if method == "kkt" and not game.smooth:
        raise InvalidArgumentError("method='kkt' needs a smooth model; this one has a threshold cost "
                         "(use method='best_response')")
    rng = np.random.default_rng(options.seed)
    notes: list[str] = []
    tried: list[tuple[np.ndarray, Certificate]] = []
    iterations = 0

    def finish(x, cert, success, status, message):
        return Outcome(x, success, status, message, method, iterations,
                       cert.kkt_residual if cert else float("nan"), cert,
                       time.perf_counter() - t0, _counted(notes))

    if method.startswith("best_response"):
        inner = "nelder-mead" if (method == "best_response_nm" or not game.smooth) else "lbfgsb"
        starts = [x0] + [_random_start(x0, game, rng) for _ in range(min(options.restarts, 2))]
        for start in starts:
            run = best_response(game, start, options, inner=inner)
            iterations += run.rounds
            cert = certify(game, run.x, options, rng, check_global=check_global)
            if not run.converged:
                notes.append(f"best response did not settle (last relative change {run.change:.2e})")
            if cert.passed and run.converged:
                return finish(run.x, cert, True, Status.CERTIFIED, cert.describe())
            tried.append((run.x, cert))
        return _failure(tried, finish)

    x0 = np.asarray(x0, dtype=float)
    search = _Search(game, options, rng, check_global)
    found = search.run(x0)
    iterations += search.iterations
    notes.extend(search.notes)
    if found is not None:
        x, cert = found
        return finish(x, cert, True, Status.CERTIFIED, cert.describe())
    tried.extend(search.tried)
    if not check_global or not (tried or search.ends):
        return _failure(tried, finish)
    # before saying "no pure equilibrium": starts where weak players give up exactly, and
    # best-response rounds from the best profile (their fixed point, if any, is certified too);
    # where no start converged, from the end point of the run that came closest
    best = _best_tried(tried)[0] if tried else min(search.ends, key=lambda end: end[1])[0]
    before = search.iterations
    found = search.settle(best)
    if found is None:
        found = search.exits_and_best_response(best)
    if found is None and search.tried:  # the exits and best responses may have found a better one to settle from
        last = _best_tried(search.tried)[0]
        if not np.array_equal(last, best):
            found = search.settle(last)
            if found is None:
                found = search.swaps(last)
    iterations += search.iterations - before
    notes.extend(n for n in search.notes if n not in notes)
    if found is not None:
        x, cert = found
        return finish(x, cert, True, Status.CERTIFIED, cert.describe())
    return _failure(search.tried, finish, search.summary())


class _Search:
    """The equilibrium search behind ``method="kkt"``: Newton from a queue of starts, each
    converged point certified, and every defeat followed.

    Starts, in order: the given one, a few rounds of best response, scaled copies, random ones.
    A point defeated by a profitable deviation yields two starts that jump the queue: the
    deviating player's schedule replaced, and best-response rounds from there. Defeats are
    followed at least ``max(2, n)`` times and for as long as the smallest defeating gain keeps
    falling (at most ``FOLLOW_CAP`` times).
    """

    def __init__(self, game, options, rng, check_global: bool):
        self.game, self.options, self.rng, self.check_global = game, options, rng, check_global
        self.tried: list[tuple[np.ndarray, Certificate]] = []
        self.notes: list[str] = []
        self.iterations = 0
        self.counts = {"starts": 0, "followed": 0, "exits": 0, "swaps": 0}
        self.br_settled: bool | None = None
        self.capped = False
        #: end points (x, residual) of the Newton runs that did not converge
        self.ends: list[tuple[np.ndarray, float]] = []

    def newton(self, start: np.ndarray, max_iter: int | None = None):
        """Newton from ``start`` (at most ``max_iter`` steps, default ``options.iters``), then
        certification (an exact-exit variant first): the certified (x, cert), or None (the defeat
        recorded in ``tried``; :attr:`capped` says whether a run was still moving at its limit)."""
        game, options = self.game, self.options
        self.counts["starts"] += 1
        run = solve_kkt(game, start, tol=options.tol, max_iter=options.iters if max_iter is None else max_iter)
        self.iterations += run.iterations
        self.capped = run.capped
        if not (run.converged or run.residual <= options.kkt_tol) and run.residual <= POLISH_BELOW:
            # close, but stalled: inputs many orders below the others, finished in log coordinates
            polished = log_newton(game, run.x, tol=options.tol)
            self.iterations += polished.iterations
            if polished.converged or polished.residual <= options.kkt_tol:
                run = polished
        if not (run.converged or run.residual <= options.kkt_tol):
            if np.isfinite(run.residual):
                self.ends.append((run.x, run.residual))
            return None
        exit_run = _exact_exit(game, run.x, options)
        if exit_run is not None:  # players who gave up, exactly: the limit the search only approached
            self.iterations += exit_run.iterations
            cert = certify(game, exit_run.x, options, self.rng, check_global=self.check_global)
            if cert.passed:
                self.notes.append("players who give up sit exactly at 0")
                return self._accept(exit_run.x, cert)
        cert = certify(game, run.x, options, self.rng, check_global=self.check_global)
        if cert.passed:
            return self._accept(run.x, cert)
        self.tried.append((run.x, cert))
        return None

    def _accept(self, x, cert):
        if self.game.symmetric and cert.symmetric is False:
            self.notes.append("the game is symmetric but this equilibrium is not")
        out = _out_with_token_safety(self.game, x)
        if out:
            self.notes.append(f"player(s) {out} are out of the race (no performance) with safety inputs under "
                              f"{TINY_SAFETY:g}; lowering them further gains less than the tolerance (where safety "
                              "is shared, x_s = 0 itself would leave them unsafe: the limit x_s -> 0+ is not "
                              "attained)")
        if not np.any(x):
            self.notes.append("nobody takes part (every input is 0): when the others stay out, so does each "
                              "player (under shared risk a lone entrant's safety stays low); other equilibria "
                              "may exist (try init=...)")
        return x, cert

    def best_response_start(self, x: np.ndarray) -> np.ndarray:
        br = best_response(self.game, x, self.options.with_(iters=5))
        self.iterations += br.rounds
        return br.x

    def run(self, x0: np.ndarray):
        """Newton from the queue of starts (see the class docstring). The first start's runs stop
        after :data:`FIRST_STEPS` steps; where one was still moving then, the full run from that
        start comes back right after the best-response start (and before the search gives up):
        a run that crawls towards a corner for a hundred steps no longer delays the starts that
        reach an equilibrium in ten, and still has its turn."""
        game, options = self.game, self.options
        queue: list = [x0, ("best_response", x0),
                       *(np.clip(x0 * f, game.lower, game.upper) for f in (0.3, 3.0, 0.1))]
        attempts, best_gain = 0, np.inf
        deferred = None
        while attempts < 1 + options.restarts or deferred is not None:
            if attempts >= 1 + options.restarts:  # out of starts: the deferred full run's turn
                queue = [deferred]
            start = queue.pop(0) if queue else _random_start(x0, game, self.rng)
            full = None
            if isinstance(start, tuple):
                kind, start = start
                if kind == "full":
                    full, deferred = start, None
                else:
                    start = self.best_response_start(start)
                    self.notes.append("one start came from iterated best response")
            short = attempts == 0 and options.iters > FIRST_STEPS
            if full is None:
                attempts += 1
            found = self.newton(start, FIRST_STEPS if short else None)
            if found is not None:
                return found
            if short and self.capped:
                deferred = ("full", start)
                queue.insert(1, deferred)
            if not self.tried or self.tried[-1][1] is None:
                continue
            x, cert = self.tried[-1]
            dev = cert.best_deviation
            if dev is None or not self.check_global:
                continue
            improving = dev.gain < best_gain * (1.0 - 1e-3)
            best_gain = min(best_gain, dev.gain)
            if self.counts["followed"] < max(2, game.n) or (improving and self.counts["followed"] < FOLLOW_CAP):
                self.counts["followed"] += 1
                nxt = _deviation_start(game, x, dev)
                queue[:0] = [nxt, ("best_response", nxt)]
        return None

    def settle(self, x: np.ndarray):
        """Best responses (Gauss–Seidel, ``inner="log-lbfgsb"``: climbs in log coordinates, which
        reach inputs of 1e-300 without stopping at the first corner, then in the inputs, which
        reach exact zeros) from ``x`` until they come to rest (at most :data:`SETTLE_ROUNDS`
        rounds); then Newton from there, from the same point with the players whose performance
        is negligible out of the race exactly (:func:`_performance_out`), and from a few rounds of
        best response after it. For equilibria where some inputs are tiny (1e-7 to 1e-17) or
        exactly 0 beside others of order one, where Newton from afar creeps towards them."""
        br = best_response(self.game, x, self.options.with_(iters=SETTLE_ROUNDS), inner="log-lbfgsb")
        self.iterations += br.rounds
        self.notes.append("one start came from iterated best response")
        found = self.newton(br.x)
        out = _performance_out(self.game, br.x) if found is None else None
        if out is not None:
            found = self.newton(out)
        if found is None:
            found = self.newton(self.best_response_start(br.x))
        return found

    def exits_and_best_response(self, x_best: np.ndarray):
        """Starts with each set of weak players giving up exactly, then with them giving up
        performance only (a token safety input kept: under multiplicative risk a player out of
        the race still keeps everyone safe), then swaps (:meth:`swaps`), then best-response
        rounds."""
        game = self.game
        payoffs = game.payoffs(x_best)
        subsets = sorted((s for size in range(1, game.n) for s in itertools.combinations(range(game.n), size)),
                         key=lambda s: (float(np.sum(payoffs[list(s)])), len(s)))[:EXIT_STARTS_PER_PLAYER * game.n]
        X = game.layout.unpack(x_best)
        for keep_safety in (False, True):
            for players in subsets:
                Y = X.copy()
                Y[:, list(players), :] = 0.0
                if keep_safety:
                    Y[:, list(players), 0] = TOKEN_SAFETY
                self.counts["exits"] += 1
                found = self.newton(game.layout.pack(Y))
                if found is not None:
                    return found
        found = self.swaps(x_best)
        return found if found is not None else self.global_best_responses(x_best)

    def swaps(self, x_best: np.ndarray):
        """Starts where a player out of the race (negligible performance in every period) takes
        the place of one who competes: the competitor's schedule copied to it, the competitor out
        of the race with a token safety input (weakest competitors first, at most
        :data:`SWAP_STARTS_PER_PLAYER` per player). Exit starts only remove players, and Newton
        keeps a player at a singular corner where it is; an equilibrium in which other players
        compete is reached from none of them (a contest where whoever competes alone wins for
        nothing, so that best responses cycle among give-ups)."""
        game = self.game
        X = game.layout.unpack(x_best)
        if X.shape[-1] < 2:
            return None
        out = _negligible_performance(X).all(axis=0)  # out of the race (safety may remain)
        if not out.any() or out.all():
            return None
        payoffs = game.payoffs(x_best)
        competing = sorted(np.flatnonzero(~out), key=lambda i: float(payoffs[i]))
        pairs = [(int(i), int(j)) for i in competing for j in np.flatnonzero(out)]
        for i, j in pairs[:SWAP_STARTS_PER_PLAYER * game.n]:
            Y = X.copy()
            Y[:, j] = X[:, i]
            Y[:, i] = 0.0
            Y[:, i, 0] = TOKEN_SAFETY  # out of the race, still safe (as the exit starts keep it)
            self.counts["swaps"] += 1
            found = self.newton(game.layout.pack(np.clip(Y, game.layout.unpack(game.lower),
                                                         game.layout.unpack(game.upper))))
            if found is not None:
                return found
        return None

    def global_best_responses(self, x: np.ndarray):
        """Best-response dynamics with global best responses: the certificate's best deviation
        replaces the deviating player's schedule, round after round. A profile that certifies
        ends it; a return to an earlier profile, or no rest within ``BR_ROUNDS`` rounds, means
        the dynamics cycle (where a mixed equilibrium is the natural answer)."""
        game = self.game
        seen = [x]
        for _ in range(BR_ROUNDS):
            cert = certify(game, x, self.options, self.rng, check_global=True)
            if cert.passed:
                return self._accept(x, cert)
            dev = cert.best_deviation
            if dev is None:  # defeated locally (first or second order): Newton from here
                self.br_settled = True
                return self.newton(x)
            x = game.layout.with_own(x, dev.player, dev.schedule)
            if any(np.allclose(x, y, rtol=1e-4, atol=1e-9) for y in seen):
                self.br_settled = False
                return None
            seen.append(x)
            found = self.newton(x)
            if found is not None:
                return found
        self.br_settled = False
        return None

    def summary(self) -> str:
        c = self.counts
        text = (f"{c['starts']} Newton starts tried ({c['followed']} following defeating deviations, "
                f"{c['exits']} with weak players giving up, {c['swaps']} with a player out of the race in a "
                "competitor's place)")
        if self.br_settled is False:
            text += "; best responses (global) cycle: try method='mixed'"
        elif self.br_settled:
            text += "; best responses (global) come to rest at a point that is not a local maximum"
        return text


#: most defeats followed while the smallest defeating gain keeps falling
FOLLOW_CAP = 12
#: Newton steps of the first start's runs before the next starts get their turn (see :meth:`_Search.run`)
FIRST_STEPS = 60
#: starts with weak players giving up exactly, per player
EXIT_STARTS_PER_PLAYER = 2
#: starts where a player who has given up takes a competitor's place, per player
SWAP_STARTS_PER_PLAYER = 2
#: the safety input kept by a player who gives up performance in the search's second kind of exit start
TOKEN_SAFETY = 1e-12
#: rounds of global best responses that decide whether best responses cycle
BR_ROUNDS = 8
#: rounds of local best responses from the best point found when the Newton starts end without an equilibrium
SETTLE_ROUNDS = 30
#: a Newton run that stops with its residual above the tolerance but at most this is finished in log
#: coordinates (:func:`~.polish.log_newton`)
POLISH_BELOW = 1e-4


#: a player's (x_s, x_p) in a period counts as given up below this fraction of the largest input played
EXIT_FRACTION = 1e-6


def gave_up(game, x: np.ndarray) -> np.ndarray:
    r"""Which players (nearly) gave up in which period: (T, n) bool.

    Player i gave up in period t when its safety and performance inputs are both at most
    :data:`EXIT_FRACTION` :math:`\cdot (1 + \max x)` (the largest input played) and not both 0.
    All false for actions with fewer than two columns.
    """
    X = game.layout.unpack(x)
    if X.shape[-1] < 2:
        return np.zeros(X.shape[:-1], dtype=bool)
    inputs = X[..., :2]
    return np.all(inputs <= EXIT_FRACTION * (1.0 + np.max(inputs)), axis=-1) & np.any(inputs > 0, axis=-1)


#: a player out of the race whose safety input is below this is reported in the result's notes
TINY_SAFETY = 1e-10


def token_presence(X: np.ndarray, performance_at_most: float = 0.0) -> np.ndarray:
    """Which players are present with a token input in actions ``X`` (..., n, k) (k >= 2): a
    performance input of at most ``performance_at_most`` beside a safety input in
    (0, :data:`TINY_SAFETY`]. Shape (..., n)."""
    return (X[..., 1] <= performance_at_most) & (X[..., 0] > 0.0) & (X[..., 0] <= TINY_SAFETY)


def _out_with_token_safety(game, x: np.ndarray) -> list[int]:
    """Players (1-based) who, in some period, play no performance and a safety input in
    (0, :data:`TINY_SAFETY`]."""
    X = game.layout.unpack(x)
    if X.shape[-1] < 2:
        return []
    token = token_presence(X)
    return [int(i) + 1 for i in np.flatnonzero(token.any(axis=0))]


def _negligible_performance(X: np.ndarray) -> np.ndarray:
    """Which players' performance input is negligible in which period, (T, n) for actions
    ``X`` (T, n, k): at most :data:`EXIT_FRACTION` of (1 + the largest input played)."""
    return X[..., 1] <= EXIT_FRACTION * (1.0 + np.max(X[..., :2]))


def _performance_out(game, x: np.ndarray) -> np.ndarray | None:
    r"""``x`` with every negligible performance input (at most :data:`EXIT_FRACTION` of the
    largest input played, not 0) set to exactly 0, and the safety input beside it lowered to at
    most :data:`TOKEN_SAFETY`; None when there is none.

    A player out of the race at :math:`x_p = 0` is safe with any safety input :math:`x_s > 0`
    (:math:`s \to \infty`), so under shared risk it keeps the smallest one; best responses
    that reach such a player stop at a floor of :math:`x_p` (say :math:`10^{-12}`), where a
    safety input of :math:`10^{-4}` is still needed and Newton cannot reach the limit.
    """
    X = game.layout.unpack(x)
    if X.shape[-1] < 2:
        return None
    out = (X[..., 1] > 0) & _negligible_performance(X)
    if not out.any():
        return None
    Y = X.copy()
    Y[..., 1][out] = 0.0
    Y[..., 0][out] = np.minimum(Y[..., 0][out], TOKEN_SAFETY)
    return game.layout.pack(Y)


#: the exact exit of :func:`_exact_exit` may move the other players by at most this fraction of
#: the largest input (the limit of an exit moves them little; a jump is another equilibrium)
EXIT_MOVE = 0.05


def _exact_exit(game, x: np.ndarray, options):
    """Newton from ``x`` with the inputs of players who (nearly) gave up set exactly to 0.

    A search that approaches an exit stops at small positive inputs (say x_s = 1e-8,
    x_p = 1e-14): at the exit the slopes of :math:`x^\beta` are infinite, so no first-order
    step lands on it. Where a player's safety and performance inputs in a period are both
    below :data:`EXIT_FRACTION` of the largest input played, both are set to exactly 0 (the
    model takes its limits there) and the remaining conditions are solved with them held.
    Returns the converged run, or None when no player is near an exit, Newton fails, or the
    others move by more than :data:`EXIT_MOVE` of the largest input: then the exact exit is
    not the limit the search approached but another profile (with no performance, x_s > 0
    keeps a player safe and x_s = 0 does not, SPEC section 2: under shared risk an exit can
    leave everyone unsafe, and the others quit too).
    """
    X = game.layout.unpack(x)
    if X.shape[-1] < 2:
        return None
    out = gave_up(game, x)
    if not out.any():
        return None
    Y = X.copy()
    Y[..., :2][out] = 0.0
    y = game.layout.pack(Y)
    run = solve_kkt(game, y, tol=options.tol, max_iter=options.iters)
    if not (run.converged or run.residual <= options.kkt_tol):
        return None
    if np.max(np.abs(run.x - y)) > EXIT_MOVE * max(1.0, float(np.max(x))):
        return None
    return run


def _deviation_start(game, x: np.ndarray, dev) -> np.ndarray:
    """The next start after ``x`` lost to ``dev``: the deviating player's schedule replaced.

    When the deviation gives up performance far deeper than a floor (x_p at most 1e-100: the
    limit p -> 0 pays), the other players' performance held at a floor (at most 1e-10, where a
    search stopped) goes to the same depth: they are giving up too, and going deeper is the
    same move for them.
    """
    nxt = game.layout.with_own(x, dev.player, dev.schedule)
    depth = float(np.min(dev.schedule[:, 1])) if dev.schedule.shape[1] > 1 else 1.0
    if depth <= 1e-100:
        X = game.layout.unpack(nxt)  # a view: writes go to nxt
        X[..., 1] = np.where((X[..., 1] > 0) & (X[..., 1] <= 1e-10), depth, X[..., 1])
    return nxt


def _badness(item):
    """Order of defeated points: first and second order satisfied first, then the smallest gain."""
    _, cert = item
    local = cert.kkt_ok and cert.second_order_ok
    gain = max(cert.gains.max(), 0.0) if cert.gains.size else 0.0
    return (not local, gain if np.isfinite(gain) else np.inf)


def _best_tried(tried):
    return min(tried, key=_badness)


def _failure(tried, finish, searched: str | None = None):
    if not tried:
        return finish(None, None, False, Status.NOT_CONVERGED,
                      "no start reached the first-order conditions" + (f". Searched: {searched}." if searched else ""))
    x, cert = _best_tried(tried)
    if cert.kkt_ok and cert.second_order_ok and cert.deviations:
        d = cert.best_deviation
        message = (f"every converged candidate is defeated by a profitable deviation; best profile: "
                   f"player {d.player + 1} gains {d.gain:.4g} by deviating")
        message += f". Searched: {searched}." if searched else ". Try method='mixed'."
        return finish(x, cert, False, Status.NO_PURE, message)
    return finish(x, cert, False, Status.NOT_CONVERGED, cert.describe())

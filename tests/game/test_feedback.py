"""Feedback (subgame-perfect) equilibria: agreement with open loop where the state does not move,
an independent brute-force check, exact state derivatives, policies off the path, statuses."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize, root

import dynapai_sym as dp
from dynapai_sym import models
from dynapai_sym.errors import InvalidArgumentError
from dynapai_sym.game.feedback import FeedbackResult, _verdict
from dynapai_sym.solvers import SolverOptions
from dynapai_sym.solvers.feedback import SEVERAL, FeedbackGame, PeriodOutcome, default_start, solve_path


@pytest.mark.parametrize("n, T, end_on_win", [(2, 3, False), (2, 2, True), (3, 2, False)])
def test_basic_actions_feedback_equals_open_loop(n, T, end_on_win):
    """The state does not move: the later subgames do not depend on today's actions, so the
    feedback and open-loop equilibria coincide."""
    agg = models.basic_aggregator(n, end_on_win=end_on_win)
    ol = agg.solve(T)
    fb = agg.solve(T, concept="feedback")
    assert ol.success and fb.success, (ol.message, fb.message)
    assert isinstance(fb, FeedbackResult) and fb.concept == "feedback"
    assert fb.status == dp.Status.CERTIFIED
    np.testing.assert_allclose(fb.strategies.data, ol.strategies.data, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fb.payoffs, ol.payoffs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fb.probability_safe, ol.probability_safe, rtol=0, atol=1e-9)


# ---------------------------------------------------------------- an independent brute force
class BruteForce:
    """T = 2 invest, n = 2, by hand: the last period's equilibrium at any state by root-finding on
    finite-difference first-order conditions (its investments are 0: they only cost), and a global
    search over one player's first-period deviation, re-solving the last period at every state the
    deviation reaches. Uses only the model's one-period payoffs and transition.

    A deviation after which the last period has no interior equilibrium that survives the exit
    check (a player would rather sit out, and the rival then wins with vanishing effort: no pure
    equilibrium) cannot be valued; such deviations are skipped, as the solver skips them."""

    def __init__(self, agg):
        pf = agg.state.beliefs[0]
        self.model, self.theta, self.y0 = pf.compiled, pf.param_vector(), pf.state_vector()
        self.gammas = agg.gammas
        self.start = np.array([0.1, 0.3, 0.8, 0.4])
        self.skipped = 0

    def u(self, Z, y):
        """Payoffs (n, B) of one-period actions Z (8, B) at the state y (4,)."""
        Z = np.asarray(Z, dtype=float)
        return self.model.values(Z, np.repeat(y[:, None], Z.shape[1], axis=1),
                                 np.repeat(self.theta[:, None], Z.shape[1], axis=1))[0]

    def last_period(self, y):
        """(x_s1, x_p1, x_s2, x_p2) of the static equilibrium at y."""
        def focs(w):
            x = np.exp(w)
            cols = []
            for j in range(4):
                h = 1e-6 * x[j]
                for sign in (1, -1):
                    xx = x.copy()
                    xx[j] += sign * h
                    cols.append(xx)
            P = np.array(cols).T  # (4, 8)
            Z = np.zeros((8, 8))
            Z[[0, 1, 4, 5]] = P
            vals = self.u(Z, y)
            grad = np.array([(vals[j // 2, 2 * j] - vals[j // 2, 2 * j + 1]) / (2e-6 * x[j]) for j in range(4)])
            return grad * x

        with np.errstate(all="ignore"):
            for start in (self.start, np.array([0.1, 0.3, 0.8, 0.4]), np.array([0.5, 0.5, 0.5, 0.5])):
                sol = root(focs, np.log(start), tol=1e-10)
                x = np.exp(sol.x)
                # the slopes themselves (not scaled by x) vanish at an interior equilibrium
                if np.all(np.isfinite(x)) and np.all(x > 1e-6) and np.max(np.abs(focs(sol.x) / x)) < 1e-7:
                    self.start = np.exp(sol.x)
                    return np.exp(sol.x)
        return None

    def has_exit(self, x, y):
        """Whether a player gains by sitting the last period out (its inputs 0): then the
        first-order point is no equilibrium there."""
        z = np.zeros(8)
        z[[0, 1, 4, 5]] = x
        base = self.u(z[:, None], y)[:, 0]
        for i in range(2):
            zi = z.copy()
            zi[[4 * i, 4 * i + 1]] = 0.0
            with np.errstate(all="ignore"):
                if self.u(zi[:, None], y)[i, 0] > base[i] + 1e-9:
                    return True
        return False

    def value(self, i, z0):
        """Player i's payoff when the first period is played as z0 (8,) and the last period's
        equilibrium at the state reached follows."""
        z0 = np.maximum(z0, 0.0)
        y1 = self.model.values(z0, self.y0, self.theta)[1]
        x1 = self.last_period(y1)
        if x1 is None or self.has_exit(x1, y1):  # no pure equilibrium found there: not valued
            self.skipped += 1
            return -np.inf
        z1 = np.zeros(8)
        z1[[0, 1, 4, 5]] = x1
        return float(self.u(z0[:, None], self.y0)[i, 0] + self.gammas[i] * self.u(z1[:, None], y1)[i, 0])

    def best_deviation(self, i, z0, rng):
        own = slice(4 * i, 4 * i + 4)

        def f(a):
            z = z0.copy()
            z[own] = np.abs(a)
            return self.value(i, z)

        base = f(z0[own])
        scale = np.maximum(np.abs(z0[own]), 0.5)
        cands = [z0[own] * c for c in (0.0, 0.5, 2.0)] + list(rng.uniform(0, 3, (40, 4)) * scale)
        vals = np.array([f(a) for a in cands])
        best, best_a = vals.max(), cands[int(np.argmax(vals))]
        for j in list(np.argsort(-vals)[:2]):
            r = minimize(lambda a: -f(a), cands[j], method="Nelder-Mead",
                         options={"xatol": 1e-9, "fatol": 1e-13, "maxfev": 400})
            if -r.fun > best:
                best, best_a = -r.fun, np.abs(r.x)
        return best - base, np.abs(best_a), base


@pytest.mark.slow
def test_invest_two_periods_checked_by_brute_force():
    agg = models.invest_aggregator(2)
    res = agg.solve(2, concept="feedback")
    assert res.success, res.message
    X = res.strategies.data  # (2, 2, 4)
    bf = BruteForce(agg)
    z0 = X[0].reshape(-1)
    # the last period is the static equilibrium at the state reached
    y1 = bf.model.values(z0, bf.y0, bf.theta)[1]
    np.testing.assert_allclose(bf.last_period(y1), X[1][:, :2].reshape(-1), rtol=1e-6)
    np.testing.assert_array_equal(X[1][:, 2:], 0.0)
    rng = np.random.default_rng(0)
    for i in range(2):
        gain, best, base = bf.best_deviation(i, z0, rng)
        np.testing.assert_allclose(base, res.payoffs[i], rtol=1e-8)
        assert gain <= 1e-8 * (1 + abs(base)), (i, gain)
        # the best deviation found is the equilibrium action itself
        np.testing.assert_allclose(best, z0[4 * i: 4 * i + 4], rtol=1e-4, atol=1e-6)
    assert bf.skipped == 0
    # the open-loop first period is not subgame perfect: the investing player gains by reacting
    ol = agg.solve(2)
    gain, _, _ = bf.best_deviation(1, ol.strategies.data[0].reshape(-1), rng)
    assert gain > 1e-5


def test_concepts_differ_with_investment_and_safety_difference_is_reported():
    agg = models.invest_aggregator(2)
    ol, fb = agg.solve(2), agg.solve(2, concept="feedback")
    assert ol.success and fb.success
    # player 2 (patient) invests more when it anticipates the rival's reaction to its lead
    assert fb.strategies.data[0, 1, 2] > ol.strategies.data[0, 1, 2] + 0.5
    diff = fb.probability_safe - ol.probability_safe
    assert abs(diff[0]) < 1e-9  # the first period's contest inputs agree here...
    assert diff[1] > 1e-3  # ...the second period is safer under feedback
    assert "certified" in fb.message


# ---------------------------------------------------------------- derivatives and policies
def central_values(fb, t, Y, start, h=1e-5):
    cols = []
    for j in range(len(Y)):
        e = np.zeros_like(Y)
        e[j] = h * (1 + abs(Y[j]))
        up = fb.solve_level(t, (Y + e)[None], start[None])
        dn = fb.solve_level(t, (Y - e)[None], start[None])
        assert up.ok[0] and dn.ok[0]
        cols.append((up.V[0] - dn.V[0]) / (2 * e[j]))
    return np.stack(cols, axis=-1)


@pytest.mark.slow
@pytest.mark.parametrize("end_on_win", [False, True])
def test_continuation_value_gradients_match_finite_differences(end_on_win):
    agg = models.invest_aggregator(2, end_on_win=end_on_win)
    fb = FeedbackGame(agg.game(3), SolverOptions())
    Y = fb.Y0 + np.array([0.7, 0.2, 0.3, 0.1])
    for t in (2, 1):  # the last period (static), then one with a continuation
        start = default_start(fb, t, Y)
        sol = fb.solve_level(t, Y[None], start[None])
        assert sol.ok[0]
        fd = central_values(fb, t, Y, sol.Z[0])
        np.testing.assert_allclose(sol.VY[0], fd, rtol=1e-5, atol=1e-7)
        # the policy derivative against re-solved policies
        e = np.zeros_like(Y)
        e[1] = 1e-5 * (1 + Y[1])
        up = fb.solve_level(t, (Y + e)[None], sol.Z)
        dn = fb.solve_level(t, (Y - e)[None], sol.Z)
        np.testing.assert_allclose(sol.policy_slope[0][:, 1], (up.Z[0] - dn.Z[0]) / (2 * e[1]), rtol=1e-4, atol=1e-7)


def test_policy_on_and_off_the_path():
    agg = models.invest_aggregator(2)
    res = agg.solve(2, concept="feedback")
    assert res.success
    X = res.strategies.data
    np.testing.assert_allclose(res.policy(0, res.states[0]), X[0], atol=1e-9)
    np.testing.assert_allclose(res.policy(1, res.states[1]), X[1], atol=1e-9)
    # off the path, the last period's policy is the static equilibrium at that state
    state = res.states[1] + np.array([[1.0, 0.5], [-2.0, 0.0]])
    z = res.policy(1, state)
    pf = agg.state.beliefs[0]
    moved = pf.replace(prod_func=dp.ProdFunc(state[:, 0], pf.prod_func.alpha, state[:, 1], pf.prod_func.beta))
    static = dp.Aggregator(moved).solve()
    np.testing.assert_allclose(z, static.strategies.data[0], rtol=1e-7, atol=1e-10)
    assert res.policy(1, state) is not res.policy(1, state)  # copies of the cached answer


def test_policy_rejects_bad_period_and_state():
    res = models.invest_aggregator(2).solve(2, concept="feedback")
    with pytest.raises(InvalidArgumentError, match="t \\(period\\)"):
        res.policy(2, res.states[0])
    with pytest.raises(InvalidArgumentError, match="state must be"):
        res.policy(0, [1.0, 2.0])


def test_bad_concept_and_method_are_refused():
    agg = models.basic_aggregator(2)
    with pytest.raises(InvalidArgumentError, match="concept must be one of"):
        agg.solve(2, concept="closed_loop")
    with pytest.raises(InvalidArgumentError, match="concept='feedback'"):
        agg.solve(2, concept="feedback", method="mixed")


# ---------------------------------------------------------------- statuses
def test_subgame_without_pure_equilibrium_is_named_in_the_status():
    phi = sp.Symbol("phi")
    csf = dp.CSF.custom(lambda p: [pi**phi / sum(pj**phi for pj in p) for pi in p], params={phi: 3.0})
    prod = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [1.0, 1.0], [1.0, 1.0])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.0, 0.0]), d=[0.0, 0.0], r=[0.1, 0.1], csf=csf)
    res = dp.Aggregator(pf, gammas=[0.9, 0.9]).solve(2, concept="feedback")
    assert not res.success
    assert res.status == dp.Status.NO_PURE
    assert res.message.startswith("period ")


def test_verdict_names_periods_with_several_equilibria():
    class Out:
        success, status, message, x = True, dp.Status.CERTIFIED, "certified equilibrium", np.zeros(2)

    one = PeriodOutcome(0, np.zeros(1), Out(), np.zeros((2, 1)), [], 0)
    two = PeriodOutcome(1, np.zeros(1), Out(), np.zeros((2, 1)), [np.ones(2)], 0)
    assert _verdict([one, one], 2)[0] == dp.Status.CERTIFIED
    status, success, message = _verdict([one, two], 2)
    assert status == SEVERAL and success and "period(s) [2]" in message
    assert _verdict([one], 2)[:2] == (dp.Status.NOT_CONVERGED, False)


def test_a_path_whose_next_period_refutes_the_assumed_equilibrium_is_no_success():
    """Period 2 must play the equilibrium that period 1's continuation values were computed with.
    Here the last period's subgame solver is made to report actions 1.5 times its answers (its
    values unchanged): period 2's certificate refutes the assumed point, and the path is reported
    not subgame perfect rather than certified with period 2's own equilibrium."""
    agg = models.invest_aggregator(2)
    fb = FeedbackGame(agg.game(2), SolverOptions())
    honest = solve_path(fb, SolverOptions())
    assert all(p.outcome.success and p.assumed_refuted is None for p in honest)

    wrong = FeedbackGame(agg.game(2), SolverOptions())
    solve_level = wrong.solve_level

    def inflated(t, *args, **kwargs):
        sol = solve_level(t, *args, **kwargs)
        if t == wrong.T - 1:
            sol.Z = 1.5 * sol.Z
        return sol

    wrong.solve_level = inflated
    periods = solve_path(wrong, SolverOptions())
    assert len(periods) == 2 and periods[1].assumed_refuted is not None
    status, success, message = _verdict(periods, 2)
    assert status == dp.Status.NOT_CONVERGED and not success
    assert message.startswith("period 1 of 2") and "not subgame perfect" in message


@pytest.mark.slow
def test_screening_candidates_leaves_the_three_period_answer_unchanged(monkeypatch):
    """Long remaining horizons screen the certificate's large candidate batches by a second-order
    expansion of the continuation values; with every candidate valued exactly the path is the same."""
    import dynapai_sym.solvers.feedback as fbmod

    agg = models.invest_aggregator(2)
    screened = agg.solve(3, concept="feedback")
    assert screened.success and any("screened" in note for note in screened.notes)
    monkeypatch.setattr(fbmod, "SCREEN_FROM", 99)
    exact = agg.solve(3, concept="feedback")
    assert exact.success and not any("screened" in note for note in exact.notes)
    np.testing.assert_allclose(screened.strategies.data, exact.strategies.data, atol=1e-9)


@pytest.mark.slow
def test_three_players_invest_two_periods():
    agg = dp.Aggregator(models.invest_aggregator(3).state, gammas=[0.5, 0.7, 0.9])
    ol, fb = agg.solve(2), agg.solve(2, concept="feedback")
    assert fb.success, fb.message
    assert fb.states.shape == (2, 3, 2)
    # the last period is the static game at the state reached (no investment: it only costs)
    np.testing.assert_array_equal(fb.strategies.data[1, :, 2:], 0.0)
    np.testing.assert_allclose(fb.policy(1, fb.states[1]), fb.strategies.data[1], atol=1e-9)
    assert ol.success and not np.allclose(fb.strategies.data, ol.strategies.data, atol=1e-4)


@pytest.mark.slow
def test_forward_and_central_differences_give_the_same_path():
    """The continuation values' second derivatives by forward differences (longer horizons) or
    central ones (the default up to three periods): the same equilibrium path."""
    agg = models.invest_aggregator(2)
    paths = {}
    for fd in ("central", "forward"):
        fb = FeedbackGame(agg.game(3), SolverOptions(), fd=fd)
        paths[fd] = np.array([p.outcome.x for p in solve_path(fb, SolverOptions())])
        assert all(p.outcome.success for p in solve_path(fb, SolverOptions(), extra_starts=0))
    np.testing.assert_allclose(paths["forward"], paths["central"], rtol=1e-7, atol=1e-9)
    with pytest.raises(InvalidArgumentError, match="fd must be"):
        FeedbackGame(agg.game(3), SolverOptions(), fd="backward")


@pytest.mark.slow
def test_several_equilibria_are_reported():
    """Three alike players (same discount factors, level start): the first period's equilibrium has
    two investors and one who does not, so passing the actions round gives another one."""
    pf = models.invest_aggregator(3).state.beliefs[0]
    res = dp.Aggregator(pf, gammas=[0.9, 0.9, 0.9]).solve(2, concept="feedback")
    assert res.success
    assert res.status == SEVERAL
    assert "period(s) [1]" in res.message
    first = res.periods[0]
    assert first.others and not np.allclose(first.others[0], first.outcome.x)


def test_one_period_feedback_is_the_static_equilibrium():
    agg = models.invest_aggregator(2)
    fb, ol = agg.solve(1, concept="feedback"), agg.solve(1)
    assert fb.success
    np.testing.assert_allclose(fb.strategies.data, ol.strategies.data, atol=1e-12)


@pytest.mark.parametrize("het", [False, True])
def test_end_on_win_and_heterogeneous_beliefs(het):
    if het:
        pf = models.invest_aggregator(2).state.beliefs[0]
        agg = dp.Aggregator([pf, pf.replace(risk_func=dp.RiskFunc.winner_only([0.3, 0.3]))], gammas=[0.5, 0.9])
    else:
        agg = models.invest_aggregator(2, end_on_win=True)
    res = agg.solve(2, concept="feedback")
    assert res.success, res.message
    second = res.states[:, 1] if het else res.states[1]  # each belief's state in period 2
    np.testing.assert_allclose(res.policy(1, second), res.strategies.data[1], atol=1e-9)
    # the realised payoffs are the open-loop evaluation of the path
    np.testing.assert_allclose(res.payoffs, agg.u(res.strategies), rtol=1e-12)


def test_start_from_a_given_profile():
    agg = models.invest_aggregator(2)
    first = agg.solve(2, concept="feedback")
    again = agg.solve(2, concept="feedback", init=first)
    assert again.success
    np.testing.assert_allclose(again.strategies.data, first.strategies.data, atol=1e-10)


def test_chord_iteration_leaves_the_three_player_answer_unchanged():
    """Subgames off the path solved by Newton with a fresh Jacobian at every step (the default) or
    by the chord iteration (the Jacobian kept while steps contract fast): the same certified path."""
    agg = dp.Aggregator(models.invest_aggregator(3).state, gammas=[0.5, 0.7, 0.9])
    game = agg.game(2)
    paths = {}
    for nested in ("chord", "newton"):
        fb = FeedbackGame(game, SolverOptions(), nested=nested)
        periods = solve_path(fb, SolverOptions(), extra_starts=0)
        assert len(periods) == 2 and all(p.outcome.success for p in periods), nested
        paths[nested] = np.array([p.outcome.x for p in periods])
    np.testing.assert_allclose(paths["chord"], paths["newton"], rtol=0, atol=1e-8)
    with pytest.raises(InvalidArgumentError, match="nested must be"):
        FeedbackGame(game, SolverOptions(), nested="broyden")


def test_first_period_starts_from_the_open_loop_first_order_point():
    """The default path starts its first period from the open-loop game's first-order point (a
    start only): the answer equals the one from the generic start."""
    from dynapai_sym.game.feedback import _open_loop_guess

    agg = models.invest_aggregator(2)
    game = agg.game(2)
    options = SolverOptions()
    guesses = _open_loop_guess(agg, game, 2, options)
    assert guesses is not None and guesses.shape == (2, game.m)
    from_guess = solve_path(FeedbackGame(game, options), options, guesses=guesses, extra_starts=0)
    generic = solve_path(FeedbackGame(game, options), options, extra_starts=0)
    assert all(p.outcome.success for p in from_guess + generic)
    np.testing.assert_allclose([p.outcome.x for p in from_guess], [p.outcome.x for p in generic], atol=1e-8)


def test_slow_feedback_solves_are_announced_before_they_start(monkeypatch):
    """Three players with investment (six moving state entries) over five periods: about 6^4
    subgames per first-period evaluation, hours of work; the user is warned before it starts.
    Two players over five periods (4^4) and three over four (6^3) take seconds: no warning."""
    from dynapai_sym.game import feedback as game_feedback

    assert game_feedback.slow_feedback_warning(4, 5) is None
    assert game_feedback.slow_feedback_warning(6, 4) is None
    message = game_feedback.slow_feedback_warning(6, 5)
    assert "6^4 = 1296" in message and "concept='open_loop'" in message

    class StopError(Exception):
        pass

    def not_solved(*args, **kwargs):
        raise StopError

    monkeypatch.setattr(game_feedback, "solve_path", not_solved)
    three = models.invest_aggregator(3)
    with pytest.warns(RuntimeWarning, match="6 moving state entries over 5 periods"), pytest.raises(StopError):
        three.solve(5, concept="feedback")


def test_last_period_subgame_with_a_player_nearly_out_is_finished():
    """A last-period subgame where player 2 is far behind (B_2 = 1.1 against 31) and nearly out
    (inputs of about 1e-3 beside 0.7): the batched Newton stalls at a residual of about 5e-5;
    Newton in log coordinates finishes it, at the static solver's certified equilibrium."""
    from dynapai_sym.solvers.feedback import PeriodGame
    from dynapai_sym.solvers.nash import solve_game

    agg = dp.Aggregator(models.invest_aggregator(3).state, gammas=[0.9, 0.9, 0.9])
    options = SolverOptions()
    state = np.array([28.17, 10.0037, 28.17, 31.256, 1.128, 31.256])
    start = np.array([0.72, 0.79, 0, 0, 0.26, 0.31, 0, 0, 0.72, 0.79, 0, 0])
    unpolished = FeedbackGame(agg.game(4), options)
    unpolished._polish_last = lambda *args: None
    assert not unpolished.solve_level(3, state[None], start[None]).ok[0]

    fb = FeedbackGame(agg.game(4), options)
    sol = fb.solve_level(3, state[None], start[None])
    assert sol.ok[0] and sol.residual[0] <= options.tol
    assert 1e-4 < sol.Z[0, 4] < 1e-2 and 1e-4 < sol.Z[0, 5] < 1e-2
    assert np.all(np.isfinite(sol.VY[0])) and np.all(np.isfinite(sol.policy_slope[0]))
    ref = solve_game(PeriodGame(fb, 3, state), start, options, "kkt")
    assert ref.success
    np.testing.assert_allclose(sol.Z[0], ref.x, atol=1e-10)


def _token_presence_model() -> dp.Aggregator:
    """Two players, investment, multiplicative risk, a contest that may have no winner: in the
    last period player 1 stays out of the race with a token safety input (x_p = 0, x_s -> 0+;
    exactly 0 would leave it unsafe, and everyone with it)."""
    prod = dp.ProdFunc(a=[7.5454, 14.3949], alpha=[0.4475, 0.5041], b=[3.3118, 3.4965], beta=[0.5926, 0.5494])
    pf = dp.PayoffFunc(prod_func=prod, risk_func=dp.RiskFunc.multiplicative([0.5809, 0.3376]),
                       csf=dp.CSF.maybe_no_win(1.2), d=[1.229, 1.5713], r=[0.1246, 0.148], r_inv=[0.049, 0.0178])
    return dp.Aggregator(pf, gammas=[0.7264, 0.7464])


def test_later_subgames_with_a_player_at_a_token_presence_are_solved():
    """The last period's subgames hold player 1 at a token presence (their Newton could not reach
    it: slopes of 1e70 at a token input). The feedback answer is certified; player 1's policy
    there does not move with the state, and the continuation values' state gradients match
    central differences of re-solved subgames."""
    from dynapai_sym.solvers.feedback import PeriodGame
    from dynapai_sym.solvers.nash import solve_game

    agg = _token_presence_model()
    res = agg.solve(2, concept="feedback")
    assert res.success, res.message
    last = res.strategies.data[1]
    assert last[0, 1] == 0.0 and 0.0 < last[0, 0] <= 1e-10
    assert last[1, 1] > 0.1
    fb = FeedbackGame(agg.game(2), SolverOptions())
    y = fb.next_state(res.strategies.data[0].reshape(1, -1), fb.Y0[None])[0]
    sol = fb.solve_level(1, y[None], last.reshape(1, -1))
    assert sol.ok[0]
    np.testing.assert_array_equal(sol.policy_slope[0, :2], 0.0)
    h = 1e-5
    for j in range(fb.dY):
        e = np.zeros(fb.dY)
        e[j] = h
        up = fb.solve_level(1, (y + e)[None], last.reshape(1, -1))
        down = fb.solve_level(1, (y - e)[None], last.reshape(1, -1))
        assert up.ok[0] and down.ok[0]
        np.testing.assert_allclose((up.V[0] - down.V[0]) / (2 * h), sol.VY[0][:, j], rtol=1e-5, atol=1e-9)
    # the static solver's answer to the same subgame: player 2 plays the same
    ref = solve_game(PeriodGame(fb, 1, y), last.reshape(-1), SolverOptions(), "kkt")
    assert ref.success
    np.testing.assert_allclose(sol.Z[0, 4:], ref.x[4:], atol=1e-8)


def test_a_token_presence_that_is_no_best_response_is_left():
    """Started with player 1 at a token presence where it is strong (A_1 five times larger), the
    subgame's answer has player 1 competing: re-entry gains, so the token start is left."""
    agg = _token_presence_model()
    fb = FeedbackGame(agg.game(2), SolverOptions())
    y = np.array([5 * 7.5454, 14.3949, 3.3118, 3.807])
    start = np.array([[1e-12, 0.0, 0.0, 0.0, 0.59, 0.34, 0.0, 0.0]])
    sol = fb.solve_level(1, y[None], start)
    assert sol.ok[0] and sol.Z[0, 0] > 0.1 and sol.Z[0, 1] > 0.1
    assert not fb.token_players(sol.Z).any()

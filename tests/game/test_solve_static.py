"""Static equilibria: closed forms, the equilibrium property, corners, games with no pure equilibrium."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynapai_sym as dp
from conftest import independent_best_gain
from dynapai_sym import models


def tullock_closed_form(n, A, d, r, beta):
    r"""The symmetric equilibrium with theta = 0, alpha = 1, winner-only risk, a Tullock contest.

    Derivation. With theta = 0 and alpha = 1, s_i = A x_s,i and sigma_i = A x_s,i / (1 + A x_s,i);
    the winner gets 1 and every player loses d when the winner's outcome is a disaster:

        u_i = sigma_i q_i - d sum_j (1 - sigma_j) q_j - r (x_s,i + x_p,i),  q_j = p_j / sum_k p_k.

    Safety: only sigma_i depends on x_s,i, so du_i/dx_s,i = (1 + d) sigma'(x_s,i) q_i. At a
    symmetric point q_i = 1/n and sigma' = A / (1 + A x)^2, so (1 + d) A / (n (1 + A x_s)^2) = r:

        x_s = (sqrt((1 + d) A / (n r)) - 1) / A.

    Performance: p_i = B x_p,i^beta moves only the q_j. With all sigma_j equal, the disaster term
    is d (1 - sigma) sum_j q_j = d (1 - sigma), constant in p_i, and dq_i/dp_i = (n - 1) / (n^2 p)
    at symmetry; with dp_i/dx_p,i = beta p / x_p the condition sigma (n - 1) beta / (n^2 x_p) = r gives

        x_p = sigma (n - 1) beta / (n^2 r).
    """
    xs = (np.sqrt((1 + d) * A / (n * r)) - 1) / A
    sigma = A * xs / (1 + A * xs)
    xp = sigma * (n - 1) * beta / (n**2 * r)
    return xs, xp


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_symmetric_tullock_closed_form(n):
    A, d, r, beta = 3.0, 0.7, 0.05, 0.6
    prod = dp.ProdFunc(np.full(n, A), np.ones(n), np.full(n, 2.0), np.full(n, beta))
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only(np.zeros(n)), d=np.full(n, d), r=np.full(n, r))
    res = dp.solve(pf)
    assert res.success, res.message
    xs, xp = tullock_closed_form(n, A, d, r, beta)
    np.testing.assert_allclose(res.strategies.data[0, :, 0], xs, rtol=1e-9)
    np.testing.assert_allclose(res.strategies.data[0, :, 1], xp, rtol=1e-9)
    assert res.kkt_residual <= 1e-10
    assert res.symmetric is True


def test_readme_model_equilibrium_is_certified_and_unbeatable():
    agg = dp.Aggregator(models.readme_payoff())
    res = agg.solve()
    assert res.success and res.status == dp.Status.CERTIFIED
    assert res.kkt_residual <= 1e-10
    assert np.all(independent_best_gain(agg, res) <= 1e-7)
    text = str(res)
    assert "certified equilibrium" in text and "KKT residual" in text
    assert len(res.optimum) == 1 and res.optimum() is res.optimum
    np.testing.assert_allclose(res.payoffs, agg.u(res.strategies))


def test_corner_equilibrium_has_an_exact_zero():
    """Additive risk, alpha = 1: expensive safety makes player 2 free-ride exactly at x_s = 0."""
    prod = dp.ProdFunc([10.0, 10.0], [1.0, 1.0], [10.0, 10.0], [0.5, 0.5])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.additive([0.0, 0.0]), d=[1.0, 1.0],
                       cost_func=dp.CostFunc.separate([0.05, 10.0], [0.1, 0.1]))
    agg = dp.Aggregator(pf)
    res = agg.solve()
    assert res.success, res.message
    assert res.strategies.data[0, 1, 0] == 0.0  # exactly zero, not 1e-9
    assert res.strategies.data[0, 0, 0] > 0.1
    g = agg.game(1).kkt_function(res.strategies.data.reshape(-1))
    assert g[2] < 0  # strictly negative marginal payoff at the corner
    assert np.all(independent_best_gain(agg, res) <= 1e-7)


def test_static_invest_actions_put_investment_at_zero():
    pf = models.invest_aggregator(2).state.beliefs[0]
    res = dp.solve(pf, t=1)
    assert res.success
    assert np.all(res.strategies.data[0, :, 2:] == 0.0)


def test_game_without_pure_equilibrium_is_not_reported_as_success():
    """Tullock contest with exponent 3 (> 2): the symmetric first-order point is beaten by dropping out."""
    phi = sp.Symbol("phi")
    csf = dp.CSF.custom(lambda p: [pi**phi / sum(pj**phi for pj in p) for pi in p], params={phi: 3.0})
    prod = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [1.0, 1.0], [1.0, 1.0])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.0, 0.0]), d=[0.0, 0.0], r=[0.1, 0.1], csf=csf)
    agg = dp.Aggregator(pf)
    res = agg.solve()
    assert not res.success
    assert res.status == dp.Status.NO_PURE
    assert "mixed" in res.message
    dev = res.deviation
    assert dev is not None and dev.gain > 0.1
    # the reported deviation really gains
    X = res.strategies.data.copy()
    X[:, dev.player, :] = dev.schedule
    assert agg.u(dp.Strategies(X))[dev.player] > res.payoffs[dev.player] + 0.1


def test_threshold_cost_model_is_solved_by_best_response():
    prod = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [10.0, 10.0], [0.5, 0.5])
    cert = dp.CostFunc.certification(r0=[0.15, 0.15], rs=[0.1, 0.1], s_thresh=2.0)
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.5, 0.5]), d=[1.0, 1.0], cost_func=cert)
    agg = dp.Aggregator(pf)
    res = agg.solve()
    assert res.method == "best_response_nm"
    assert np.isnan(res.kkt_residual)
    if res.success:
        assert np.all(independent_best_gain(agg, res, starts=3) <= 1e-5)
    else:
        assert res.status in (dp.Status.NO_PURE, dp.Status.NOT_CONVERGED)
    with pytest.raises(ValueError, match="smooth"):
        agg.solve(method="kkt")


def test_best_response_and_kkt_agree_on_a_smooth_game():
    agg = dp.Aggregator(models.readme_payoff(3))
    a = agg.solve(method="kkt")
    b = agg.solve(method="best_response")
    assert a.success and b.success
    np.testing.assert_allclose(a.strategies.data, b.strategies.data, rtol=1e-6)


@pytest.mark.property
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 4),
    A=st.floats(2.0, 20.0), B=st.floats(2.0, 20.0),
    alpha=st.floats(0.3, 0.8), beta=st.floats(0.3, 0.8),
    theta=st.floats(0.0, 1.0), d=st.floats(0.0, 2.0), r=st.floats(0.02, 0.2),
    spread=st.floats(0.0, 0.3),
)
def test_winner_only_equilibria_have_the_equilibrium_property(n, A, B, alpha, beta, theta, d, r, spread):
    scale = 1.0 + spread * np.linspace(-1, 1, n)  # asymmetric players
    prod = dp.ProdFunc(A * scale, np.full(n, alpha), B / scale, np.full(n, beta))
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only(np.full(n, theta)), d=np.full(n, d), r=np.full(n, r))
    agg = dp.Aggregator(pf)
    res = agg.solve()
    if res.success:
        assert res.kkt_residual <= 1e-8
        assert np.all(independent_best_gain(agg, res, starts=2) <= 1e-6 * (1 + np.abs(res.payoffs)))
    else:
        # e.g. A = 2 x (0.75, 1.25), B = 5 / that, alpha = 0.75, beta = theta = 0.5, d = 2, r = 0.125:
        # the weaker player gains by giving up, and against a player who has given up the other's
        # payoff rises as p -> 0 (it wins with any p > 0): no pure equilibrium exists
        assert res.status == dp.Status.NO_PURE, res.message
        dev = res.deviation
        X = res.strategies.data.copy()
        X[:, dev.player, :] = dev.schedule
        assert agg.u(dp.Strategies(X))[dev.player] > res.payoffs[dev.player]


@pytest.mark.property
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 3), risk=st.sampled_from(["multiplicative", "additive"]),
    theta=st.floats(0.0, 1.0), d=st.floats(0.1, 2.0), r=st.floats(0.02, 0.2),
)
def test_shared_risk_games_never_report_an_unverified_success(n, risk, theta, d, r):
    prod = dp.ProdFunc(np.full(n, 10.0), np.full(n, 0.5), np.full(n, 10.0), np.full(n, 0.5))
    pf = dp.PayoffFunc(prod, getattr(dp.RiskFunc, risk)(np.full(n, theta)), d=np.full(n, d),
                       r=np.full(n, r))
    agg = dp.Aggregator(pf)
    res = agg.solve()
    if res.success:
        assert res.kkt_residual <= 1e-8
        assert np.all(independent_best_gain(agg, res, starts=2) <= 1e-6 * (1 + np.abs(res.payoffs)))
    else:
        assert res.status in (dp.Status.NO_PURE, dp.Status.NOT_CONVERGED)
        if res.status == dp.Status.NO_PURE:
            dev = res.deviation
            X = res.strategies.data.copy()
            X[:, dev.player, :] = dev.schedule
            assert agg.u(dp.Strategies(X))[dev.player] > res.payoffs[dev.player]


def test_a_player_who_gave_up_is_checked_for_reentry():
    """Player 1 sits at (0, 0) — given up — under multiplicative risk; its neighbourhood is a
    singular corner, but re-entering with much safety and little performance pays. The profile
    where player 1 has given up was once certified; a certified answer must now survive an
    independent search, and a refusal must come with a real deviation."""
    pf = dp.PayoffFunc(
        dp.ProdFunc(a=[10.137835415589484, 15.73196952882564, 5.518140780204401],
                    alpha=[0.5160773419029494, 0.2204508939086897, 0.5143790742174791],
                    b=[19.92571914279469, 1.8865294589265182, 2.4320491147437155],
                    beta=[0.5437819209033088, 0.75918912408495, 0.5338343908408991]),
        dp.RiskFunc.multiplicative([0.9619026726518346, 0.31871926210117496, 0.9915504743457508]),
        csf=dp.CSF.maybe_no_win(), d=[2.3189703146680403, 1.0064446144443595, 2.5053050107881605],
        r=[0.020325483661543572, 0.10056069597330292, 0.2779294711160741])
    agg = dp.Aggregator(pf)
    res = agg.solve()
    if res.success:  # whatever is certified must survive an independent search
        assert np.all(independent_best_gain(agg, res, starts=8) <= 1e-6 * (1 + np.abs(res.payoffs)))
    else:
        dev = res.deviation
        X = res.strategies.data.copy()
        Y = X.copy()
        Y[:, dev.player] = dev.schedule
        gain = agg.u(dp.Strategies(Y))[dev.player] - agg.u(dp.Strategies(X))[dev.player]
        assert gain > 1e-7 * (1 + abs(res.payoffs[dev.player])) and gain == pytest.approx(dev.gain, rel=1e-6)


def test_a_payoff_still_rising_towards_a_singular_limit_is_not_certified():
    """Multiplicative risk with small theta: a player who gives up performance gains ever more as
    x_p -> 0 (s = A x_s^alpha p^-theta grows without bound), so no floor is a best response. A
    profile holding x_p at 7e-302 satisfies every test that looks only near it (the natural
    residual is x itself), yet going deeper still pays: it must not be certified."""
    n = 3
    prod = dp.ProdFunc(np.full(n, 10.0), np.full(n, 0.5), np.full(n, 10.0), np.full(n, 0.5))
    pf = dp.PayoffFunc(prod, dp.RiskFunc.multiplicative(np.full(n, 0.03125)), d=np.full(n, 1.0),
                       r=np.full(n, 0.125))
    agg = dp.Aggregator(pf)
    game = agg.game(1)
    x = np.array([3.48210e-4, 7.11261e-302, 0.5709314, 0.7494110, 0.5709314, 0.7494110])
    deeper = x.copy()
    deeper[1] = 1e-320
    assert game.payoffs(deeper)[0] > game.payoffs(x)[0]  # the limit is not attained at the floor
    cert = dp.solvers.certify(game, x, dp.SolverOptions(), check_global=False)
    assert cert.unattained == (0,) and not cert.passed
    assert "never attained" in cert.describe()


def test_two_players_giving_up_under_multiplicative_risk_is_found_and_certified():
    """Three players, multiplicative risk: two give up performance (the limit p -> 0, held at the
    floor 1e-300) and one competes. The solver once stopped with both at 1e-12, where going
    deeper still paid; a defeat by such a deviation now moves every player held at a floor to
    the deviation's depth. The answer must survive an independent derivative-free search."""
    prod = dp.ProdFunc(a=[19.108346533866836, 4.594873028953407, 19.07569004847039],
                       alpha=[0.3870988712062913, 0.4539958693835454, 0.6966215562922651],
                       b=[8.479383159198644, 11.21707690962466, 1.0374027082398332],
                       beta=[0.652107865204884, 0.522885987931567, 0.3978390298994553])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.multiplicative([0.7884287034284043, 0.303194829291645, 0.4534978894806515]),
                       csf=dp.CSF.maybe_no_win(), d=[1.2093389593413877, 0.6103657220284489, 0.7869400213255485],
                       r=[0.22760575506271524, 0.09131853981595157, 0.15070538258517416])
    agg = dp.Aggregator(pf)
    res = agg.solve()
    assert res.success, res.message
    X = res.strategies.data[0]
    assert X[1, 1] > 0.1 and X[0, 1] <= 1e-100 and X[2, 1] <= 1e-100
    assert np.all(independent_best_gain(agg, res) <= 1e-6 * (1 + np.abs(res.payoffs)))


def test_models_are_immutable_so_their_caches_cannot_go_stale():
    pf = models.readme_payoff()
    agg = dp.Aggregator(pf)
    agg.solve()  # builds the structure, the compiled model and the numeric game
    for obj, attr in ((pf, "n"), (pf, "risk_func"), (agg, "gammas"), (agg, "end_on_win"), (agg.state, "beliefs")):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(obj, attr, None)
    with pytest.raises(AttributeError, match="immutable"):
        del pf.csf
    changed = pf.replace(risk_func=dp.RiskFunc.winner_only([0.25, 0.25]))  # change = a new model
    assert changed.param_values != pf.param_values and changed.structure is pf.structure
    gammas = dp.Aggregator(pf, gammas=[0.9, 0.9]).gammas
    with pytest.raises(ValueError, match="read-only"):
        gammas[0] = 0.5


def _crawling_game(n: int) -> dp.Aggregator:
    """Random-draw games (winner-only risk, losers keep a share of the prize) where Newton from the
    default start creeps towards a player's corner for more than a hundred steps."""
    if n == 3:
        prod = dp.ProdFunc(a=[19.20129414289137, 7.8398057680964195, 7.689371156271614],
                           alpha=[0.439955696238383, 0.39221649863596236, 0.5681782971091138],
                           b=[6.7261907318517125, 18.444640605570207, 17.87195733625863],
                           beta=[0.301130812874648, 0.5165864646875177, 0.342740509609496])
        theta, lose = [0.2579549587609903, 0.4168960406331027, 0.4536161218532765], \
            [0.23407329547195033, 0.46375835043616315, 0.12938554471107522]
        d, r = [0.3757804215690759, 1.3410209481090003, 1.8932374067039555], \
            [0.18610595757987528, 0.17844499998622526, 0.03158402526625066]
    else:
        prod = dp.ProdFunc(a=[15.761220189323241, 9.212349920540051, 6.240873769971745, 19.546569789392898],
                           alpha=[0.5255706981471808, 0.5577283848604986, 0.5307485854010436, 0.49014438789197434],
                           b=[6.836029847717855, 9.703941818348271, 16.04312874027488, 18.610835495724974],
                           beta=[0.6554407780705551, 0.6793283527479768, 0.31016156854865745, 0.5952154340796484])
        theta = [0.672600076568488, 0.6251876404890218, 0.6376241879130656, 0.12627089153186732]
        lose = [0.3130830555082214, 0.3935459053430483, 0.0037005196622798553, 0.4605219136071874]
        d = [0.26126235482612303, 0.7514121454457092, 1.1013970937698132, 1.2165108876436426]
        r = [0.11889714959176205, 0.08978957779021166, 0.17845691909040906, 0.09139206811355541]
    reward = dp.RewardFunc.linear_reward(win_a=np.ones(n), win_b=np.zeros(n), lose_a=lose, lose_b=np.zeros(n))
    pf = dp.PayoffFunc(prod_func=prod, risk_func=dp.RiskFunc.winner_only(theta), reward_func=reward, d=d, r=r)
    return dp.Aggregator(pf)


def test_a_first_start_that_crawls_gives_way_to_the_next_starts_and_comes_back_when_they_fail(monkeypatch):
    """The first start's Newton runs stop after FIRST_STEPS steps when still moving. Three players:
    the best-response start then reaches the equilibrium (certified) without the long crawl. Four
    players, with the best-response start made useless (everyone at 0): the full run from the
    default start, deferred, is the one that reaches the certified equilibrium (the same profile
    as a plain 200-step run)."""
    from dynapai_sym.solvers import nash

    calls = []
    real = nash.solve_kkt

    def recording(game, start, tol, max_iter):
        run = real(game, start, tol=tol, max_iter=max_iter)
        calls.append((np.array(start), max_iter, run.converged, run.capped))
        return run

    monkeypatch.setattr(nash, "solve_kkt", recording)
    res = _crawling_game(3).solve(1)
    assert res.success
    assert calls[0][1] == nash.FIRST_STEPS and calls[0][3] and not calls[0][2]  # cut short, still moving
    assert all(max_iter != nash.FIRST_STEPS for _, max_iter, _, _ in calls[1:])
    assert calls[-1][2] and not np.allclose(calls[-1][0], calls[0][0])  # another start got there

    calls.clear()
    monkeypatch.setattr(nash._Search, "best_response_start", lambda self, x: np.zeros_like(x))
    agg = _crawling_game(4)
    res = agg.solve(1)
    assert res.success
    first = calls[0]
    assert first[1] == nash.FIRST_STEPS and first[3] and not first[2]
    deferred = [c for c in calls[1:] if np.array_equal(c[0], first[0])]
    assert len(deferred) == 1 and deferred[0][1] == dp.SolverOptions().iters and deferred[0][2]
    game = agg.game(1)
    full = real(game, first[0], tol=dp.SolverOptions().tol, max_iter=dp.SolverOptions().iters)
    assert full.converged
    np.testing.assert_allclose(res.strategies.data.reshape(-1), full.x, atol=1e-9)


def _record_post_search(monkeypatch) -> list:
    """Record (converged candidates, unconverged end points) each time the search goes on after
    its Newton starts (:meth:`_Search.settle`)."""
    from dynapai_sym.solvers import nash

    seen = []
    real = nash._Search.settle

    def recording(self, x):
        seen.append((len(self.tried), len(self.ends)))
        return real(self, x)

    monkeypatch.setattr(nash._Search, "settle", recording)
    return seen


def test_when_no_newton_start_converges_best_responses_from_the_closest_end_find_the_equilibrium(monkeypatch):
    """Four players, winner-only risk, a contest that may have no winner: at the equilibrium two
    players' performance inputs are about 1e-7, and every Newton start creeps towards them without
    converging. Local best responses from the run that came closest come to rest there, and
    Newton from that point converges: a certified equilibrium (an independent search on an
    independent implementation of the model finds the same profile)."""
    seen = _record_post_search(monkeypatch)
    prod = dp.ProdFunc(a=[9.02975597681233, 6.240212770123907, 2.265920446745186, 39.819801225865355],
                       alpha=[0.23941730522817672, 0.8224057340114459, 0.6891961462623021, 0.37862443955504077],
                       b=[7.981770340110311, 35.28972910540185, 47.12653715001253, 20.246691910234084],
                       beta=[0.21967051976585714, 0.5543580021542576, 0.4054345735266166, 0.7676849482123929])
    pf = dp.PayoffFunc(
        prod_func=prod,
        risk_func=dp.RiskFunc.winner_only([1.216989458844498, 1.0849521046167312, 1.4205422422743745,
                                           0.5358749838446832]),
        csf=dp.CSF.maybe_no_win(scale=1.7847637337348374),
        reward_func=dp.RewardFunc.linear_reward(
            win_a=np.ones(4), win_b=np.zeros(4), lose_b=np.zeros(4),
            lose_a=[0.264781894993539, 0.15192390334483635, 0.06594859779356421, 0.025412417909924323]),
        d=[2.4933819554435734, 4.945939573878852, 1.6429376459659668, 2.1724568846961074],
        r=[0.15035402270523077, 0.32374335762540146, 0.36836379219971915, 0.31741499538816215])
    res = dp.Aggregator(pf).solve(1)
    assert res.success, res.message
    assert seen and seen[0][0] == 0 and seen[0][1] > 0  # reached with no converged candidate
    expected = [8.10546e-02, 2.26114e-05, 1.45348e-03, 1.41179e-07, 8.18055e-03, 7.89901e-08,
                2.30993e-01, 1.36542e-01]
    np.testing.assert_allclose(res.strategies.data.reshape(-1), expected, rtol=1e-4)


def test_when_no_newton_start_converges_the_search_still_finds_the_equilibrium_where_nobody_takes_part(monkeypatch):
    """Three players, multiplicative risk, high prices: every Newton start creeps towards
    performance inputs of 0 and none converges. The search goes on from the run that came
    closest and certifies the equilibrium where nobody takes part (a lone entrant cannot make
    the world safe)."""
    seen = _record_post_search(monkeypatch)
    prod = dp.ProdFunc(a=[4.02330841822177, 44.310933242381346, 8.267658843510834],
                       alpha=[0.40319976140411595, 0.5112663491333529, 0.5226297613073353],
                       b=[14.439322965820395, 32.33143226907454, 30.492917990050714],
                       beta=[0.555103682764535, 0.2574259209550177, 0.3365964197805653])
    theta = [0.6991893238768798, 0.5934512492766395, 1.302588998718436]
    pf = dp.PayoffFunc(prod_func=prod, risk_func=dp.RiskFunc.multiplicative(theta),
                       reward_func=dp.RewardFunc.linear_reward(
                           win_a=np.ones(3), win_b=np.zeros(3), lose_b=np.zeros(3),
                           lose_a=[0.1650300945276728, 0.21082826414092598, 0.1699103463620451]),
                       d=[4.11280868841429, 2.095331339158162, 3.4717617990043026],
                       r=[0.45628932796382365, 0.2507066223296673, 0.43318255376438203])
    res = dp.Aggregator(pf).solve(1)
    assert res.success, res.message
    assert seen and seen[0][0] == 0 and seen[0][1] > 0
    assert np.all(res.strategies.data == 0.0)
    assert any("nobody takes part" in note for note in res.notes)


def _additive_tullock_game(a, alpha, b, beta, theta, lose_a, d, r) -> dp.Aggregator:
    """A one-period game under additive risk with the Tullock contest, losers rewarded ``lose_a``."""
    n = len(a)
    reward = dp.RewardFunc.linear_reward(win_a=np.ones(n), win_b=np.zeros(n), lose_b=np.zeros(n), lose_a=lose_a)
    pf = dp.PayoffFunc(prod_func=dp.ProdFunc(a=a, alpha=alpha, b=b, beta=beta),
                       risk_func=dp.RiskFunc.additive(theta), reward_func=reward, d=d, r=r)
    return dp.Aggregator(pf)


def test_a_defeated_search_settles_from_its_best_profile_onto_players_out_at_the_smallest_inputs():
    """Four players, additive risk, a Tullock contest. At the equilibrium two players are out:
    one keeps a safety input of about 1e-11 and no performance, the other about 1e-17 and
    1e-300 (under additive risk a player with no performance is safe with any safety input, so
    these are as good as the limit, to within 1e-12). Every Newton start ends defeated by a gain
    of about 1e-6 (a player at 1e-7 going to those depths); the search must not say "no pure
    equilibrium": best responses (climbs in log coordinates, then in the inputs) from its best
    profile settle there and the profile is certified (an independent search on an independent
    implementation of the model finds the same)."""
    res = _additive_tullock_game(
        a=[25.444681678124617, 12.72741664687208, 2.5701995189423497, 43.17341802080638],
        alpha=[0.39973929195235774, 0.32879612405978464, 0.6282550128092393, 0.25107305079794434],
        b=[20.42464278482019, 23.048105138319954, 25.92569557228599, 34.69032261564511],
        beta=[0.6941481895954242, 0.5192415216691978, 0.847914191556635, 0.6907621892370975],
        theta=[1.033316225001069, 1.453956018216505, 0.5824256598705705, 0.023242946413799148],
        lose_a=[0.3004832439457852, 0.4265795183143427, 0.4250218077880641, 0.44151923508840424],
        d=[3.2695462166248834, 3.3402484791075677, 2.495539139378549, 1.2343462738339173],
        r=[0.4186693725064843, 0.0335723676454058, 0.3350231118413607, 0.1223753492484553]).solve(1)
    assert res.success, res.message
    X = res.strategies.data[0]
    assert np.all(X[[0, 2]] < 1e-9)  # players 1 and 3 out
    np.testing.assert_allclose(X[[1, 3]], [[9.17423e-02, 5.55180e-05], [5.22109e-02, 7.15575e-02]], rtol=1e-4)


def test_players_with_negligible_performance_are_taken_out_of_the_race_exactly_and_the_rest_finished_in_logs():
    """Four players, additive risk, a Tullock contest. At the equilibrium players 1 and 2 are out
    of the race (no performance) and keep the smallest safety inputs (with no performance any
    safety input makes a player safe, so these are as good as the limit); players 3 and 4
    compete. Every Newton start ends defeated and best responses come to rest with the two
    players' performance at a floor of 1e-12 and safety near 1e-2 and 1e-8; from there, with
    performance exactly 0 and safety at a token 1e-12, Newton stalls at a residual of 1e-6 and
    the log-coordinate iteration finishes it. The search must not say "no pure equilibrium" (an
    independent search on an independent implementation of the model finds the same profile).

    Player 2's own best response is a token presence (x_s near 2e-8, x_p near 8e-12), better than
    the exit by 1.3e-9: below the tolerance, so the exit and the token presence are both answers;
    the search, whose ascents now follow a payoff below their first floor, may return either."""
    res = _additive_tullock_game(
        a=[31.83590723470146, 45.05739127780442, 29.196417934934374, 37.06510228840534],
        alpha=[0.3169077145687574, 0.3937331928379856, 0.6689191089287863, 0.5855608891143561],
        b=[24.203298066358208, 6.326421816153156, 27.133083130110737, 39.59585975610557],
        beta=[0.23574837675029572, 0.6174230485237691, 0.7620360633441294, 0.614779429721237],
        theta=[0.7911159170594235, 1.482268400910478, 0.05973161014179584, 0.026608745925900235],
        lose_a=[0.3346394735325555, 0.285842485512742, 0.4070979980828421, 0.03734618765858966],
        d=[2.660057768132452, 1.9506235364823938, 0.25056954279396193, 0.874650256572656],
        r=[0.42206319207921006, 0.3326253002433333, 0.45259528817129346, 0.3702272000928405]).solve(1)
    assert res.success, res.message
    X = res.strategies.data[0]
    assert X[0, 1] == 0.0 and X[0, 0] < 1e-9  # player 1 out of the race
    assert X[1, 1] <= 1e-10 and X[1, 0] < 1e-7  # player 2 out, or a token presence
    assert any(note.startswith("player(s) [1") and "are out of the race" in note for note in res.notes), res.notes
    np.testing.assert_allclose(X[2:], [[5.20282e-02, 1.82024e-01], [6.83476e-02, 2.95234e-01]], rtol=1e-4)

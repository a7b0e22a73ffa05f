"""Deviations that put an investment off or give it up, and sit a period out at a token presence.

A random four-period investment game (multiplicative risk, a contest nobody may win, the game
ending on a win) had a profile certified where player 1 invests at t = 0 while present with a
token input: postponing the investment to t = 1 (sitting that period out) gains 3% of its payoff
(an independent search found 11% with the later periods adjusted), and the certificate's
candidates had no such move (postponements were tried only in games with kinks).
"""

import numpy as np

import dynapai_sym as dp
from dynapai_sym.solvers.candidates import investment_withdrawals
from dynapai_sym.solvers.certify import certify

# the profile certified before (periods x players x (x_s, x_p, i_s, i_p))
FALSE_PROFILE = np.array([
    [[3.2966287151224773e-18, 1e-250, 5.401694877575181, 4.375503848767337],
     [0.465925995534859, 1.3137012347827828, 1.3050091595571828e-18, 1.305009170462396e-18]],
    [[0.3727246970119944, 0.1297765180665946, 0.0, 0.1726356265710825],
     [2.086486626194791e-18, 1e-250, 1.3050091609708216e-18, 1.3050091609708216e-18]],
    [[0.4199017874731436, 0.20928116533199326, 0.0, 0.0],
     [2.3665778543613495e-18, 1e-250, 1.3050091609708216e-18, 1.3050091609708216e-18]],
    [[0.47965787012813543, 0.4144859341018009, 0.0, 0.0],
     [1.302865687203278e-20, 1e-250, 1.3050091609708216e-18, 1.3050091609708216e-18]]])


def game_12035() -> dp.Aggregator:
    prod = dp.ProdFunc(a=[6.270695350518096, 12.540092983097878], alpha=[0.5303209269663847, 0.3699743887367488],
                       b=[1.2538586741010087, 1.123197056956105], beta=[0.5013295557650272, 0.6568689418294196])
    pf = dp.PayoffFunc(prod_func=prod, risk_func=dp.RiskFunc.multiplicative([0.23301462434091444, 0.586063123793618]),
                       csf=dp.CSF.maybe_no_win(0.5441328739856259), d=[0.7188680537092587, 1.3621136584654208],
                       r=[0.15937503542916354, 0.07861738333370498], r_inv=[0.009673214643518467, 0.03418945000545184])
    return dp.Aggregator(pf, gammas=[0.9849200434518451, 0.8563039427328689], end_on_win=True)


def test_postponing_the_investment_defeats_the_old_profile():
    agg = game_12035()
    game = agg.game(4)
    x = game.layout.pack(FALSE_PROFILE)
    U = agg.u(dp.Strategies(FALSE_PROFILE))
    # the move itself, valued independently of the certificate: invest at t = 1 instead, sitting it out
    moved = FALSE_PROFILE.copy()
    moved[1, 0] = [0.0, 0.0, FALSE_PROFILE[0, 0, 2], FALSE_PROFILE[0, 0, 3]]
    moved[0, 0, 2:] = 0.0
    assert agg.u(dp.Strategies(moved))[0] > U[0] + 1e-3
    cert = certify(game, x, dp.SolverOptions(), np.random.default_rng(0))
    assert not cert.passed
    assert cert.gains[0] > 1e-3 * (1 + abs(U[0]))
    # the reported deviation gains what it says, in the payoff itself
    dev = next(d for d in cert.deviations if d.player == 0)
    Y = FALSE_PROFILE.copy()
    Y[:, 0, :] = dev.schedule
    np.testing.assert_allclose(agg.u(dp.Strategies(Y))[0] - U[0], dev.gain, rtol=1e-6)


def test_the_solver_no_longer_certifies_it():
    res = game_12035().solve(4)
    if res.success:  # whatever it certifies now is another profile
        assert np.max(np.abs(res.strategies.data - FALSE_PROFILE)) > 1e-3


def test_withdrawals_drop_postpone_and_sit_out_at_a_token_presence():
    own = np.array([[1.0, 2.0, 3.0, 0.5],
                    [0.5, 0.4, 1e-12, 0.0],  # negligible investment: not withdrawn
                    [0.7, 0.6, 0.0, 0.0]])
    out = investment_withdrawals(own)
    assert out.shape == (3, 3, 4)  # period 0 only: dropped, dropped + token, postponed + token
    dropped, token, postponed = out
    np.testing.assert_array_equal(dropped[0, 2:], 0.0)
    np.testing.assert_array_equal(dropped[1:], own[1:])
    assert 0 < token[1, 0] < 1e-2 * own[1, 0] and 0 < token[1, 1] <= 1e-12
    np.testing.assert_array_equal(token[0, 2:], 0.0)
    np.testing.assert_allclose(postponed[1, 2:], own[1, 2:] + own[0, 2:])
    np.testing.assert_array_equal(postponed[1, :2], token[1, :2])
    assert investment_withdrawals(own[:, :2]).shape == (0, 3, 2)
    assert investment_withdrawals(np.zeros((3, 4))).shape == (0, 3, 4)

"""A player out of the race taking a competitor's place: an equilibrium no exit start reaches.

Six players, additive risk, a Tullock contest. The equilibrium has players 1 and 2 competing and
players 3 to 6 out of the race (no performance, token safety inputs); the Newton starts end with
players 1 and 6 (or 5 and 6) competing, defeated. Exit starts only remove players, and Newton
keeps a player out where it is; best responses cycle among give-ups (a player who competes alone
wins for nothing). From player 2 in player 6's place, Newton reaches the equilibrium. An
independent search (the reference's iterated best response, from its own start) finds the same
profile.
"""

import numpy as np

import dynapai_sym as dp


def test_an_equilibrium_reached_only_by_a_swap_is_found_and_certified():
    prod = dp.ProdFunc(a=[26.26913032107121, 35.34192009742439, 10.71499375249784, 26.567628325186348,
                          31.215118440667514, 29.134491120540762],
                       alpha=[0.8659968084038441, 0.26766021744905244, 0.6831443492970929, 0.532503831577706,
                              0.708045887050333, 0.6053401067367221],
                       b=[42.57081465564453, 38.63115441751219, 44.62467802714592, 9.169702308460831,
                          39.63764551653775, 38.63850566507092],
                       beta=[0.7441246070964171, 0.2252947621969468, 0.8012899344347051, 0.8851130104155049,
                             0.7855905181433771, 0.23907031612460283])
    risk = dp.RiskFunc.additive([0.19802094553684546, 1.1614051136177934, 0.19177075281760592,
                                 1.2890711102435257, 0.18913785847632886, 0.7978972276579464])
    reward = dp.RewardFunc(6, lose_a=[0.1912408674313275, 0.29292175744349364, 0.06147084086548765,
                                      0.24777381848101654, 0.24972759271116401, 0.06640547643255296])
    pf = dp.PayoffFunc(prod_func=prod, risk_func=risk, reward_func=reward,
                       d=[1.2894402956964035, 1.7743161100345133, 4.26367815233242, 4.69634248044099,
                          3.757894641822861, 4.581730491888655],
                       r=[0.24896761186436955, 0.21287210582877228, 0.382927335095613, 0.4546014420605167,
                          0.4571116223942008, 0.16854550666245746])
    res = dp.Aggregator(pf).solve()
    assert res.success, res.message
    X = res.strategies.data[0]
    # the reference's answer: players 1 and 2 compete, the others have no performance
    np.testing.assert_allclose(X[:2], [[1.96934e-01, 4.78351e-01], [1.19105e-01, 4.20286e-02]], rtol=1e-4)
    assert np.all(X[2:, 1] <= 1e-12) and np.all(X[2:, 0] < 1e-9)

"""BeliefChain: every entry point (values, gradients, batched gradients, Hessian rows) runs the one
forward pass and the one adjoint pass; they must agree with each other and with finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym import models


def het_invest():
    base = models.invest_aggregator(2).state.beliefs[0]
    return dp.Aggregator(dp.State.het_beliefs([base.replace(d=[2.0, 2.0]), base]), gammas=[0.9, 0.7])


CASES = {
    "invest_end_on_win": lambda: models.invest_aggregator(2, end_on_win=True),  # ds > 0, survival moves
    "basic_end_on_win": lambda: models.basic_aggregator(3, end_on_win=True),  # no moving state (ds = 0)
    "sharing": lambda: models.sharing_aggregator(3),  # k = 6, survival fixed at 1
    "het": het_invest,  # two chains, one player each
}


def central(f, x, eps=1e-6):
    """Central differences of f at x, one column (last axis) per entry of x."""
    steps = eps * np.maximum(1.0, np.abs(x))
    return np.stack([(f(x + e) - f(x - e)) / (2 * h) for e, h in zip(np.diag(steps), steps)], axis=-1)


def profile(game, seed):
    rng = np.random.default_rng(seed)
    return np.minimum(rng.uniform(0.2, 1.0, game.N), 0.9 * game.upper)


@pytest.mark.parametrize("case", sorted(CASES))
def test_entry_points_agree_path_by_path(case):
    game = CASES[case]().game(3)
    lay = game.layout
    X = np.stack([profile(game, s) for s in range(4)])  # (B, N)
    paths = lay.paths(X)  # (T, m, B)
    for chain in game.chains:
        assert chain.layout == lay
        objective = chain.objective(paths)  # (P, B), batched forward pass
        u, y, L, Q = chain.forward(paths)
        assert u.shape == (game.T, game.n, 4) and y.shape == (game.T + 1, chain.ds, 4)
        assert L.shape == (game.T + 1, 4) and Q.shape == (game.T, 4)
        for b in range(4):
            Z = lay.periods(X[b])
            grad, weights, values = chain.gradient(Z)
            # the batched forward pass equals the single one
            ub, yb, Lb, Qb = chain.forward(Z)
            np.testing.assert_allclose(u[..., b], ub, rtol=1e-13)
            np.testing.assert_allclose(y[..., b], yb, rtol=1e-13)
            np.testing.assert_allclose(L[:, b], Lb, rtol=1e-13)
            np.testing.assert_allclose(Q[:, b], Qb, rtol=1e-13, atol=1e-300)
            # U_i = sum_t gamma^t L_t u_i, from the adjoint pass and from the forward pass
            direct = np.sum(chain.discount * Lb[None, :-1] * ub[:, chain.players].T, axis=1)
            np.testing.assert_allclose(values, direct, rtol=1e-12)
            np.testing.assert_allclose(objective[:, b], values, rtol=1e-12)
            np.testing.assert_allclose(weights, chain.weights(Z), rtol=1e-13)
            np.testing.assert_allclose(weights, chain.discount * Lb[None, :-1], rtol=1e-13)
            # the second-order pass runs the same adjoint (through other compiled blocks)
            _, grad_h, weights_h, _ = chain.hessian_rows(Z)
            np.testing.assert_allclose(grad_h, grad, rtol=1e-11, atol=1e-14)
            np.testing.assert_allclose(weights_h, weights, rtol=1e-13)
            # one player with a batch axis: the same numbers as all players without one
            for pos in range(len(chain.players)):
                vb, gb = chain.player_gradient_batch(pos, paths)
                assert vb.shape == (4,) and gb.shape == (game.T, game.m, 4)
                np.testing.assert_allclose(vb[b], values[pos], rtol=1e-12)
                np.testing.assert_allclose(gb[..., b], grad[pos], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("case", sorted(CASES))
def test_schedules_of_different_players_in_one_batch_match_one_player_at_a_time(case):
    """players_gradient_batch (each schedule its own deviating player, one pass per chain) gives
    player_gradient_batch's values and own gradients, schedule by schedule."""
    game = CASES[case]().game(3)
    rng = np.random.default_rng(7)
    x = profile(game, 11)
    players = np.array([1, 0, 1, game.n - 1, 0, 1])
    own = np.minimum(rng.uniform(0.1, 2.0, (players.size, game.T, game.k)),
                     0.9 * game.layout.schedules(game.upper[game.layout.own_index(0)]))
    values, grads = game.players_gradient_batch(players, own, x)
    assert values.shape == (players.size,) and grads.shape == (players.size, game.T, game.k)
    for b, i in enumerate(players):
        v1, g1 = game.player_gradient_batch(int(i), own[b:b + 1], x)
        np.testing.assert_allclose(values[b], v1[0], rtol=1e-13)
        np.testing.assert_allclose(grads[b], g1[0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradient_and_hessian_rows_match_finite_differences(case):
    game = CASES[case]().game(3)
    lay = game.layout
    x = profile(game, 11)
    for chain in game.chains:
        hess, grad, weights, dweights = chain.hessian_rows(lay.periods(x))
        assert hess.shape == (len(chain.players), game.T, game.k, game.N)
        assert dweights.shape == (len(chain.players), game.T, game.N)
        # first order: dU_i/dx for every action, not only the player's own
        fd_grad = central(lambda v, chain=chain: chain.gradient(lay.periods(v))[2], x)  # (P, N)
        np.testing.assert_allclose(grad.reshape(len(chain.players), -1), fd_grad, rtol=1e-6, atol=1e-9)
        # second order: rows of the player's own actions, all columns
        fd_hess = central(lambda v, chain=chain: chain.gradient(lay.periods(v))[0].reshape(len(chain.players), -1), x)
        fd_dw = central(lambda v, chain=chain: chain.weights(lay.periods(v)), x)  # (P, T, N)
        for p, i in enumerate(chain.players):
            np.testing.assert_allclose(lay.own_rows(hess[p]), fd_hess[p][lay.own_index(i)], rtol=1e-5, atol=1e-8)
            np.testing.assert_allclose(dweights[p], fd_dw[p], rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("T", [1, 3])
def test_own_hessian_is_the_weight_normalised_own_block(T):
    game = models.invest_aggregator(2, end_on_win=True).game(T)
    x = profile(game, 5)
    for i in range(game.n):
        idx = game.own_index(i)

        def own_grad(v, i=i, idx=idx):
            return game.player_gradient(i, game.layout.with_own(x, i, v))[1]

        fd = central(own_grad, x[idx])  # d2 U_i / da_i^2
        scale = 1.0 / np.sqrt(np.repeat(game.weights(x)[i], game.k))
        expected = scale[:, None] * 0.5 * (fd + fd.T) * scale[None, :]
        H = game.own_hessian(i, x)
        assert H.shape == (T * game.k, T * game.k)
        np.testing.assert_array_equal(H, H.T)
        np.testing.assert_allclose(H, expected, rtol=1e-5, atol=1e-8)


def test_kkt_conditions_are_each_players_own_gradient_over_its_weights():
    game = models.sharing_aggregator(3, end_on_win=True).game(3)
    lay = game.layout
    x = profile(game, 2)
    G = game.kkt_function(x)
    G2, J = game.kkt_jacobian(x)
    np.testing.assert_allclose(G2, G, rtol=1e-12, atol=1e-15)
    assert J.shape == (game.N, game.N)
    W = game.weights(x)  # (n, T)
    for i in range(game.n):
        _, g = game.player_gradient(i, x)
        np.testing.assert_allclose(lay.own(G, i), lay.schedules(g) / W[i][:, None], rtol=1e-12)

"""The stationary objective u_i / (1 - gamma_i (1 - Q)) as a one-period model."""

from __future__ import annotations

import numpy as np
import pytest

from dynapai_sym import models
from dynapai_sym.errors import InvalidArgumentError
from dynapai_sym.numeric.stationary import StationaryModel


@pytest.mark.parametrize("end_on_win", [True, False])
def test_values_and_derivatives(end_on_win):
    agg = models.basic_aggregator(3, end_on_win=True)
    pf = agg.state.beliefs[0]
    y, th = pf.state_vector(), pf.param_vector()
    gam = np.array([0.3, 0.6, 0.9])
    sm = StationaryModel(pf.compiled, gam, end_on_win)
    z = np.random.default_rng(1).uniform(0.2, 1.5, sm.m)
    u, _, Q = pf.compiled.values(z, y, th)
    D = 1 - gam * (1 - Q) if end_on_win else 1 - gam
    assert np.allclose(sm.payoffs(z, y, th), u / D, rtol=1e-14)
    U_v, U_vv = sm.dynamic(z, y, th)[:2]
    eps = 1e-6
    E = np.eye(sm.m)
    fd = np.array([(sm.payoffs(z + eps * e, y, th) - sm.payoffs(z - eps * e, y, th)) / (2 * eps) for e in E]).T
    assert np.max(np.abs(fd - U_v)) < 1e-8
    fd2 = np.array([(sm.dynamic(z + eps * e, y, th)[0] - sm.dynamic(z - eps * e, y, th)[0]) / (2 * eps)
                    for e in E])  # (m, n, m): d/dz_e of U_v
    assert np.max(np.abs(np.moveaxis(fd2, 0, 2) - U_vv)) < 1e-7
    g, J = sm.static(z, y, th)
    for i in range(3):
        own = slice(i * 2, i * 2 + 2)
        assert np.allclose(g[i], U_v[i, own])
        assert np.allclose(J[i], U_vv[i, own])
    # with a batch axis last, as the solvers call it
    Zb = np.stack([z, 1.1 * z], axis=1)
    gb, Jb = sm.static(Zb, y, th)
    assert np.allclose(gb[..., 0], g) and np.allclose(Jb[..., 0], J)


def test_refuses_moving_state_and_bad_discounts():
    inv = models.invest_aggregator(2).state.beliefs[0]
    with pytest.raises(InvalidArgumentError, match="do not move the state"):
        StationaryModel(inv.compiled, [0.5, 0.5], True)
    pf = models.basic_aggregator(2, end_on_win=True).state.beliefs[0]
    with pytest.raises(InvalidArgumentError, match="gammas"):
        StationaryModel(pf.compiled, [0.5, 1.0], True)

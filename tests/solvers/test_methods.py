"""The solver-method registry: every caller reads it, and a new method is one registration.

The recipe of docs/architecture.md ("How to add a solver method"), followed here with a toy
method registered in the test itself.
"""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym import models
from dynapai_sym.solvers import METHODS, SolverMethod, get_method, register_method
from dynapai_sym.solvers.methods import unregister_method
from dynapai_sym.solvers.nash import solve_game


def test_the_registry_lists_every_builtin_method_with_its_capabilities():
    assert set(METHODS) >= {"auto", "kkt", "best_response", "best_response_nm", "mixed"}
    assert get_method("mixed").mixed and not get_method("mixed").certifies
    assert get_method("kkt").predictor and get_method("kkt").needs_smooth
    assert not get_method("best_response_nm").predictor


@pytest.mark.parametrize("bad", ["newton", "", "KKT"])
def test_unknown_methods_are_refused_everywhere_with_the_choices(bad):
    agg = dp.Aggregator(models.readme_payoff())
    with pytest.raises(ValueError, match="method must be one of .*'mixed'"):
        agg.solve(method=bad)
    with pytest.raises(ValueError, match="method must be one of"):
        dp.Scenario.from_params(n=2, r=[0.1, 0.12], varying="r").solve(method=bad)
    with pytest.raises(TypeError, match="method must be a string"):
        agg.solve(method=3)


def test_solve_game_lists_only_what_it_accepts():
    game = dp.Aggregator(models.readme_payoff()).game(1)
    with pytest.raises(ValueError) as info:
        solve_game(game, np.ones(game.N), dp.SolverOptions(), "mixed")
    assert "'mixed'" in str(info.value) and "'kkt'" in str(info.value)  # lists its own choices, refuses mixed


@pytest.fixture
def toy_method():
    """A toy method: KKT root-finding from half the start. Registered for the test only."""
    calls = []

    def solve_from_half(game, x0, options, check_global=True):
        calls.append(game.T)
        return solve_game(game, 0.5 * np.asarray(x0), options, "kkt", check_global=check_global)

    register_method(SolverMethod("toy_half", solve_from_half, "KKT from half the start", predictor=False))
    yield calls
    unregister_method("toy_half")
    assert "toy_half" not in METHODS


def test_a_method_registered_in_a_test_serves_solve_and_sweeps(toy_method):
    agg = dp.Aggregator(models.readme_payoff())
    res = agg.solve(method="toy_half")
    reference = agg.solve()
    assert toy_method == [1]
    assert res.success and np.allclose(res.strategies.data, reference.strategies.data, atol=1e-8)
    sweep = dp.Scenario.from_params(n=2, r=[0.08, 0.1, 0.12], varying="r").solve(method="toy_half")
    assert len(toy_method) >= 4 and sweep.success.all()
    with pytest.raises(ValueError, match="exists"):
        register_method(SolverMethod("toy_half", lambda *a, **k: None, "again"))

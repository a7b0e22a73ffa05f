r"""The solver methods, by name: one registry that every caller reads.

Each entry is a :class:`SolverMethod`: a function ``solve(game, x0, options, check_global)``
returning an outcome (``x``, ``success``, ``status``, ``message``, ``certificate``, ...) and
the capabilities the rest of the package asks about:

=========================  ============================================================
capability                 meaning
=========================  ============================================================
``certifies``              a success is a certified pure equilibrium (KKT, second order,
                           global probe)
``mixed``                  the answer is a mixed strategy (samples and exploitability)
``predictor``              the implicit-function-theorem warm start of sweeps applies
                           (the method seeks a first-order point of a smooth model)
``needs_smooth``           the model must be differentiable (no threshold costs)
=========================  ============================================================

``Aggregator.solve``, ``Scenario.solve`` and :func:`~dynapai_sym.solvers.nash.solve_game`
validate ``method=`` against this registry, so adding a method is one
:func:`register_method` call (see ``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InvalidArgumentError, InvalidTypeError
from .mixed import solve_mixed
from .nash import solve_game

__all__ = ["SolverMethod", "METHODS", "register_method", "unregister_method", "get_method", "method_names"]


@dataclass(frozen=True)
class SolverMethod:
    """A named way to solve a numeric game, with its capabilities (see the module docstring).

    Parameters
    ----------
    name : str
        What users pass as ``method=``.
    solve : callable
        ``solve(game, x0, options, check_global=True) -> outcome``.
    description : str
        One line for messages and documentation.
    certifies, mixed, predictor, needs_smooth : bool
        Capabilities (module docstring).
    """

    name: str
    solve: Callable
    description: str
    certifies: bool = True
    mixed: bool = False
    predictor: bool = False
    needs_smooth: bool = False


#: name -> SolverMethod, in the order they are listed to users
METHODS: dict[str, SolverMethod] = {}


def register_method(method: SolverMethod, *, replace: bool = False) -> SolverMethod:
    """Add ``method`` to :data:`METHODS` (``replace=True`` to redefine an existing name)."""
    if not isinstance(method, SolverMethod):
        raise InvalidTypeError(f"method must be a SolverMethod, got {type(method).__name__}")
    if not method.name.isidentifier():
        raise InvalidArgumentError(f"method name must be an identifier, got {method.name!r}")
    if method.name in METHODS and not replace:
        raise InvalidArgumentError(f"a solver method named {method.name!r} exists; pass replace=True to redefine it")
    METHODS[method.name] = method
    return method


def unregister_method(name: str) -> None:
    """Remove a method added by :func:`register_method`."""
    METHODS.pop(name, None)


def method_names() -> tuple[str, ...]:
    """The registered method names."""
    return tuple(METHODS)


def get_method(name, argument: str = "method") -> SolverMethod:
    """The method called ``name``; a clear error naming ``argument`` and the choices otherwise."""
    if not isinstance(name, str):
        raise InvalidTypeError(f"{argument} must be a string, one of {method_names()}, got {type(name).__name__}")
    if name not in METHODS:
        raise InvalidArgumentError(f"{argument} must be one of {method_names()}, got {name!r}")
    return METHODS[name]


def _pure(name: str) -> Callable:
    def solve(game, x0, options, check_global: bool = True):
        return solve_game(game, x0, options, name, check_global=check_global)

    solve.__name__ = f"solve_{name}"
    solve.__doc__ = f"``solve_game(..., method={name!r})``."
    return solve


def _mixed(game, x0, options, check_global: bool = True):
    return solve_mixed(game, x0, options)


for _method in (
    SolverMethod("auto", _pure("auto"), "KKT root-finding for smooth models, Nelder-Mead best response otherwise",
                 predictor=True),
    SolverMethod("kkt", _pure("kkt"), "semismooth KKT root-finding with restarts, then certification",
                 predictor=True, needs_smooth=True),
    SolverMethod("best_response", _pure("best_response"), "iterated best response (L-BFGS-B), then certification"),
    SolverMethod("best_response_nm", _pure("best_response_nm"),
                 "iterated best response (Nelder-Mead, as the dynapai engine), then certification"),
    SolverMethod("mixed", _mixed, "history of best responses (fictitious play); a mixed strategy and its "
                 "exploitability", certifies=False, mixed=True),
):
    register_method(_method)

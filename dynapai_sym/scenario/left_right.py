"""Both sides of a claim built and solved in one call (as AIIncentives.jl's ``solve_left_right``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidArgumentError, InvalidTypeError
from .results import ScenarioResult
from .scenario import Scenario

__all__ = ["solve_left_right"]


def solve_left_right(
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    common: Mapping[str, Any] | None = None,
    *,
    varying: str,
    varying2: str | None = None,
    **solve_kwargs: Any,
) -> tuple[ScenarioResult, ScenarioResult]:
    """Build and solve the two sides of a claim, as AIIncentives.jl's ``solve_left_right``.

    Each side is ``Scenario.from_params(**common, **side, varying=varying, varying2=varying2)``:
    ``common`` holds what the sides share (normally the range of the varying parameter),
    ``left`` and ``right`` what makes them differ.

    Parameters
    ----------
    left, right : mapping of str to value
        Keyword arguments of :meth:`~dynapai_sym.scenario.Scenario.from_params` that belong to
        one side only (e.g. ``{"a": 5.0}`` and ``{"a": 15.0}``).
    common : mapping of str to value, optional
        Keyword arguments shared by both sides (e.g. ``{"r": np.linspace(0.05, 0.15, 6), "n": 2}``).
    varying, varying2 : str
        The varying parameter(s), as in ``from_params``.
    **solve_kwargs
        Passed to :meth:`~dynapai_sym.scenario.Scenario.solve` for both sides (``n_jobs``,
        ``method``, ``options``, ...).

    Returns
    -------
    (ScenarioResult, ScenarioResult)
        The left and the right side, ready for :func:`compare`.

    Raises
    ------
    TypeError
        If a side or ``common`` is not a mapping with string keys.
    ValueError
        If a key is set both by a side and by ``common``, or names ``varying``/``varying2``
        (give those as arguments); ``from_params`` and ``solve`` raise for bad values.
    """
    common = {} if common is None else common
    for name, given in (("left", left), ("right", right), ("common", common)):
        if not isinstance(given, Mapping) or not all(isinstance(k, str) for k in given):
            raise InvalidTypeError(f"{name} must be a mapping of from_params argument names to values, "
                            f"got {type(given).__name__}")
        for key in ("varying", "varying2", "values", "values2"):
            if key in given and name != "common":
                raise InvalidArgumentError(f"{name} sets {key!r}: the grid is common; "
                                           "give varying=/varying2= as arguments "
                                 f"and ranges in common")
        if name != "common":
            both = sorted(set(given) & set(common))
            if both:
                raise InvalidArgumentError(f"{name} and common both set {both}: "
                                           "a parameter is either shared or per side")
    sides = []
    for name, given in (("left", left), ("right", right)):
        try:
            scenario = Scenario.from_params(**{**common, **given}, varying=varying, varying2=varying2)
        except TypeError as exc:
            raise InvalidTypeError(f"{name}: {exc}") from exc
        except ValueError as exc:
            raise InvalidArgumentError(f"{name}: {exc}") from exc
        sides.append(scenario.solve(**solve_kwargs))
    return sides[0], sides[1]

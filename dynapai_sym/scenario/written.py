r"""Components written as expressions in :meth:`Scenario.from_params <dynapai_sym.scenario.Scenario.from_params>`.

``Scenario.from_params(production={"s": ..., "p": ...}, risk={"sigma": ...},
disaster={"d": ...}, params={"k": ...})`` builds every point with components written as
expressions (:mod:`dynapai_sym.components.expression`). The expressions may use the
built-in names (``A``, ``alpha``, ``B``, ``beta``, ``theta``, ``d``, ``r``: the values of
``a``, ``alpha``, ``b``, ``beta``, ``theta``, ``d``, ``r``) and the new parameters of
``params``, which can vary like the built-in ones (``varying="k"``). Every point shares
one compiled structure.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..components import ProdFunc, RiskFunc
from ..components.expression import ExprDisasterCost, ExprProdFunc, ExprRiskFunc, PlayerExpr, check_parameter_name
from ..errors import InvalidArgumentError, InvalidTypeError

__all__ = ["WrittenParts"]

#: names in expressions -> the from_params argument that holds their values
BUILTIN_VALUES: dict[str, str] = {"A": "a", "alpha": "alpha", "B": "b", "beta": "beta", "theta": "theta", "d": "d",
                                  "r": "r"}
_KEYS = {"production": ("s", "p"), "risk": ("sigma",), "disaster": ("d",)}
_VARIABLES = {("production", "s"): ("x_s", "x_p", "p"), ("production", "p"): ("x_s", "x_p"),
              ("risk", "sigma"): ("s", "p"), ("disaster", "d"): ("x_s", "x_p", "i_s", "i_p", "share_s", "share_p",
                                                    "s", "p", "s_winner", "p_winner")}
_TAKEN = ("a", "b", "r_inv", "r_share", "w", "gammas", "n", "t", "varying", "values", "varying2", "values2")


class WrittenParts:
    """The written components of a scenario, checked once; :meth:`components` builds them per point.

    Parameters
    ----------
    risk : str or mapping
        A built-in risk name (nothing written) or ``{"sigma": expression}``.
    production, disaster : mapping, optional
        ``{"s": ..., "p": ...}`` and ``{"d": ...}``.
    params : mapping, optional
        Values of the new parameters used by the expressions (a number, one per player, or the
        range of a varying one).
    """

    def __init__(self, risk, production: Mapping | None, disaster: Mapping | None, params: Mapping | None):
        self.exprs: dict[tuple[str, str], PlayerExpr] = {}
        params = {} if params is None else params
        if not isinstance(params, Mapping):
            raise InvalidTypeError(f"params must be a mapping from a new parameter's name to its values, "
                                   f"got {type(params).__name__}")
        for name in params:
            check_parameter_name(name, "params")
            if name in BUILTIN_VALUES or name in _TAKEN:
                raise InvalidArgumentError(f"params[{name!r}]: {name} is a built-in parameter; give it as "
                                           f"{BUILTIN_VALUES.get(name, name)}=...")
        self.params = dict(params)
        known = (*BUILTIN_VALUES, *self.params)
        for comp, spec in (("production", production), ("risk", risk if isinstance(risk, Mapping) else None),
                           ("disaster", disaster)):
            if spec is None:
                continue
            if not isinstance(spec, Mapping) or set(spec) != set(_KEYS[comp]):
                raise InvalidArgumentError(f"{comp} must be a mapping with the keys {', '.join(_KEYS[comp])} "
                                           f"(expressions), got {spec!r}")
            for key in _KEYS[comp]:
                self.exprs[(comp, key)] = PlayerExpr(spec[key], _VARIABLES[(comp, key)], known, "Scenario.from_params",
                                                     f"{comp}.{key}")
        used = {name for ex in self.exprs.values() for name in ex.params}
        unused = [name for name in self.params if name not in used]
        if unused:
            raise InvalidArgumentError(f"params: {', '.join(unused)} not used by any expression")

    @property
    def names(self) -> tuple[str, ...]:
        """The new parameters' names."""
        return tuple(self.params)

    def has(self, comp: str) -> bool:
        return any(key[0] == comp for key in self.exprs)

    def _values(self, vals: Mapping, *exprs: PlayerExpr, skip=()) -> dict:
        out = {}
        for ex in exprs:
            for name in ex.params:
                if name not in skip:
                    out[name] = vals[BUILTIN_VALUES.get(name, name)]
        return out

    def _reused(self, key: tuple, build):
        """The built-in component of these values (``key``: a kind, then its arguments), built once:
        components are immutable, so the points of a grid that share values share the component."""
        parts = []
        for v in key:
            if isinstance(v, np.ndarray):
                parts.append((v.shape, v.tobytes()))
            elif v is None or isinstance(v, (str, int, float)):
                parts.append(v)
            else:  # anything else: not worth a key
                return build()
        hashable = tuple(parts)
        memo = self.__dict__.setdefault("_memo", {})
        if hashable not in memo:
            if len(memo) > 64:
                memo.clear()
            memo[hashable] = build()
        return memo[hashable]

    def components(self, vals: Mapping, risk) -> tuple:
        """``(prod_func, risk_func, d)`` of one point, from its values ``vals`` (from_params' names)."""
        if self.has("production"):
            s, p = self.exprs[("production", "s")], self.exprs[("production", "p")]
            prod = ExprProdFunc(s, p, params=self._values(vals, s, p, skip=("theta",)), n=len(vals["theta"]))
        else:
            prod = self._reused(("prod", vals["a"], vals["alpha"], vals["b"], vals["beta"]),
                                lambda: ProdFunc(a=vals["a"], alpha=vals["alpha"], b=vals["b"], beta=vals["beta"]))
        if self.has("risk"):
            sigma = self.exprs[("risk", "sigma")]
            risk_func = ExprRiskFunc(sigma, theta=vals["theta"], params=self._values(vals, sigma, skip=("theta",)))
        else:
            risk_func = self._reused(("risk", risk, vals["theta"], vals["w"]),
                                     lambda: RiskFunc(risk, vals["theta"], vals["w"]))
        if self.has("disaster"):
            d = self.exprs[("disaster", "d")]
            disaster = ExprDisasterCost(d, params=self._values(vals, d), n=len(vals["theta"]))
        else:
            disaster = vals["d"]
        return prod, risk_func, disaster

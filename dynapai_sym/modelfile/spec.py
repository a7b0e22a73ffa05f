r"""A model as data: :class:`ModelSpec`, what a model file says, checked and built.

A :class:`ModelSpec` holds the tables of a model file (see ``docs/model_files.md``) as plain
Python values, exactly as written, so that saving it writes the same file back. Checking it
(:meth:`ModelSpec.from_dict`) reports the first problem with the file's name and the key;
building it (:meth:`ModelSpec.aggregator`) gives the :class:`~dynapai_sym.game.Aggregator`,
and :meth:`ModelSpec.scenario` the sweep as a :class:`~dynapai_sym.scenario.Scenario`.

=========================  ============================================================
file                       model
=========================  ============================================================
``players``                n
``actions``                ``"basic"`` (k = 2), ``"invest"`` (4), ``"sharing"`` (6)
``[parameters]``           per-player values: a number (every player) or a list
``[components]``           ``production``, ``risk``, ``csf``, ``disaster``, ``cost``: a
                           built-in by name, or a table of expressions
``[horizon]``              ``t`` (default 1), ``gammas``, ``end_on_win`` (default false)
``[sweep]``                one or two parameters, ``{start, stop, num}`` or ``{values}``
=========================  ============================================================
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..components import CSF, CostFunc, DisasterCost, ProdFunc, RiskFunc
from ..components.expression import (
    ACTION_NAMES,
    BUILTIN_PARAMETERS,
    ExprCostFunc,
    ExprDisasterCost,
    ExprProdFunc,
    ExprRiskFunc,
    PlayerExpr,
    check_parameter_name,
)
from ..errors import InvalidArgumentError
from ..game import Aggregator, PayoffFunc
from ..scenario import Scenario

__all__ = ["ModelSpec", "ACTION_TYPES", "RISKS", "CONTESTS"]

#: action type names -> actions per player
ACTION_TYPES: dict[str, int] = {"basic": 2, "invest": 4, "sharing": 6}
#: built-in risk names in files
RISKS: tuple[str, ...] = ("winner_only", "multiplicative", "additive")
#: built-in contest names in files -> CSF form
CONTESTS: dict[str, str] = {"tullock": "default", "maybe_no_win": "maybe_no_win"}
#: expression keys of each component table and the player's quantities they may use
EXPRESSION_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "production": {"s": ("x_s", "x_p", "p"), "p": ("x_s", "x_p")},
    "risk": {"sigma": ("s", "p")},
    "disaster": {"d": ("actions", "s", "p", "s_winner", "p_winner")},
    "cost": {"c": ("actions", "s", "p")},
}
_TOP = ("players", "actions", "parameters", "components", "horizon", "sweep")
_HORIZON = ("t", "gammas", "end_on_win")
_SCALAR = ("kappa",)  # parameters with one value for all players


class _Check:
    """Error messages that name the file and the key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, message: str):
        raise InvalidArgumentError(f"{self.source}: {key}: {message}")

    def number(self, key: str, value, *, positive: bool = False, integer: bool = False):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            self.fail(key, f"expected a finite number, got {value!r}")
        if integer and (not isinstance(value, int) or value < 1):
            self.fail(key, f"expected a positive whole number, got {value!r}")
        if positive and value <= 0:
            self.fail(key, f"expected a positive number, got {value!r}")
        return value

    def table(self, key: str, value, allowed: tuple[str, ...] | None = None) -> Mapping:
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a table, got {value!r}")
        if allowed is not None:
            for name in value:
                if name not in allowed:
                    self.fail(f"{key}.{name}" if key else name,
                              f"unknown key; expected one of {', '.join(allowed)}")
        return value


@dataclass(frozen=True, eq=True)
class ModelSpec:
    """A model file's content, checked (see the module docstring).

    Build with :meth:`from_dict` (checks everything and reports the file and key of the first
    problem); :meth:`aggregator` and :meth:`scenario` build the model.
    """

    players: int
    actions: str
    parameters: dict = field(default_factory=dict)
    components: dict = field(default_factory=dict)
    horizon: dict = field(default_factory=dict)
    sweep: dict = field(default_factory=dict)
    source: str = field(default="model", compare=False)

    # ------------------------------------------------------------------ checking
    @classmethod
    def from_dict(cls, data: Mapping, source: str = "model") -> ModelSpec:
        """Check the tables of a model file and build the spec (the model is built too, to check it).

        Raises
        ------
        InvalidArgumentError
            The first problem, as ``"<source>: <key>: <what is wrong and what is expected>"``.
        """
        chk = _Check(source)
        chk.table("", data, _TOP)
        if "players" not in data:
            chk.fail("players", "missing; give the number of players (at least 2)")
        players = chk.number("players", data["players"], integer=True)
        if players < 2:
            chk.fail("players", f"expected at least 2, got {players}")
        actions = data.get("actions", "basic")
        if actions not in ACTION_TYPES:
            chk.fail("actions", f"expected one of {', '.join(map(repr, ACTION_TYPES))}, got {actions!r}")
        parameters = dict(chk.table("parameters", data.get("parameters", {})))
        for name, value in parameters.items():
            key = f"parameters.{name}"
            try:
                check_parameter_name(name, key) if name not in _SCALAR else None
            except InvalidArgumentError as exc:
                chk.fail(key, str(exc).split(": ", 1)[-1])
            if isinstance(value, list):
                if name in _SCALAR:
                    chk.fail(key, "expected one number (it is the same for every player)")
                if len(value) != players:
                    chk.fail(key, f"expected a number or a list of {players} numbers (one per player), "
                                  f"got {len(value)} numbers")
                for j, v in enumerate(value):
                    chk.number(f"{key}[{j}]", v)
            else:
                chk.number(key, value)
        components = dict(chk.table("components", data.get("components", {}), tuple(EXPRESSION_KEYS) + ("csf",)))
        for name, value in components.items():
            key = f"components.{name}"
            if isinstance(value, Mapping):
                if name == "csf":
                    chk.fail(key, f"expected one of {', '.join(map(repr, CONTESTS))}")
                chk.table(key, value, tuple(EXPRESSION_KEYS[name]))
                for sub, text in value.items():
                    if not isinstance(text, str):
                        chk.fail(f"{key}.{sub}", f"expected an expression as a string, got {text!r}")
                missing = [sub for sub in EXPRESSION_KEYS[name] if sub not in value]
                if missing:
                    chk.fail(key, f"missing {', '.join(missing)}; a written {name} needs "
                                  f"{', '.join(EXPRESSION_KEYS[name])}")
                components[name] = dict(value)
            elif isinstance(value, str):
                allowed = {"risk": RISKS, "csf": tuple(CONTESTS), "production": ("cobb_douglas",),
                           "disaster": ("constant",), "cost": ("linear",)}[name]
                if value not in allowed:
                    chk.fail(key, f"expected one of {', '.join(map(repr, allowed))} or a table of expressions "
                                  f"({', '.join(EXPRESSION_KEYS.get(name, {}))}), got {value!r}")
            else:
                chk.fail(key, f"expected a name or a table of expressions, got {value!r}")
        horizon = dict(chk.table("horizon", data.get("horizon", {}), _HORIZON))
        if "t" in horizon:
            chk.number("horizon.t", horizon["t"], integer=True)
        if "gammas" in horizon:
            g = horizon["gammas"]
            for j, v in enumerate(g if isinstance(g, list) else [g]):
                chk.number(f"horizon.gammas{'' if not isinstance(g, list) else f'[{j}]'}", v, positive=True)
                if v > 1:
                    chk.fail("horizon.gammas", f"discount factors must be in (0, 1], got {v!r}")
            if isinstance(g, list) and len(g) != players:
                chk.fail("horizon.gammas", f"expected a number or {players} numbers, got {len(g)}")
        if "end_on_win" in horizon and not isinstance(horizon["end_on_win"], bool):
            chk.fail("horizon.end_on_win", f"expected true or false, got {horizon['end_on_win']!r}")
        sweep = {name: dict(chk.table(f"sweep.{name}", value, ("start", "stop", "num", "values")))
                 for name, value in chk.table("sweep", data.get("sweep", {})).items()}
        if len(sweep) > 2:
            chk.fail("sweep", f"at most two parameters can vary, got {len(sweep)}: {', '.join(sweep)}")
        for name, rng in sweep.items():
            _sweep_values(chk, name, rng, parameters)
        spec = cls(players, actions, parameters, components, horizon, sweep, source)
        spec.aggregator()  # builds the model: every expression and value is checked here
        return spec

    # ------------------------------------------------------------------ building
    @property
    def k(self) -> int:
        """Actions per player."""
        return ACTION_TYPES[self.actions]

    @property
    def t(self) -> int:
        """The horizon (number of periods) of the file, 1 when absent."""
        return int(self.horizon.get("t", 1))

    def with_parameters(self, **values) -> ModelSpec:
        """A copy with some parameter values replaced (a number or one per player)."""
        params = dict(self.parameters)
        for name, value in values.items():
            if name not in params:
                _Check(self.source).fail(f"parameters.{name}", f"not a parameter of the model; the parameters "
                                                              f"are {', '.join(params)}")
            params[name] = value
        return ModelSpec(self.players, self.actions, params, copy.deepcopy(self.components), dict(self.horizon),
                         copy.deepcopy(self.sweep), self.source)

    def with_sweep(self, sweep: Mapping) -> ModelSpec:
        """A copy whose sweep is ``sweep`` (``{name: {"start":, "stop":, "num":}}``), checked."""
        chk = _Check(self.source)
        for name, rng in sweep.items():
            _sweep_values(chk, name, rng, self.parameters)
        return ModelSpec(self.players, self.actions, dict(self.parameters), copy.deepcopy(self.components),
                         dict(self.horizon), {k: dict(v) for k, v in sweep.items()}, self.source)

    def payoff_func(self) -> PayoffFunc:
        """The one-period payoff function of the file."""
        return _Builder(self).payoff_func()

    def aggregator(self) -> Aggregator:
        """The model of the file: an :class:`~dynapai_sym.game.Aggregator` (horizon checked)."""
        pf = self.payoff_func()
        chk = _Check(self.source)
        gammas = self.horizon.get("gammas")
        try:
            agg = Aggregator(pf, gammas=None if gammas is None else _vector(gammas, self.players),
                             end_on_win=bool(self.horizon.get("end_on_win", False)))
            agg.check_horizon(self.t)
        except (ValueError, TypeError) as exc:
            chk.fail("horizon", str(exc))
        return agg

    def sweep_axes(self) -> list[tuple[str, np.ndarray]]:
        """The sweep's parameters and their values, in the file's order."""
        chk = _Check(self.source)
        return [(name, _sweep_values(chk, name, rng, self.parameters)) for name, rng in self.sweep.items()]

    def scenario(self) -> Scenario | None:
        """The sweep as a :class:`~dynapai_sym.scenario.Scenario` (None when the file has no sweep).

        Points are ordered with the first parameter fastest; every point's model is built from
        the file with the parameter (same value for every player) replaced, so all points share
        one compiled structure.
        """
        axes = self.sweep_axes()
        if not axes:
            return None
        m1 = len(axes[0][1])
        m2 = len(axes[1][1]) if len(axes) == 2 else 1
        aggs, labels, neighbours = [], {name: [] for name, _ in axes}, []
        for j in range(m2):
            for i in range(m1):
                point = {axes[0][0]: float(axes[0][1][i])}
                if len(axes) == 2:
                    point[axes[1][0]] = float(axes[1][1][j])
                try:
                    aggs.append(self.with_parameters(**point).aggregator())
                except InvalidArgumentError as exc:
                    desc = ", ".join(f"{k}={v:g}" for k, v in point.items())
                    raise InvalidArgumentError(f"{self.source}: sweep point {len(aggs)} ({desc}): "
                                               f"{str(exc).split(': ', 1)[-1]}") from None
                for name, value in point.items():
                    labels[name].append(value)
                neighbours.append(j * m1 + i - 1 if i > 0 else ((j - 1) * m1 if j > 0 else None))
        out = Scenario(aggs, params=labels, t=self.t)
        out.shape = (m1,) if len(axes) == 1 else (m1, m2)
        out.neighbours = neighbours
        return out


def _vector(value, n: int) -> np.ndarray:
    return np.array(value, dtype=float) if isinstance(value, list) else np.full(n, float(value))


def _sweep_values(chk: _Check, name: str, rng: Mapping, parameters: Mapping) -> np.ndarray:
    key = f"sweep.{name}"
    if name not in parameters:
        chk.fail(key, f"not a parameter of the model; the parameters are {', '.join(parameters)}")
    if "values" in rng:
        if set(rng) != {"values"}:
            chk.fail(key, "give either values or start, stop, num")
        vals = rng["values"]
        if not isinstance(vals, list) or not vals:
            chk.fail(f"{key}.values", f"expected a non-empty list of numbers, got {vals!r}")
        return np.array([chk.number(f"{key}.values[{j}]", v) for j, v in enumerate(vals)], dtype=float)
    missing = [k for k in ("start", "stop", "num") if k not in rng]
    if missing:
        chk.fail(key, f"missing {', '.join(missing)}; expected {{ start = ..., stop = ..., num = ... }}")
    start, stop = chk.number(f"{key}.start", rng["start"]), chk.number(f"{key}.stop", rng["stop"])
    num = chk.number(f"{key}.num", rng["num"], integer=True)
    return np.linspace(float(start), float(stop), int(num))


class _Builder:
    """Builds the components of a spec, tracking which parameters they use."""

    def __init__(self, spec: ModelSpec):
        self.spec, self.chk, self.n = spec, _Check(spec.source), spec.players
        self.values = {name: _vector(v, self.n) for name, v in spec.parameters.items() if name not in _SCALAR}
        self.used: set[str] = set()

    def need(self, name: str, why: str) -> np.ndarray:
        if name not in self.values:
            self.chk.fail("parameters", f"missing {name} ({why})")
        self.used.add(name)
        return self.values[name]

    def expr(self, comp: str, sub: str) -> PlayerExpr:
        variables = EXPRESSION_KEYS[comp][sub]
        if "actions" in variables:
            variables = (*tuple(ACTION_NAMES)[:self.spec.k], *(v for v in variables if v != "actions"))
        known = tuple(self.values)
        ex = PlayerExpr(self.spec.components[comp][sub], variables, known, self.spec.source,
                        f"components.{comp}.{sub}")
        self.used.update(ex.params)
        return ex

    def own(self, *exprs: PlayerExpr, skip=()) -> dict[str, np.ndarray]:
        return {name: self.values[name] for ex in exprs for name in ex.params if name not in skip}

    def payoff_func(self) -> PayoffFunc:
        comps, k = self.spec.components, self.spec.k
        try:
            prod = self.production(comps.get("production", "cobb_douglas"))
            risk = self.risk(comps.get("risk"))
            csf = self.csf(comps.get("csf", "tullock"))
            disaster = self.disaster(comps.get("disaster", "constant"))
            cost = self.cost(comps.get("cost", "linear"), k)
            unused = [name for name in self.spec.parameters if name not in self.used]
            if unused:
                self.chk.fail(f"parameters.{unused[0]}", "not used by the model (check its spelling); the "
                                                         f"model uses {', '.join(sorted(self.used)) or 'none'}")
            return PayoffFunc(prod, risk, d=disaster, cost_func=cost, csf=csf)
        except InvalidArgumentError as exc:
            if str(exc).startswith(f"{self.spec.source}:"):
                raise
            self.chk.fail("components", str(exc))
        except TypeError as exc:
            self.chk.fail("components", str(exc))

    def production(self, value):
        if isinstance(value, Mapping):
            s, p = self.expr("production", "s"), self.expr("production", "p")
            return ExprProdFunc(s, p, params=self.own(s, p, skip=("theta",)), n=self.n)
        why = "the built-in production A x_s^alpha p^-theta, p = B x_p^beta"
        self.need("theta", why)  # its value goes to the risk function, which holds theta
        return ProdFunc(a=self.need("A", why), alpha=self.need("alpha", why), b=self.need("B", why),
                        beta=self.need("beta", why))

    def risk(self, value):
        if isinstance(value, Mapping):
            sigma = self.expr("risk", "sigma")
            theta = None
            if "theta" in self.values:
                theta = self.values["theta"]
                self.used.add("theta")
            return ExprRiskFunc(sigma, theta=theta, params=self.own(sigma, skip=("theta",)), n=self.n)
        if value is None:
            self.chk.fail("components.risk", f"missing; give one of {', '.join(map(repr, RISKS))} or "
                                             "{ sigma = \"...\" }")
        theta = self.need("theta", f"{value} risk")
        w = None
        if value in ("multiplicative", "additive") and "w" in self.values:
            w = self.need("w", "risk weights")
        return RiskFunc(value, theta, w)

    def csf(self, value):
        if value == "maybe_no_win":
            scale = self.spec.parameters.get("kappa", 1.0)
            if "kappa" in self.spec.parameters:
                self.used.add("kappa")
            return CSF.maybe_no_win(scale)
        return CSF.default()

    def disaster(self, value):
        if isinstance(value, Mapping):
            d = self.expr("disaster", "d")
            return ExprDisasterCost(d, params=self.own(d), n=self.n)
        return DisasterCost(self.need("d", "the disaster cost"))

    def cost(self, value, k: int):
        if isinstance(value, Mapping):
            c = self.expr("cost", "c")
            return ExprCostFunc(c, k, params=self.own(c), n=self.n)
        r = self.need("r", "the price of x_s and x_p")
        r_inv = self.need("r_inv", "the price of investment") if k >= 4 else None
        r_share = None
        if k == 6 and "r_share" in self.values:
            r_share = self.need("r_share", "the price of sharing")
        return CostFunc.fixed(r, r_inv, r_share)


def builtin_names() -> tuple[str, ...]:
    """The parameter names with a built-in meaning."""
    return (*BUILTIN_PARAMETERS, *_SCALAR)

r"""Model files: :func:`load_model` reads one, :func:`save_model` writes one.

The format (TOML, read with :mod:`tomllib` on Python 3.11+, ``tomli`` before) is described in
``docs/model_files.md``; :mod:`dynapai_sym.modelfile.spec` checks and builds it. Files are
written by :func:`dumps`, a small writer of exactly this format, so that
load → save → load gives the same model.

Examples
--------
>>> agg = load_model('''
... players = 2
... actions = "basic"
... [parameters]
... A = 10
... alpha = 0.5
... B = 10
... beta = 0.5
... theta = 0.5
... d = 1
... r = 0.1
... [components]
... risk = "winner_only"
... ''')
>>> agg.solve().status
'certified equilibrium'
>>> print(dumps(agg.model_spec).splitlines()[0])
players = 2
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..components import ProdFunc, RiskFunc
from ..components.expression import ExprCostFunc, ExprDisasterCost, ExprProdFunc, ExprRiskFunc
from ..errors import InvalidArgumentError, InvalidTypeError
from ..game import Aggregator, PayoffFunc
from .spec import ModelSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["load_model", "save_model", "read_spec", "dumps", "spec_of"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def read_spec(path_or_text, source: str | None = None) -> ModelSpec:
    """Read and check a model file (a path, or the TOML text itself), without keeping the model.

    Raises
    ------
    InvalidArgumentError
        The file cannot be read, is not TOML, or breaks the format: the message starts with the
        file's name and the key.
    """
    text, name = _text_of(path_or_text)
    source = name if source is None else source
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgumentError(f"{source}: not valid TOML ({exc})") from None
    return ModelSpec.from_dict(data, source)


def load_model(path_or_text) -> Aggregator:
    """The model of a model file: an :class:`~dynapai_sym.game.Aggregator`.

    Parameters
    ----------
    path_or_text : str or path
        A file's path, or the TOML text itself (a string with a line break, or with an ``=`` that
        is not the name of a file).

    Returns
    -------
    Aggregator
        With ``model_spec`` (the file's :class:`~dynapai_sym.modelfile.spec.ModelSpec`, what
        :func:`save_model` writes back; ``model_spec.t`` is the file's horizon, 1 when absent) and
        ``sweep`` (the file's sweep as a :class:`~dynapai_sym.scenario.Scenario`, whose default
        horizon is the file's, or None).

    Raises
    ------
    InvalidArgumentError
        A file that cannot be read or breaks the format, with the file's name, the key and the
        offending token (expressions are parsed by the safe parser, never executed).
    """
    spec = read_spec(path_or_text)
    return _attach(spec)


def _attach(spec: ModelSpec) -> Aggregator:
    agg = spec.aggregator()
    agg._set(model_spec=spec, sweep=spec.scenario())
    return agg


def save_model(obj, path) -> Path:
    """Write a model as a model file.

    Parameters
    ----------
    obj : Aggregator, PayoffFunc or ModelSpec
        A model read by :func:`load_model` (its file is written back), or one built in Python
        from built-in components and components written as expressions
        (``ProdFunc.expression``, ``RiskFunc.expression``, ...).
    path : str or path
        Where to write (``.toml``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InvalidArgumentError
        The model has a part a model file cannot say (e.g. a custom reward, a matrix of
        disaster costs, heterogeneous beliefs); the message names it.
    """
    spec = spec_of(obj)
    path = Path(os.fspath(path))
    path.write_text(dumps(spec), encoding="utf-8")
    return path


# ------------------------------------------------------------------ model -> spec
def spec_of(obj) -> ModelSpec:
    """The :class:`ModelSpec` of a model (see :func:`save_model`)."""
    if isinstance(obj, ModelSpec):
        return obj
    spec = getattr(obj, "model_spec", None)
    if isinstance(spec, ModelSpec):
        return spec
    if isinstance(obj, Aggregator):
        if not obj.state.common:
            raise InvalidArgumentError("obj has heterogeneous beliefs, which a model file cannot say")
        horizon = {}
        if obj.gammas is not None:
            horizon["gammas"] = _plain(obj.gammas)
        if obj.end_on_win:
            horizon["end_on_win"] = True
        return _spec_of_payoff(obj.state.beliefs[0], horizon)
    if isinstance(obj, PayoffFunc):
        return _spec_of_payoff(obj, {})
    raise InvalidTypeError(f"obj must be an Aggregator, a PayoffFunc or a ModelSpec, got {type(obj).__name__}")


def _plain(vec) -> float | list[float]:
    vec = np.asarray(vec, dtype=float)
    if np.all(vec == vec[0]):
        return float(vec[0])
    return [float(v) for v in vec]


def _spec_of_payoff(pf: PayoffFunc, horizon: dict) -> ModelSpec:
    def cannot(what: str):
        raise InvalidArgumentError(f"obj has {what}, which a model file cannot say")

    params: dict = {}
    comps: dict = {}

    def put(name, values):
        value = _plain(values)
        if name in params and params[name] != value:
            cannot(f"two values of {name}")
        params[name] = value

    prod = pf.prod_func
    if isinstance(prod, ExprProdFunc):
        comps["production"] = {"s": prod.s_expr.text, "p": prod.p_expr.text}
        for name, vals in prod.values.items():
            put(name, vals)
    elif type(prod) is ProdFunc:
        for name, vals in (("A", prod.a), ("alpha", prod.alpha), ("B", prod.b), ("beta", prod.beta)):
            put(name, vals)
    risk = pf.risk_func
    if isinstance(risk, ExprRiskFunc):
        comps["risk"] = {"sigma": risk.sigma_expr.text}
        for name, vals in risk.values.items():
            put(name, vals)
    elif type(risk) is RiskFunc and risk.form in ("winner_only", "multiplicative", "additive"):
        comps["risk"] = risk.form
        if risk.w is not None and not np.all(risk.w == 1):
            put("w", risk.w)
    else:
        cannot(f"a {risk.form} risk function")
    if risk.theta is not None:
        put("theta", risk.theta)
    if pf.csf.form == "maybe_no_win":
        comps["csf"] = "maybe_no_win"
        params["kappa"] = float(pf.csf.scale)
    elif pf.csf.form != "default":
        cannot(f"a {pf.csf.form} contest")
    dis = pf.disaster_cost
    if isinstance(dis, ExprDisasterCost):
        comps["disaster"] = {"d": dis.d_expr.text}
        for name, vals in dis.values.items():
            put(name, vals)
    elif dis.is_matrix:
        cannot("a matrix of disaster costs")
    else:
        put("d", dis.d)
    cost = pf.cost_func
    if isinstance(cost, ExprCostFunc):
        comps["cost"] = {"c": cost.c_expr.text}
        for name, vals in cost.values.items():
            put(name, vals)
    elif cost.form == "fixed":
        for base, name in (("r", "r"), ("rinv", "r_inv"), ("rshare", "r_share")):
            if base in cost.values:
                put(name, cost.values[base])
    else:
        cannot(f"a {cost.form} input cost")
    reward = pf.reward_func
    if reward.is_custom or reward.linear or not np.all(reward.win_a == 1):
        cannot("a reward other than the default (the winner gets 1)")
    if pf.payoff_form is not None:
        cannot("a payoff written whole")
    if pf.disaster != "per_winner":
        cannot(f"disaster={pf.disaster!r}")
    if pf.transition.form not in ("none", "invest", "sharing") or pf.share_map != "fraction":
        cannot(f"a {pf.transition.form} transition")
    actions = {2: "basic", 4: "invest", 6: "sharing"}[pf.k]
    ordered = dict(sorted(params.items(), key=lambda kv: _ORDER.get(kv[0], len(_ORDER))))
    comps = {key: comps[key] for key in ("production", "risk", "csf", "disaster", "cost") if key in comps}
    return ModelSpec(pf.n, actions, ordered, comps, horizon, {}, "model")


_ORDER = {name: j for j, name in enumerate(("A", "alpha", "B", "beta", "theta", "w", "d", "r", "r_inv", "r_share",
                                            "kappa"))}


# ------------------------------------------------------------------ writing
def dumps(spec: ModelSpec) -> str:
    """The TOML text of a model file (the format of ``docs/model_files.md``)."""
    lines = [f"players = {spec.players}", f"actions = {_string(spec.actions)}"]
    for table in ("parameters", "components", "horizon", "sweep"):
        content = getattr(spec, table)
        if not content:
            continue
        lines += ["", f"[{table}]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in content.items()]
    return "\n".join(lines) + "\n"


def _key(name: str) -> str:
    return name if _BARE.match(name) else _string(name)


def _string(text: str) -> str:
    return json.dumps(text)  # JSON's escapes are TOML basic-string escapes


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgumentError(f"cannot write the number {value!r} to a model file")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise InvalidTypeError(f"cannot write {value!r} to a model file")


def _text_of(path_or_text) -> tuple[str, str]:
    if isinstance(path_or_text, os.PathLike) or (isinstance(path_or_text, str) and "\n" not in path_or_text
                                                 and ("=" not in path_or_text or _is_file(path_or_text))):
        path = Path(os.fspath(path_or_text))
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidArgumentError(f"{path}: cannot read the model file ({exc.__class__.__name__}: "
                                       f"{getattr(exc, 'strerror', None) or exc})") from None
    if isinstance(path_or_text, str):
        return path_or_text, "model text"
    raise InvalidTypeError(f"path_or_text must be a path or the text of a model file, got "
                           f"{type(path_or_text).__name__}")


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False

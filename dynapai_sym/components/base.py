"""Base class of the model components and helpers for user-written expressions."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Hashable, Mapping, Sequence

import numpy as np
import sympy as sp

from .._frozen import Frozen
from .._tex import align_lines, display_math
from ..errors import InvalidArgumentError, InvalidTypeError
from ..symbols import glossary, sort_symbols

__all__ = ["Component", "FormComponent", "rebind", "as_param_values", "constructor_call", "relabel",
           "relabelling_symmetric"]


class Component(Frozen):
    """A small immutable piece of the one-period model.

    A component knows its parameter symbols and their values
    (:attr:`param_values`) and builds sympy expressions in the package's
    symbols. Values are stored separately from the expressions, so that one
    compiled model serves every calibration.
    """

    # ``_symmetric``, ``_values``: :meth:`is_symmetric`'s answer and :attr:`param_values`,
    # remembered by the model that asks (the component is immutable, and the points of a sweep
    # share their components)
    __slots__ = ("_symmetric", "_values")

    #: short name used in messages and LaTeX headings
    kind: str = "component"

    @property
    def param_values(self) -> dict[sp.Symbol, float]:  # pragma: no cover - abstract
        """Mapping from each parameter symbol to its value."""
        raise NotImplementedError

    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """The parameter symbols, in deterministic order."""
        return sort_symbols(self.param_values)

    @property
    def is_custom(self) -> bool:
        """True when the component's expressions are user-written (not one of the package's forms)."""
        return False

    def form_key(self) -> Hashable | None:  # pragma: no cover - abstract
        """What decides the component's expressions, apart from the parameter values.

        Two components with equal keys (and the same number of players) build the same
        expressions, so models share one compiled structure. None when the component is
        user-written: its expressions cannot be told apart by a key.
        """
        raise NotImplementedError

    def to_latex(self) -> str:  # pragma: no cover - abstract
        """The component's equations as LaTeX ``align`` rows (``lhs &= rhs``, rows split by ``\\``)."""
        raise NotImplementedError

    def with_values(self, values: Mapping) -> Component:
        """A copy with some parameter values changed (``{symbol or name: value}``).

        Symbols the component does not have are ignored; the copy is validated like a new
        component. Used by sweeps over any model (:meth:`Scenario.from_payoff`).
        """
        byname = {getattr(key, "name", key): value for key, value in values.items()}
        if not any(sym.name in byname for sym in self.param_values):
            return self
        return self._rebuilt(byname)

    def _rebuilt(self, byname: dict) -> Component:  # pragma: no cover - each component writes its own
        raise InvalidArgumentError(f"the parameters of a {self.kind} component cannot be changed")

    def _repr_latex_(self) -> str:
        """Display as math in Jupyter: the equations of :meth:`to_latex`."""
        return display_math(align_lines(self.to_latex()))

    def _latex_symbols(self, *exprs) -> dict[sp.Symbol, str]:
        free = set()
        for expr in exprs:
            free |= sp.sympify(expr).free_symbols
        return glossary(free)


class FormComponent(Component):
    """A component whose math is a registered form (see :mod:`dynapai_sym.components.registry`).

    Its ``form`` attribute is the form's name (a string); :attr:`form_def` is the form object,
    to which the component's methods dispatch.
    """

    __slots__ = ()

    #: the form's name
    form: str

    @property
    def form_def(self):
        """The registered form object behind :attr:`form` (its math and declarations)."""
        return self._form

    @property
    def is_custom(self) -> bool:
        """True when the form is user-written (``custom``)."""
        return self._form.user_written


def constructor_call(cls: type, form: str) -> str:
    """Start of a repr: ``Cls.form(`` when ``form`` has a constructor class method, else ``Cls('form', ``."""
    method = getattr(cls, form, None)
    if inspect.ismethod(method) and method.__self__ is cls:
        return f"{cls.__name__}.{form}("
    return f"{cls.__name__}({form!r}, "


def zero_guard(trigger) -> sp.Piecewise:
    r""":math:`[v = 0]`, as ``Piecewise((1, Eq(v, 0)), (0, True))``, for a sum :math:`v` of inputs.

    Added to a denominator :math:`D` that vanishes only where the inputs it depends on are all 0
    (a player who gives up), with :math:`v` the sum of those inputs, it turns :math:`N / D` into
    :math:`N / (D + [v = 0])`: unchanged wherever :math:`v > 0`, and :math:`0` (the model's limit,
    see ``docs/model.md``) where the inputs are 0 and so is :math:`N`. Its derivative is 0, so
    derivatives away from the exit are unchanged too. (The trigger is the short sum of inputs
    rather than :math:`D` itself, which keeps the generated code small.)
    """
    return sp.Piecewise((sp.Integer(1), sp.Eq(trigger, 0)), (sp.Integer(0), True))


def is_zero_guard(expr) -> bool:
    """True for an expression made by :func:`zero_guard`."""
    return (isinstance(expr, sp.Piecewise) and len(expr.args) == 2 and expr.args[0][0] == 1
            and isinstance(expr.args[0][1], sp.Eq) and expr.args[0][1].rhs == 0
            and expr.args[1][0] == 0 and expr.args[1][1] == sp.true)


def exit_guards(denominators, inputs) -> tuple[tuple[sp.Expr, sp.Expr], ...]:
    r"""Pairs :math:`(D, D + [v_D = 0])`, :math:`v_D` the sum of the ``inputs`` (action symbols) in :math:`D`.

    Each denominator must vanish only where its inputs are all 0, and the numerators over it
    must vanish there too (true of the built-in forms). Replacing :math:`D` by its guarded
    form in the compiled expressions — values and derivatives alike, since the guard's own
    derivative is 0 — makes exact exits take the model's limits (see :func:`zero_guard`).
    """
    inputs = set(inputs)
    out = {}
    for den in denominators:
        used = sorted(den.free_symbols & inputs, key=lambda sym: sym.name)
        if used and den not in out:
            out[den] = den + zero_guard(sp.Add(*used))
    return tuple(out.items())


def as_param_values(params: Mapping | None, name: str = "params") -> dict[sp.Symbol, float]:
    """Validate a mapping of extra user parameters ``{Symbol or name: value}``."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise InvalidTypeError(f"{name} must be a mapping from sympy Symbol to a number, got {params!r}")
    out: dict[sp.Symbol, float] = {}
    for key, value in params.items():
        sym = sp.Symbol(key, real=True) if isinstance(key, str) else key
        if not isinstance(sym, sp.Symbol):
            raise InvalidTypeError(f"keys of {name} must be sympy Symbols or names, got {key!r}")
        if not key_is_identifier(sym.name):
            raise InvalidArgumentError(f"parameter name {sym.name!r} in {name} is not a valid identifier")
        try:
            val = float(value)
        except (TypeError, ValueError) as exc:
            raise InvalidTypeError(f"{name}[{sym.name}] must be a number, got {value!r}") from exc
        if not np.isfinite(val):
            raise InvalidArgumentError(f"{name}[{sym.name}] must be finite, got {value!r}")
        out[sym] = val
    return out


def key_is_identifier(name: str) -> bool:
    import keyword

    return name.isidentifier() and not keyword.iskeyword(name)


def rebind(expr, known: Mapping[str, sp.Symbol]):
    """Replace symbols in a user expression by the package's symbols of the same name.

    Users may build expressions with plain ``sympy.Symbol("p1")``; the
    package's own ``p1`` carries assumptions, so it is a different object.
    Matching by name makes both spellings work.
    """
    expr = sp.sympify(expr, strict=True)
    subs = {
        s: known[s.name]
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s.name in known and known[s.name] is not s
    }
    return expr.xreplace(subs) if subs else expr


def call_or_rebind(spec, args: tuple, known: Mapping[str, sp.Symbol], name: str):
    """Evaluate a user component given as a callable or as expressions.

    ``spec`` is either a callable taking the intermediate symbols ``args``
    and returning expression(s), or expression(s) written in the documented
    symbols.
    """
    if isinstance(spec, Callable):
        out = spec(*args)
    else:
        out = spec
    if isinstance(out, (list, tuple, sp.MatrixBase)):
        return [rebind(e, known) if not isinstance(e, (list, tuple)) else
                [rebind(x, known) for x in e] for e in (out.tolist() if isinstance(out, sp.MatrixBase) else out)]
    return rebind(out, known)


_INDEXED = re.compile(r"^([A-Za-z_]*[A-Za-z_])(\d+)(?:_(\d+))?$")


def relabel(expr, perm: Sequence[int]):
    """``expr`` with the players' labels in its symbols' names moved: label ``i + 1`` becomes ``perm[i] + 1``.

    A symbol is a player's when its name ends in a label (``xs2``, ``k1``) or two (``d1_2``)
    within ``1..n``, ``n = len(perm)``; its assumptions are kept.
    """
    n = len(perm)
    mapping = {}
    for sym in sp.sympify(expr).free_symbols:
        match = _INDEXED.match(sym.name)
        if not match:
            continue
        base, i, j = match.group(1), int(match.group(2)), match.group(3)
        if not 1 <= i <= n or (j is not None and not 1 <= int(j) <= n):
            continue
        name = f"{base}{perm[i - 1] + 1}" + ("" if j is None else f"_{perm[int(j) - 1] + 1}")
        mapping[sym] = sp.Symbol(name, **sym.assumptions0)
    return sp.sympify(expr).xreplace(mapping)


def relabelling_symmetric(rows, n: int, values: Mapping | None = None) -> bool:
    r"""True when relabelling the players permutes ``rows`` alike and leaves ``values`` unchanged.

    ``rows`` holds one expression per player (:math:`e_i`) or an n x n nested list
    (:math:`e_{ij}`); the test is :math:`e_i(\pi) = e_{\pi(i)}` (:math:`e_{ij}(\pi) = e_{\pi(i)\pi(j)}`)
    for a swap of two players and a cycle of all (together they generate every relabelling),
    with each parameter's value equal to its relabelled copy's. Expressions are compared as
    written (no simplification): a False is "not shown symmetric", never a wrong True.
    """
    values = {} if values is None else values
    if n < 2:
        return True
    for perm in ((1, 0, *range(2, n)), tuple((i + 1) % n for i in range(n))):
        for sym, value in values.items():
            other = relabel(sym, perm)
            if other != sym and values.get(other) != value:
                return False
        for i, row in enumerate(rows):
            if isinstance(row, (list, tuple)):
                if any(relabel(e, perm) != rows[perm[i]][perm[j]] for j, e in enumerate(row)):
                    return False
            elif relabel(row, perm) != rows[perm[i]]:
                return False
    return True
def updated(values, base: str, byname: Mapping) -> np.ndarray:
    """Per-player ``values`` with entry i replaced by ``byname[f"{base}{i+1}"]`` where given."""
    out = np.array(values, dtype=float, copy=True)
    for i in range(out.shape[0]):
        out[i] = byname.get(f"{base}{i + 1}", out[i])
    return out


def updated_extra(extra: Mapping, byname: Mapping) -> dict:
    """User parameters (``{Symbol: value}``) with the values of the names in ``byname``."""
    return {sym: float(byname.get(sym.name, value)) for sym, value in extra.items()}

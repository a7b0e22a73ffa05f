r"""The registry of built-in component *forms*, found by kind and name.

A *form* is the math of one way to build a component: the risk function
:math:`\sigma_j = s_j / (1 + s_j)` is the ``"winner_only"`` form of the kind ``"risk"``.
Each form is a small immutable class (a :class:`Form` subclass, one instance per
registered form) that writes its expressions and its LaTeX and declares

* ``name``: the string users pass (``RiskFunc("winner_only", theta)``) and the
  component's ``.form`` attribute;
* ``params``: the per-player parameters it adds, each mapped to the symbol base it
  moves for every player (``{"w": "w"}``: the risk weights :math:`w_1, \dots, w_n`),
  in the convention of :data:`dynapai_sym.names.PARAMETER_GROUPS`;
* ``symmetric_capable``: whether it treats the players alike (a model is symmetric
  when its forms are and its values are the same for every player);
* ``user_written``: whether its expressions come from the user (``"custom"``); models
  with user-written components are not cached by form.

The kinds are ``"risk"`` (:mod:`~dynapai_sym.components.risk`), ``"contest"``
(:mod:`~dynapai_sym.components.csf`), ``"cost"`` (:mod:`~dynapai_sym.components.cost`) and
``"transition"`` (:mod:`~dynapai_sym.components.dynamics`); each module defines the base
class of its kind's forms (e.g. :class:`~dynapai_sym.components.risk.RiskForm`) and
registers its built-in forms with :func:`register_form`. Components look their form up
with :func:`get_form`; other layers read :func:`form_names` and the form's declarations
instead of repeating lists of names.

Examples
--------
>>> from dynapai_sym.components.registry import form_names
>>> form_names("risk")
('winner_only', 'multiplicative', 'additive', 'custom')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import ClassVar, TypeVar

from .._frozen import Frozen
from ..errors import InvalidArgumentError, InvalidTypeError

__all__ = ["Form", "register_form", "unregister_form", "form_names", "get_form", "forms"]

_REGISTRY: dict[str, dict[str, Form]] = {}

F = TypeVar("F", bound=type)


class Form(Frozen):
    """One registered form of a component kind: its math and what it declares.

    Subclass the base class of a kind (e.g. :class:`~dynapai_sym.components.risk.RiskForm`),
    set ``name`` and the declarations below, write the kind's methods, and decorate the
    class with :func:`register_form`. Forms hold no data: the component passes itself to
    the form's methods, and the form reads the values it needs from it.

    Two forms are equal when they are of the same class.
    """

    __slots__ = ()

    #: the component kind (``"risk"``, ``"contest"``, ``"cost"``, ``"transition"``)
    kind: ClassVar[str] = ""
    #: the form's name: what users pass and what the component's ``.form`` is
    name: ClassVar[str] = ""
    #: per-player parameters the form adds: user-facing name -> symbol base
    params: ClassVar[Mapping[str, str]] = MappingProxyType({})
    #: True when the form treats every player alike
    symmetric_capable: ClassVar[bool] = True
    #: True when the expressions come from the user (``custom``)
    user_written: ClassVar[bool] = False

    @classmethod
    def check_declarations(cls) -> None:
        """Check what the class declares; called by :func:`register_form` (kinds add their own checks)."""
        if not isinstance(cls.name, str) or not cls.name.isidentifier():
            raise InvalidArgumentError(f"{cls.__name__}.name must be an identifier, got {cls.name!r}")
        if not isinstance(cls.params, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in cls.params.items()):
            raise InvalidTypeError(f"{cls.__name__}.params must map parameter names to symbol bases, "
                                   f"got {cls.params!r}")
        if cls.user_written and cls.symmetric_capable:
            raise InvalidArgumentError(f"{cls.__name__} is user-written, so it cannot be symmetric-capable")

    def __eq__(self, other) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"<{self.kind} form {self.name!r} ({type(self).__name__})>"


def register_form(kind: str, *, replace: bool = False) -> Callable[[F], F]:
    """Class decorator: register a :class:`Form` subclass under ``kind`` and its ``name``.

    Parameters
    ----------
    kind : str
        The component kind; must equal the class's ``kind`` (set by the kind's base class).
    replace : bool
        Allow replacing a form already registered under the same name.

    Returns
    -------
    callable
        The decorator; it returns the class unchanged (its ``params`` made read-only).

    Raises
    ------
    InvalidArgumentError
        The name is taken (and ``replace`` is false), is not an identifier, or the class is
        of another kind.
    InvalidTypeError
        The decorated object is not a :class:`Form` subclass.

    Examples
    --------
    >>> import sympy as sp
    >>> from dynapai_sym.components.risk import RiskForm
    >>> @register_form("risk")
    ... class Squared(RiskForm):
    ...     name = "squared"
    ...     def sigma(self, risk, s, p):
    ...         return [sp.together(sj**2 / (1 + sj**2)) for sj in s]
    ...     def latex(self, risk):
    ...         return r"\\sigma_j = \\frac{s_j^2}{1 + s_j^2}"
    >>> "squared" in form_names("risk")
    True
    >>> unregister_form("risk", "squared")
    """
    if not isinstance(kind, str) or not kind:
        raise InvalidTypeError(f"kind must be a non-empty string, got {kind!r}")

    def decorate(cls: F) -> F:
        if not (isinstance(cls, type) and issubclass(cls, Form)):
            raise InvalidTypeError(f"register_form({kind!r}) decorates a Form subclass, got {cls!r}")
        if cls.kind != kind:
            raise InvalidArgumentError(f"{cls.__name__} is a {cls.kind or 'kindless'} form; "
                                       f"register_form({kind!r}) needs a {kind} form")
        cls.check_declarations()
        table = _REGISTRY.setdefault(kind, {})
        if cls.name in table and not replace and type(table[cls.name]) is not cls:
            raise InvalidArgumentError(f"a {kind} form named {cls.name!r} is already registered "
                                       f"({type(table[cls.name]).__name__}); pass replace=True to replace it")
        cls.params = MappingProxyType(dict(cls.params))
        table[cls.name] = cls()
        return cls

    return decorate


def unregister_form(kind: str, name: str) -> None:
    """Remove a registered form (components already built with it keep working).

    Raises
    ------
    InvalidArgumentError
        No ``kind`` form is registered under ``name``.
    """
    get_form(kind, name, "name")
    del _REGISTRY[kind][name]


def form_names(kind: str) -> tuple[str, ...]:
    """Names of the registered forms of ``kind``, in registration order (built-ins first).

    Raises
    ------
    InvalidArgumentError
        Unknown ``kind``; the message lists the known kinds.
    """
    return tuple(_table(kind))


def forms(kind: str) -> dict[str, Form]:
    """The registered forms of ``kind``: a new ``{name: form}`` dictionary, in registration order."""
    return dict(_table(kind))


def get_form(kind: str, name: str, argument: str = "form") -> Form:
    """The registered form of ``kind`` named ``name``.

    Parameters
    ----------
    kind : str
        Component kind.
    name : str
        Form name, as the user gave it.
    argument : str
        The name of the user's argument, for the error message.

    Raises
    ------
    InvalidArgumentError
        No such form; the message names ``argument`` and lists the known names.
    """
    table = _table(kind)
    if not isinstance(name, str) or name not in table:
        raise InvalidArgumentError(f"{argument} must be one of {tuple(table)} (the registered {kind} forms), "
                                   f"got {name!r}")
    return table[name]


def _table(kind: str) -> dict[str, Form]:
    if kind not in _REGISTRY:
        raise InvalidArgumentError(f"kind must be one of {tuple(_REGISTRY)}, got {kind!r}")
    return _REGISTRY[kind]

"""Immutable objects: attributes are set once, in ``__init__``, and never again.

Models cache what they derive (expressions, structures, compiled functions, numeric
games); a model that could change after building would serve stale caches. Every model
object is therefore frozen: change one by building a new one (e.g. ``PayoffFunc.replace``).
"""

from __future__ import annotations

__all__ = ["Frozen", "restore"]


class Frozen:
    """Mixin: ``obj.attr = value`` raises; ``_set`` (used while building) and unpickling still work.

    Caches built with :func:`functools.cached_property` are unaffected (they write to the
    instance dictionary directly).
    """

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one instead")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one instead")

    def __setstate__(self, state) -> None:  # unpickling bypasses the immutability guard
        restore(self, state)

    def _set(self, **fields) -> None:
        """Set attributes while building the object."""
        cls = type(self)
        guarded = _GUARDED.get(cls)
        if guarded is None:
            guarded = _GUARDED[cls] = _guarded_names(cls)
        if guarded is not True and not guarded.intersection(fields):  # plain dictionary entries: one update
            self.__dict__.update(fields)
            return
        for key, value in fields.items():
            object.__setattr__(self, key, value)


#: per class: True when its instances keep attributes in slots, else the names that are data
#: descriptors on the class (properties): :meth:`Frozen._set` writes any other name straight
#: into the instance dictionary, which is what ``object.__setattr__`` would do
_GUARDED: dict[type, bool | frozenset] = {}


def _guarded_names(cls: type) -> bool | frozenset:
    if any(klass.__dict__.get("__slots__") for klass in cls.__mro__) or "__dict__" not in dir(cls):
        return True
    return frozenset(name for klass in cls.__mro__ for name, v in vars(klass).items()
                     if hasattr(type(v), "__set__"))


def restore(obj, state) -> None:
    """Restore pickled state (a dict, or slots and dict as a tuple) onto an immutable object."""
    if isinstance(state, tuple):
        merged = {}
        for part in state:
            if part:
                merged.update(part)
        state = merged
    for key, value in (state or {}).items():
        object.__setattr__(obj, key, value)

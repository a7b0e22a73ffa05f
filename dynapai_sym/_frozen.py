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
        for key, value in fields.items():
            object.__setattr__(self, key, value)


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

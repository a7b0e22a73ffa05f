"""The package's exception and warning types.

Every error the package raises on purpose is a :class:`DynapaiError`. One caused by a
bad argument is also a :class:`ValueError` (:class:`InvalidArgumentError`) or, for an
argument of the wrong type, a :class:`TypeError` (:class:`InvalidTypeError`), so code that
catches the built-in types keeps working.
"""

from __future__ import annotations

__all__ = ["DynapaiError", "DynapaiWarning", "InvalidArgumentError", "InvalidTypeError", "PointsExcludedWarning",
           "PointsNotSolvedWarning"]


class DynapaiError(Exception):
    """Base class of the errors raised by dynapai_sym."""


class InvalidArgumentError(DynapaiError, ValueError):
    """An argument has the right type but a value the package cannot use; the message names it."""


class InvalidTypeError(DynapaiError, TypeError):
    """An argument has a type the package cannot use; the message names it and what was expected."""


class DynapaiWarning(UserWarning):
    """Base class of the warnings from dynapai_sym (filter them all with this class)."""


class PointsExcludedWarning(DynapaiWarning):
    """Points of a comparison left out because they are not certified on both sides."""


class PointsNotSolvedWarning(DynapaiWarning, RuntimeWarning):
    """Points of a sweep not solved because their chunk's worker was lost (a re-run solves them)."""

"""Checks of user input, so that bad input fails at construction with a clear message."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from .errors import InvalidArgumentError, InvalidTypeError

__all__ = ["as_float_array", "as_player_vector", "as_matrix", "check_n", "as_positive_int", "as_number",
           "n_from", "all_equal"]


def _not_a_number(value) -> bool:
    """True for entries that convert to float but are not numbers (text, booleans, None)."""
    return isinstance(value, (str, bytes, bool, np.bool_)) or value is None


def as_float_array(value, name: str) -> np.ndarray:
    """Return ``value`` (a number or a nested sequence of numbers) as a float array.

    Text (``"0.5"``), booleans and other non-numbers are refused, also inside sequences,
    with a message naming ``name``.
    """
    if _not_a_number(value):
        raise InvalidTypeError(f"{name} must be a number or a sequence of numbers, got {value!r}")
    raw = value if isinstance(value, np.ndarray) else None
    if raw is None:
        try:
            raw = np.asarray(value, dtype=object)
        except (TypeError, ValueError):  # ragged nesting: let the float conversion report it
            raw = None
    if raw is not None and (raw.dtype.kind in "USb" or (raw.dtype == object and any(
            _not_a_number(v) for v in raw.ravel()))):
        bad = next((v for v in raw.ravel() if _not_a_number(v)), None) if raw.dtype == object else raw.ravel()[0]
        raise InvalidTypeError(f"{name} must hold numbers only, got {bad!r} in {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except OverflowError as exc:  # an integer beyond the floats
        raise InvalidArgumentError(f"{name} must be finite, got {value!r}") from exc
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(
            f"{name} must be a number or a sequence of numbers, got {value!r}"
        ) from exc
    if not np.all(np.isfinite(arr)):
        raise InvalidArgumentError(f"{name} must be finite, got {value!r}")
    return arr


def as_player_vector(
    value,
    name: str,
    n: int | None = None,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    upper: float | None = None,
) -> np.ndarray:
    """Return ``value`` as a float vector of one entry per player.

    A scalar is broadcast to ``n`` players when ``n`` is known.

    Raises
    ------
    TypeError
        If ``value`` is not numeric.
    ValueError
        If it has the wrong length, is not finite, or breaks a sign bound.
    """
    if type(value) is np.ndarray and value.dtype == np.float64 and value.ndim == 1:
        arr = value.copy()  # the common case, checked below without numpy's per-call overhead
    elif (type(value) is float or (type(value) is int and -2**53 <= value <= 2**53)) and n is not None:
        # a plain number for everyone
        arr = np.full(n, float(value))
    else:
        arr = np.array(as_float_array(value, name), dtype=float)  # a copy: the caller's array stays writable
    if arr.ndim == 0:
        if n is None:
            raise InvalidArgumentError(f"{name} must be a sequence with one entry per player, got {value!r}")
        arr = np.full(n, float(arr))
    if arr.ndim != 1:
        raise InvalidArgumentError(f"{name} must be one-dimensional (one entry per player), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise InvalidArgumentError(f"{name} must have one entry per player ({n}), got {arr.shape[0]}")
    values = arr.tolist()
    if not all(map(math.isfinite, values)):
        raise InvalidArgumentError(f"{name} must be finite, got {values}")
    if positive and any(v <= 0 for v in values):
        raise InvalidArgumentError(f"{name} must be positive, got {values}")
    if nonnegative and any(v < 0 for v in values):
        raise InvalidArgumentError(f"{name} must be non-negative, got {values}")
    if upper is not None and any(v > upper for v in values):
        raise InvalidArgumentError(f"{name} must be at most {upper}, got {values}")
    arr.setflags(write=False)
    return arr


def as_matrix(value, name: str, shape: tuple[int, int], *, nonnegative: bool = False) -> np.ndarray:
    """Return ``value`` as a float matrix of the given shape (scalars broadcast)."""
    arr = as_float_array(value, name)
    if arr.ndim == 0:
        arr = np.full(shape, float(arr))
    if arr.shape != shape:
        raise InvalidArgumentError(f"{name} must have shape {shape}, got {arr.shape}")
    if nonnegative and np.any(arr < 0):
        raise InvalidArgumentError(f"{name} must be non-negative, got {arr.tolist()}")
    arr.setflags(write=False)
    return arr


def check_n(n, name: str = "n") -> int:
    """Return ``n`` as an int, requiring at least two players."""
    n = as_positive_int(n, name)
    if n < 2:
        raise InvalidArgumentError(f"{name} (number of players) must be at least 2, got {n}")
    return n


def as_positive_int(value, name: str) -> int:
    """Return ``value`` as a positive int."""
    if type(value) is int and value >= 1:  # the common case, without the abstract-class check
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise InvalidArgumentError(f"{name} must be at least 1, got {value}")
    return int(value)


def same_length(items: Sequence[tuple[str, int]]) -> int:
    """Require that every named length is equal; return it."""
    lengths = {length for _, length in items}
    if len(lengths) > 1:
        desc = ", ".join(f"{name}={length}" for name, length in items)
        raise InvalidArgumentError(f"all per-player vectors must have the same length, got {desc}")
    return lengths.pop()


def all_equal(values) -> bool:
    """Whether every entry of ``values`` (an array of any shape, or a sequence) is equal to the
    first (True when empty): ``np.all(v == v.flat[0])`` without numpy's per-call overhead."""
    flat = values.ravel().tolist() if isinstance(values, np.ndarray) else np.ravel(values).tolist()
    return all(v == flat[0] for v in flat)


def as_number(value, name: str) -> float:
    """Return ``value`` as a finite float; text, booleans and arrays are refused naming ``name``."""
    arr = as_float_array(value, name)
    if arr.ndim != 0:
        raise InvalidTypeError(f"{name} must be a single number, got {value!r}")
    return float(arr)


def n_from(values: Sequence[tuple[str, object]], n: int | None = None) -> int | None:
    """The number of players implied by named per-player values (scalars say nothing).

    Returns ``n`` when given (each vector must then have n entries, checked by
    :func:`as_player_vector`), else the common length of the vectors, or None when all are
    scalars.
    """
    if n is not None:
        return check_n(n)
    lengths = [(name, len(value)) for name, value in values
               if value is not None and not _not_a_number(value) and np.ndim(value) == 1]
    return same_length(lengths) if lengths else None

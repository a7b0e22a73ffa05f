r"""Actions (one period, all players) and strategies (a sequence of periods).

========================  ============================================  ===
type                      per-player vector                             k
========================  ============================================  ===
:class:`Actions`          :math:`(x_s, x_p)`                            2
:class:`InvestActions`    :math:`(x_s, x_p, i_s, i_p)`                  4
:class:`SharingActions`   :math:`(x_s, x_p, i_s, i_p, sh_s, sh_p)`      6
========================  ============================================  ===

All entries are non-negative; shares are fractions in [0, 1] under the
default ``share_map="fraction"``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._frozen import Frozen
from .._validation import as_float_array
from ..errors import InvalidArgumentError, InvalidTypeError

__all__ = ["Actions", "InvestActions", "SharingActions", "Strategies", "action_type_for"]


def _check_data(data, name: str, ndim: int) -> np.ndarray:
    if type(data) is np.ndarray and data.dtype == np.float64:
        arr = data.copy()  # the common case: numbers already, checked below
    else:
        arr = np.array(as_float_array(data, name), dtype=float)
    if arr.ndim != ndim:
        raise InvalidArgumentError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidArgumentError(f"{name} must be finite")
    if arr.size and arr.min() < 0:
        raise InvalidArgumentError(f"{name} must be non-negative (actions are >= 0), got min {arr.min()}")
    arr.setflags(write=False)
    return arr


class Actions(Frozen):
    """Actions of all players in one period: ``data`` is an (n, k) array.

    Parameters
    ----------
    data : array_like, shape (n, k)
        Row i holds player i's action vector.
    """

    k: int = 2
    __slots__ = ("data",)

    def __init__(self, data):
        arr = _check_data(data, "data", 2)
        if arr.shape[1] != self.k:
            raise InvalidArgumentError(f"{type(self).__name__} needs {self.k} columns per player, got {arr.shape[1]}")
        if arr.shape[0] < 2:
            raise InvalidArgumentError(f"actions need at least 2 players, got {arr.shape[0]}")
        object.__setattr__(self, "data", arr)

    @classmethod
    def _checked(cls, arr: np.ndarray) -> Actions:
        """One period of already checked, read-only strategies (no second check)."""
        out = object.__new__(cls)
        object.__setattr__(out, "data", arr)
        return out


    @staticmethod
    def from_inputs(xs, xp, inv_s=None, inv_p=None, share_s=None, share_p=None) -> Actions:
        """Build actions from per-player vectors; the type follows from what is given."""
        cols = [xs, xp]
        cls: type[Actions] = Actions
        if share_s is not None or share_p is not None:
            if inv_s is None or inv_p is None or share_s is None or share_p is None:
                raise InvalidArgumentError("sharing actions need inv_s, inv_p, share_s and share_p")
            cols += [inv_s, inv_p, share_s, share_p]
            cls = SharingActions
        elif inv_s is not None or inv_p is not None:
            if inv_s is None or inv_p is None:
                raise InvalidArgumentError("invest actions need both inv_s and inv_p")
            cols += [inv_s, inv_p]
            cls = InvestActions
        names = ["xs", "xp", "inv_s", "inv_p", "share_s", "share_p"][:len(cols)]
        arrays = [as_float_array(c, name) for c, name in zip(cols, names)]
        lengths = {a.size for a in arrays}
        if len(lengths) != 1 or any(a.ndim != 1 for a in arrays):
            raise InvalidArgumentError(f"{', '.join(names)} must be vectors of the same length (one entry per "
                                       f"player), got shapes {[a.shape for a in arrays]}")
        for a, name in zip(arrays, names):
            if np.any(a < 0):
                raise InvalidArgumentError(f"{name} must be non-negative (actions are >= 0), got {a.tolist()}")
        return cls(np.column_stack(arrays))

    @property
    def n(self) -> int:
        """Number of players."""
        return self.data.shape[0]

    @property
    def xs(self) -> np.ndarray:
        return self.data[:, 0]

    @property
    def xp(self) -> np.ndarray:
        return self.data[:, 1]

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and np.array_equal(self.data, other.data)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.data.tobytes()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({np.array2string(self.data, precision=6)})"


class InvestActions(Actions):
    """Actions with investment in productivity: columns (x_s, x_p, i_s, i_p)."""

    k = 4
    __slots__ = ()

    @property
    def inv_s(self) -> np.ndarray:
        return self.data[:, 2]

    @property
    def inv_p(self) -> np.ndarray:
        return self.data[:, 3]


class SharingActions(InvestActions):
    """Actions with investment and sharing: columns (x_s, x_p, i_s, i_p, sh_s, sh_p)."""

    k = 6
    __slots__ = ()

    @property
    def share_s(self) -> np.ndarray:
        return self.data[:, 4]

    @property
    def share_p(self) -> np.ndarray:
        return self.data[:, 5]


_BY_K = {2: Actions, 4: InvestActions, 6: SharingActions}


def action_type_for(k: int) -> type[Actions]:
    """Return the action class with k columns per player."""
    try:
        return _BY_K[k]
    except KeyError:
        raise InvalidArgumentError(f"k must be 2, 4 or 6, got {k!r}") from None


class Strategies(Frozen):
    """A sequence of T one-period actions: ``data`` has shape (T, n, k).

    Parameters
    ----------
    actions : sequence of Actions, or array_like of shape (T, n, k)
    """

    __slots__ = ("data", "action_type")

    def __init__(self, actions):
        if isinstance(actions, Strategies):
            data, atype = actions.data, actions.action_type
        elif isinstance(actions, Sequence) and actions and all(isinstance(a, Actions) for a in actions):
            types = {type(a) for a in actions}
            if len(types) != 1:
                raise InvalidTypeError("all periods must have the same action type, got "
                                       f"{sorted(t.__name__ for t in types)}")
            atype = types.pop()
            data = _check_data(np.stack([a.data for a in actions]), "actions", 3)
        else:
            data = _check_data(actions, "strategies", 3)
            atype = action_type_for(data.shape[2])
        if data.shape[0] < 1:
            raise InvalidArgumentError("strategies need at least one period")
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "action_type", atype)


    @classmethod
    def _checked(cls, data: np.ndarray, action_type: type[Actions]) -> Strategies:
        """Strategies of an array already known to be valid: float64 (T, n, k), finite,
        non-negative, not shared with anyone who could write it (it is made read-only here)."""
        data.setflags(write=False)
        out = object.__new__(cls)
        object.__setattr__(out, "data", data)
        object.__setattr__(out, "action_type", action_type)
        return out

    @classmethod
    def from_inputs(cls, xs, xp, inv_s=None, inv_p=None, share_s=None, share_p=None) -> Strategies:
        """Build from (T, n) arrays, one per action column."""
        cols = [c for c in (xs, xp, inv_s, inv_p, share_s, share_p) if c is not None]
        arrays = [np.asarray(c, dtype=float) for c in cols]
        if any(a.ndim != 2 or a.shape != arrays[0].shape for a in arrays):
            raise InvalidArgumentError("every input must be a (T, n) array of the same shape")
        return cls(np.stack(arrays, axis=-1))

    @property
    def t(self) -> int:
        """Number of periods T."""
        return self.data.shape[0]

    @property
    def n(self) -> int:
        return self.data.shape[1]

    @property
    def k(self) -> int:
        return self.data.shape[2]

    @property
    def actions(self) -> list[Actions]:
        """One :class:`Actions` per period."""
        return [self.action_type._checked(a) for a in self.data]

    def __len__(self) -> int:
        return self.t

    def __getitem__(self, t: int) -> Actions:
        if isinstance(t, (int, np.integer)) and not isinstance(t, bool) and -self.t <= t < self.t:
            return self.action_type._checked(self.data[t])
        return self.action_type(self.data[t])

    def __iter__(self):
        return iter(self.actions)

    @property
    def xs(self) -> np.ndarray:
        return self.data[:, :, 0]

    @property
    def xp(self) -> np.ndarray:
        return self.data[:, :, 1]

    def __repr__(self) -> str:
        head = f"Strategies({self.action_type.__name__}, T={self.t}, n={self.n})"
        return head + "\n" + np.array2string(self.data, precision=5)

r"""The layout of the flat action vector and its batches, documented once.

A profile of ``T`` periods, ``n`` players and ``k`` action columns per player is stored
flat, period-major and player-major within a period:

.. math::

    x[t\,m + i\,k + c] = a_{t,i,c}, \qquad m = n k, \qquad N = T m,

i.e. ``x.reshape(T, n, k)``. The forms used by the numeric layers:

=====================  ==============  ===================================================
name                   shape           meaning
=====================  ==============  ===================================================
profile ``x``          ``(N,)``        one profile, flat
profiles ``X``         ``(B, N)``      a batch of profiles (starts, a history, candidates)
periods ``Z``          ``(T, m)``      one profile, one row per period
paths ``Z``            ``(T, m, B)``   a batch of profiles, batch axis last (what compiled
                                       functions and the chain take: ``f(z, y, theta)``
                                       with ``z`` of shape ``(m, B)``)
schedules ``own``      ``(B, T, k)``   candidate schedules of one player
own vector ``v``       ``(T k,)``      one player's schedule, flat: the entries
                                       ``own_index(i)`` of a profile, period by period
=====================  ==============  ===================================================

Arrays indexed by actions along their *first* axes (derivatives) use the same orders:
a Jacobian's rows ``(N, ...)`` are ``(T, n, k, ...)`` flattened (:meth:`ActionLayout.pack_rows`),
and the rows of one player's Hessian block ``(T k, ...)`` are ``(T, k, ...)`` flattened
(:meth:`ActionLayout.own_rows`).

Conversions (:class:`ActionLayout`):

* ``(..., T, n, k)`` <-> ``(..., N)``: ``pack``, ``unpack``; ``(..., N)`` -> ``(..., T, m)``: ``periods``;
* where things sit: ``period_slice`` (periods within ``N``), ``own_slice`` (a player within
  ``m``), ``own_index`` (a player within ``N``); ``own``, ``with_own`` read and replace a
  player's schedule in a profile;
* own vectors ``(..., T k)`` <-> schedules ``(..., T, k)``: ``schedules``, ``flat_schedules``;
* profiles ``(B, N)`` <-> paths ``(T, m, B)``: ``paths``, ``profiles``; a player's schedules
  in paths: ``own_of_paths``;
* schedules of one player against a profile or profiles, as paths: ``against``,
  ``against_profiles``, ``against_grid``;
* rows: ``pack_rows`` ``(T, n, k, ...)`` -> ``(N, ...)``, ``own_rows`` ``(T, k, ...)`` -> ``(T k, ...)``.

Calling convention of every compiled function (:mod:`dynapai_sym.compile`):
``f(z, y, theta)`` with ``z`` one period's actions ``(m,)`` or ``(m, *batch)``, ``y`` the
moving state ``(ds,)`` or ``(ds, *batch)``, ``theta`` the other parameters ``(np,)``;
outputs have fixed shapes with the batch axes last.

:class:`ActionLayout` does every conversion between these forms; no other module
reshapes a profile by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["ActionLayout"]


@dataclass(frozen=True)
class ActionLayout:
    """Where each action of each player in each period sits in a flat vector.

    Parameters
    ----------
    T : int
        Number of periods.
    n : int
        Number of players.
    k : int
        Action columns per player (2, 4 or 6).

    Examples
    --------
    >>> lay = ActionLayout(T=2, n=2, k=2)
    >>> x = np.arange(8.0)
    >>> lay.unpack(x)[1, 0]           # period 1, player 0
    array([4., 5.])
    >>> lay.own_index(1)              # player 1's entries, period by period
    array([2, 3, 6, 7])
    >>> lay.against(1, np.zeros((3, 2, 2)), x).shape   # 3 schedules of player 1 against x
    (2, 4, 3)
    """

    T: int
    n: int
    k: int

    @cached_property
    def m(self) -> int:
        """Actions of all players in one period: ``n k``."""
        return self.n * self.k

    @cached_property
    def N(self) -> int:
        """Length of a flat profile: ``T n k``."""
        return self.T * self.n * self.k

    # ------------------------------------------------------------ one profile
    def pack(self, X) -> np.ndarray:
        """Flat profile(s) from ``(..., T, n, k)`` arrays: ``(..., N)`` (a new array)."""
        X = np.array(X, dtype=float)
        return X.reshape(X.shape[:-3] + (self.N,))

    def unpack(self, x) -> np.ndarray:
        """``(..., T, n, k)`` view of flat profile(s) ``(..., N)``."""
        x = np.asarray(x, dtype=float)
        return x.reshape(x.shape[:-1] + (self.T, self.n, self.k))

    def periods(self, x) -> np.ndarray:
        """One row per period: ``(..., T, m)`` view of flat profile(s) ``(..., N)``."""
        x = np.asarray(x, dtype=float)
        return x.reshape(x.shape[:-1] + (self.T, self.m))

    def period_slice(self, start: int, stop: int | None = None) -> slice:
        """Entries of periods ``start .. stop - 1`` in a flat profile (period ``start`` alone
        when ``stop`` is None).

        >>> ActionLayout(T=3, n=2, k=2).period_slice(1), ActionLayout(T=3, n=2, k=2).period_slice(0, 2)
        (slice(4, 8, None), slice(0, 8, None))
        """
        return slice(start * self.m, (start + 1 if stop is None else stop) * self.m)

    def own_slice(self, i: int) -> slice:
        """Player ``i``'s columns within one period's ``m`` actions."""
        return slice(i * self.k, (i + 1) * self.k)

    def own_index(self, i: int) -> np.ndarray:
        """Indices of player ``i``'s actions in a flat profile, period by period: ``(T k,)``."""
        return self._own_indices[i]

    @cached_property
    def _own_indices(self) -> tuple[np.ndarray, ...]:
        t = np.arange(self.T)[:, None] * self.m
        c = np.arange(self.k)[None, :]
        return tuple((t + i * self.k + c).reshape(-1) for i in range(self.n))

    def own(self, x, i: int) -> np.ndarray:
        """Player ``i``'s schedule in a flat profile: ``(T, k)`` (a copy)."""
        return np.asarray(x, dtype=float)[self.own_index(i)].reshape(self.T, self.k)

    def with_own(self, x, i: int, schedule) -> np.ndarray:
        """A copy of profile ``x`` with player ``i`` playing ``schedule`` (``(T, k)`` or flat)."""
        out = np.array(x, dtype=float)
        out[self.own_index(i)] = np.asarray(schedule, dtype=float).reshape(-1)
        return out

    def schedules(self, v) -> np.ndarray:
        """Own vector(s) ``(..., T k)`` as schedules ``(..., T, k)`` (a view where possible).

        >>> ActionLayout(T=2, n=3, k=2).schedules(np.arange(4.0))
        array([[0., 1.],
               [2., 3.]])
        """
        v = np.asarray(v, dtype=float)
        return v.reshape(v.shape[:-1] + (self.T, self.k))

    def flat_schedules(self, schedules) -> np.ndarray:
        """Schedules ``(..., T, k)`` as own vectors ``(..., T k)``, the order of :meth:`own_index`."""
        schedules = np.asarray(schedules, dtype=float)
        return schedules.reshape(schedules.shape[:-2] + (self.T * self.k,))

    # ------------------------------------------------------------ batches
    def paths(self, X) -> np.ndarray:
        """Profiles ``(B, N)`` as paths ``(T, m, B)`` (a copy, batch axis last)."""
        X = np.asarray(X, dtype=float)
        return np.ascontiguousarray(X.reshape(X.shape[0], self.T, self.m).transpose(1, 2, 0))

    def profiles(self, Z) -> np.ndarray:
        """Paths ``(T, m, B)`` as profiles ``(B, N)``."""
        Z = np.asarray(Z, dtype=float)
        return np.ascontiguousarray(Z.transpose(2, 0, 1)).reshape(Z.shape[2], self.N)

    def own_of_paths(self, Z, i: int) -> np.ndarray:
        """Player ``i``'s schedules in paths ``(T, m, B)``: ``(B, T, k)``."""
        return np.moveaxis(np.asarray(Z)[:, self.own_slice(i), :], -1, 0)

    def against(self, i: int, schedules, x) -> np.ndarray:
        """Paths ``(T, m, B)`` in which player ``i`` plays each of ``schedules`` ``(B, T, k)``
        and the others play profile ``x``."""
        schedules = np.asarray(schedules, dtype=float)
        B = schedules.shape[0]
        Z = np.repeat(self.periods(x)[:, :, None], B, axis=2)
        Z[:, self.own_slice(i), :] = np.moveaxis(schedules.reshape(B, self.T, self.k), 0, -1)
        return Z

    def against_each(self, players, schedules, x) -> np.ndarray:
        """Paths ``(T, m, B)`` in which player ``players[b]`` plays ``schedules[b]`` ``(B, T, k)``
        and the others play profile ``x``.

        >>> lay = ActionLayout(T=1, n=2, k=1)
        >>> lay.against_each([1, 0], [[[7.0]], [[8.0]]], [1.0, 2.0])[0]
        array([[1., 8.],
               [7., 2.]])
        """
        players = np.asarray(players, dtype=int)
        schedules = np.asarray(schedules, dtype=float).reshape(players.size, self.T, self.k)
        Z = np.repeat(self.periods(x)[:, :, None], players.size, axis=2)
        for i in np.unique(players):
            cols = np.flatnonzero(players == i)
            Z[:, self.own_slice(int(i)), cols] = np.moveaxis(schedules[cols], 0, -1)
        return Z

    def against_profiles(self, i: int, schedule, X) -> np.ndarray:
        """Paths ``(T, m, H)`` in which player ``i`` plays one ``schedule`` (``(T, k)`` or flat)
        against each profile of the others in ``X`` ``(H, N)``."""
        Z = self.paths(X)
        Z[:, self.own_slice(i), :] = np.asarray(schedule, dtype=float).reshape(self.T, self.k)[:, :, None]
        return Z

    def against_grid(self, i: int, schedules, X) -> np.ndarray:
        """Paths ``(T, m, C H)`` in which player ``i`` plays each of ``schedules`` ``(C, T, k)``
        against each profile of the others in ``X`` ``(H, N)``: path ``c H + h`` is schedule
        ``c`` against profile ``h`` (so values reshape to ``(C, H)``).

        >>> lay = ActionLayout(T=1, n=2, k=1)
        >>> lay.against_grid(0, [[[7.0]], [[8.0]]], [[1.0, 2.0], [3.0, 4.0]])[0]
        array([[7., 7., 8., 8.],
               [2., 4., 2., 4.]])
        """
        schedules = np.asarray(schedules, dtype=float)
        C, H = schedules.shape[0], np.shape(X)[0]
        Z = np.repeat(self.paths(X)[:, :, None, :], C, axis=2)  # (T, m, C, H)
        Z[:, self.own_slice(i)] = np.moveaxis(schedules.reshape(C, self.T, self.k), 0, -1)[:, :, :, None]
        return Z.reshape(self.T, self.m, C * H)

    # ------------------------------------------------------------ rows (derivatives)
    def pack_rows(self, A) -> np.ndarray:
        """An array indexed by action along its first axes, ``(T, n, k, ...)``, as ``(N, ...)``
        (e.g. a Jacobian's rows)."""
        A = np.asarray(A, dtype=float)
        return A.reshape((self.N,) + A.shape[3:])

    def own_rows(self, A) -> np.ndarray:
        """An array indexed by one player's actions along its first axes, ``(T, k, ...)``, as
        ``(T k, ...)`` in the order of :meth:`own_index` (e.g. rows of a Hessian block; a
        single schedule ``(T, k)`` gives its own vector)."""
        A = np.asarray(A, dtype=float)
        return A.reshape((self.T * self.k,) + A.shape[2:])

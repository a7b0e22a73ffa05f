r"""Results of a scenario: the tidy table, its xarray form, and files.

:class:`ScenarioResult` is what :meth:`dynapai_sym.scenario.Scenario.solve` returns: one
:class:`~dynapai_sym.solvers.SolverResult` (or :class:`~dynapai_sym.scenario.FailedPoint`) per
point of the grid, with the value of each varying parameter at each point. This module turns it
into tables and files; it never solves anything.

Tables
------
:meth:`ScenarioResult.to_dataframe` is the tidy table, one row per point :math:`\times` player
:math:`\times` period; :meth:`ScenarioResult.to_xarray` is the same data as an
``xarray.Dataset`` with dimensions ``(point, player, period)`` and the varying parameters as
coordinates along ``(point, player)``.

Files
-----
:meth:`ScenarioResult.save` writes the table in the format its extension names:

* ``.csv``: comma-separated text (pandas only);
* ``.parquet`` or ``.pq``: Apache Parquet (needs pyarrow or fastparquet);
* ``.nc``: NetCDF-4, the :meth:`~ScenarioResult.to_xarray` dataset (needs xarray and h5netcdf).

``pip install "dynapai_sym[io]"`` installs all of them. :meth:`ScenarioResult.load` reads any of
the three back into a :class:`ScenarioResult` with the *same* table:
``ScenarioResult.load(res.save(path)).to_dataframe()`` equals ``res.to_dataframe()`` (floats
bit for bit), whatever the format; it plots and compares like the result saved.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InvalidArgumentError, InvalidTypeError
from ..names import ACTION_COLUMNS
from ..solvers import SolverResult
from .comparison import Comparison, compare
from .planner import planner_columns
from .points import PointModels

__all__ = ["ScenarioResult", "FILE_FORMATS"]

#: File extensions understood by :meth:`ScenarioResult.save` and :meth:`ScenarioResult.load`.
FILE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".nc": "netcdf"}

_NETCDF_ENGINE = "h5netcdf"
_INDEX = ("point", "player", "period")
_STRING_COLUMNS = ("status", "method")


# ----------------------------------------------------------------------------- results
class ScenarioResult:
    """What :meth:`Scenario.solve` found at every point.

    Attributes
    ----------
    results : list of SolverResult or FailedPoint
        One per point, in the scenario's order.
    points : list of dict
        Value of each varying parameter at each point (name -> array of one value per player).
    varying : tuple of str
        Names of the varying parameters (empty for an unlabelled list of aggregators).
    t : int
        Number of periods solved.
    shape : tuple of int
        ``(m1,)`` or ``(m1, m2)`` for grids (first varying parameter fastest), ``(points,)`` otherwise.
    starts : list of str
        How each point was solved: ``"warm"``, ``"cold"`` or ``"cold after warm"`` (warm start failed).
    seconds : float
        Wall time of the whole solve.
    """

    def __init__(self, results: list, points: list[dict], varying: tuple[str, ...], t: int,
                 shape: tuple[int, ...] | None = None, starts: list[str] | None = None, seconds: float = 0.0,
                 aggregators: Sequence | None = None, planners: list | None = None, gaps: list | None = None):
        if len(points) != len(results):
            raise InvalidArgumentError(f"points has {len(points)} entries; results has {len(results)}")
        self.results = list(results)
        self.points = list(points)
        self.varying = tuple(varying)
        self.t = t
        self.shape = tuple(shape) if shape is not None else (len(results),)
        self.starts = list(starts) if starts is not None else ["cold"] * len(results)
        self.seconds = seconds
        # a grid's models stay as they are (built on first use: scenario.points.PointModels)
        self.aggregators = (None if aggregators is None else aggregators if isinstance(aggregators, PointModels)
                            else list(aggregators))
        #: with ``Scenario.solve(planner=True)``: the planner's result and the welfare gap per point
        self.planners = list(planners) if planners is not None else None
        self.gaps = list(gaps) if gaps is not None else None

    def sensitivity(self, param: str) -> list:
        """Derivatives of each certified point's equilibrium with respect to ``param``.

        One entry per point: the dict of :func:`dynapai_sym.solvers.sensitivity.sensitivity`, or None
        for points that did not certify.
        """
        if self.aggregators is None:
            raise InvalidArgumentError("this result carries no games (it was loaded from a file): "
                                       "load it with ScenarioResult.load(path, scenario=...) or re-solve "
                                       "to differentiate")
        return [agg.sensitivity(res, param) if getattr(res, "success", False) else None
                for agg, res in zip(self.aggregators, self.results)]

    def compare(self, other: ScenarioResult, quantity: str = "sigma", **kwargs) -> Comparison:
        """Compare this result (left) with ``other`` (right) point by point on their common grid.

        Shorthand for :func:`dynapai_sym.scenario.compare` ``(self, other, quantity, **kwargs)``;
        see there for the arguments.
        """
        return compare(self, other, quantity, **kwargs)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self):
        return iter(self.results)

    def __getitem__(self, j):
        return self.results[j]

    @property
    def success(self) -> np.ndarray:
        """Whether each point is a certified equilibrium: bool array (points,)."""
        return np.array([bool(r.success) for r in self.results], dtype=bool)

    @property
    def statuses(self) -> list[str]:
        """Status of each point."""
        return [r.status for r in self.results]

    def values(self, name: str) -> np.ndarray:
        """Values of a varying parameter: (points, n) array."""
        if name not in self.varying:
            raise InvalidArgumentError(f"name must be one of the varying parameters {self.varying}, got {name!r}")
        return np.stack([p[name] for p in self.points])

    def __repr__(self) -> str:
        ok = int(self.success.sum())
        vary = ", ".join(self.varying) if self.varying else "none named"
        return (f"ScenarioResult({len(self)} points, {ok} certified, shape={self.shape}, varying: {vary}, "
                f"t={self.t}, {self.seconds:.2f} s)")

    # ------------------------------------------------------------------ tables
    def to_dataframe(self):
        """A tidy table: one row per point x player x period.

        Columns: ``point`` (0-based), the varying parameter(s) (each player's own value),
        ``player`` (1-based, as in the formulas: player 1 is the first), ``period`` (0-based,
        :math:`t = 0, \\dots, T-1`), the action columns (``x_s``, ``x_p``, and ``i_s``, ``i_p``,
        ``sh_s``, ``sh_p`` when present), ``s``, ``p``, ``sigma``, ``q``, ``payoff`` (the
        player's aggregate payoff), ``success``, ``status``, ``kkt_residual``, ``method``,
        ``seconds``. Points that raised have NaN numbers. With ``planner=True`` in the solve, the
        planner's columns and the welfare-gap measures follow (:mod:`dynapai_sym.scenario.planner`).

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        k_max = max(_shape_of(r)[2] for r in self.results)
        action_cols = list(ACTION_COLUMNS[:k_max])
        columns: dict[str, list] = {name: [] for name in
                                    ["point", *self.varying, "player", "period", *action_cols,
                                     "s", "p", "sigma", "q", "payoff", "success", "status",
                                     "kkt_residual", "method", "seconds"]}
        for j, (res, point) in enumerate(zip(self.results, self.points)):
            T, n, k = _shape_of(res)
            ok = isinstance(res, SolverResult)
            data = res.strategies.data if ok else np.full((T, n, k), np.nan)
            nan = np.full((T, n), np.nan)
            s, p, sigma, q = (res.s, res.p, res.sigma, res.q) if ok else (nan, nan, nan, nan)
            payoffs = np.asarray(res.payoffs, dtype=float) if ok else np.full(n, np.nan)
            for i in range(n):
                for tt in range(T):
                    columns["point"].append(j)
                    for name in self.varying:
                        columns[name].append(float(point[name][i]))
                    columns["player"].append(i + 1)
                    columns["period"].append(tt)
                    for c, col in enumerate(action_cols):
                        columns[col].append(float(data[tt, i, c]) if c < k else np.nan)
                    columns["s"].append(float(s[tt, i]))
                    columns["p"].append(float(p[tt, i]))
                    columns["sigma"].append(float(sigma[tt, i]))
                    columns["q"].append(float(q[tt, i]))
                    columns["payoff"].append(float(payoffs[i]))
                    columns["success"].append(bool(res.success))
                    columns["status"].append(str(res.status))
                    columns["kkt_residual"].append(float(res.kkt_residual))
                    columns["method"].append(str(res.method))
                    columns["seconds"].append(float(res.seconds))
        if self.planners is not None:
            # the table numbers players from 1; the planner columns index from 0
            rows = [(j, i - 1, tt) for j, i, tt in zip(columns["point"], columns["player"], columns["period"])]
            planner_columns(columns, self.planners, self.gaps, rows, k_max)
        return pd.DataFrame(columns)

    def to_xarray(self):
        """The table as an ``xarray.Dataset`` indexed by (point, player, period), with the
        varying parameter(s) as coordinates along ``(point, player)`` (needs xarray).

        Points with fewer players or periods than others leave holes: NaN in numeric
        variables, NaN in the (object) ``status``/``method``/``success`` variables.
        """
        _require_xarray("to_xarray")
        return _table_to_xarray(self.to_dataframe(), self.varying)

    # ------------------------------------------------------------------ files
    def save(self, path) -> Path:
        """Write :meth:`to_dataframe` to ``path``, in the format its extension names.

        Parameters
        ----------
        path : str or os.PathLike
            ``.csv`` (text), ``.parquet`` or ``.pq`` (Apache Parquet), or ``.nc`` (NetCDF-4:
            the :meth:`to_xarray` dataset, written with the h5netcdf engine). Case-insensitive.

        Returns
        -------
        pathlib.Path
            ``path``, for chaining into :meth:`load`.

        Raises
        ------
        ValueError
            If the extension is none of the above (nothing is written).
        ImportError
            If the format's optional library is missing (pyarrow for Parquet; xarray and
            h5netcdf for NetCDF); the message names the ``pip install`` command.

        Notes
        -----
        Every float is stored as IEEE float64, so numbers read back by :meth:`load` are
        bit-for-bit equal to the table's. NetCDF has no string-or-missing and no boolean
        type: ``status`` and ``method`` are written as strings (holes of uneven grids as
        ``""``), ``success`` as a CF-encoded boolean (int8 with ``dtype: bool``), and the
        column order and varying names as global attributes, so :meth:`load` rebuilds the
        exact table.
        """
        path = Path(path)
        kind = _file_kind(path)
        if kind == "csv":
            self.to_dataframe().to_csv(path, index=False)
        elif kind == "parquet":
            _require_parquet()
            self.to_dataframe().to_parquet(path, index=False)
        else:
            _require_netcdf()
            df = self.to_dataframe()
            ds = _encodable(_table_to_xarray(df, self.varying))
            ds.attrs.update(dynapai_sym_table="ScenarioResult.to_dataframe", columns=" ".join(df.columns),
                            varying=" ".join(self.varying), t=int(self.t))
            ds.to_netcdf(path, engine=_NETCDF_ENGINE)
        return path

    @staticmethod
    def load(path, *, as_xarray: bool = False, as_table: bool = False, scenario=None):
        """Read a result written by :meth:`save` (the format is chosen by extension).

        Parameters
        ----------
        path : str or os.PathLike
            A ``.csv``, ``.parquet``/``.pq`` or ``.nc`` file written by :meth:`save`.
        as_xarray : bool
            Return the ``xarray.Dataset`` of :meth:`to_xarray` instead.
        as_table : bool
            Return the table of :meth:`to_dataframe` (a ``pandas.DataFrame``) instead.
        scenario : Scenario, optional
            The scenario that was solved: attaches its games, so that
            :meth:`sensitivity` works on the loaded result.

        Returns
        -------
        ScenarioResult, pandas.DataFrame or xarray.Dataset
            By default a :class:`ScenarioResult` (see :meth:`from_dataframe`) that plots,
            compares and tabulates like the one saved: ``load(res.save(p)).to_dataframe()``
            equals ``res.to_dataframe()`` (floats bit for bit), for every format. Solver
            details not in the file (iterations, messages, certificates) are not restored.

        Raises
        ------
        ValueError
            If the extension is not one :meth:`save` writes, a ``.nc`` file was not written
            by :meth:`save`, or ``scenario`` has a different number of points.
        ImportError
            If the format's optional library is missing.
        FileNotFoundError
            If ``path`` does not exist.
        """
        import pandas as pd

        for name, flag in (("as_xarray", as_xarray), ("as_table", as_table)):
            if not isinstance(flag, (bool, np.bool_)):
                raise InvalidTypeError(f"{name} must be True or False, got {flag!r}")
        if as_xarray and as_table:
            raise InvalidArgumentError("give at most one of as_xarray and as_table")
        path = Path(path)
        kind = _file_kind(path)
        if kind == "csv":
            # exact floats: pandas >= 3 reads them round-trip by default, older versions need asking
            exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
            df = pd.read_csv(path, **exact)
        elif kind == "parquet":
            _require_parquet()
            df = pd.read_parquet(path)
        else:
            _require_netcdf()
            df = _read_netcdf_table(path)
        if as_table:
            return df
        if as_xarray:
            _require_xarray("load(..., as_xarray=True)")
            return _table_to_xarray(df, _varying_of(df))
        aggregators = None
        if scenario is not None:
            aggregators = list(getattr(scenario, "aggregators", None) or [])
            if len(aggregators) != df["point"].nunique():
                raise InvalidArgumentError(f"scenario has {len(aggregators)} points; the file holds "
                                           f"{df['point'].nunique()}")
        return ScenarioResult.from_dataframe(df, aggregators=aggregators)

    @staticmethod
    def from_dataframe(df, aggregators: list | None = None) -> ScenarioResult:
        """Rebuild a result from its :meth:`to_dataframe` table.

        Each point becomes a :class:`~dynapai_sym.solvers.SolverResult` with the table's
        actions, quantities, payoffs, status and residual (a point whose actions are missing,
        one that raised, becomes a :class:`~dynapai_sym.scenario.FailedPoint`). The grid's
        shape is read from the varying columns (the first varying parameter runs fastest).

        Parameters
        ----------
        df : pandas.DataFrame
            A table written by :meth:`to_dataframe` (or read by :meth:`load` with
            ``as_table=True``).
        aggregators : list of Aggregator, optional
            The games of the points, for :meth:`sensitivity`.

        Returns
        -------
        ScenarioResult
        """
        from ..model import Strategies
        from ..solvers.result import Optimum
        from .runs import FailedPoint

        varying = _varying_of(df)
        action_cols = [c for c in ACTION_COLUMNS if c in df.columns]
        results, points = [], []
        for _, rows in df.groupby("point", sort=True):
            rows = rows.sort_values(["player", "period"])
            n, t = rows["player"].nunique(), rows["period"].nunique()
            first = rows.iloc[0]
            points.append({name: rows.groupby("player")[name].first().to_numpy(dtype=float) for name in varying})

            def grid(col, rows=rows, n=n, t=t):
                return rows[col].to_numpy(dtype=float).reshape(n, t).T  # (T, n)

            data = np.stack([grid(c) for c in action_cols], axis=-1)
            k = max((c + 1 for c in range(len(action_cols)) if not np.all(np.isnan(data[..., c]))), default=0)
            if k not in (2, 4, 6) or np.any(np.isnan(data[..., :k])):
                results.append(FailedPoint(status=str(first["status"]), message="loaded from a table",
                                           method=str(first["method"]), n=n, k=max(k, 2) if k in (2, 4, 6)
                                           else len(action_cols), t=t, seconds=float(first["seconds"]),
                                           kkt_residual=float(first["kkt_residual"])))
                continue
            strategies = Strategies(data[..., :k])
            results.append(SolverResult(
                optimum=Optimum(strategies.actions), strategies=strategies, success=bool(first["success"]),
                status=str(first["status"]), message="loaded from a table",
                payoffs=rows.groupby("player")["payoff"].first().to_numpy(dtype=float),
                s=grid("s"), p=grid("p"), sigma=grid("sigma"), q=grid("q"),
                kkt_residual=float(first["kkt_residual"]), iterations=0, method=str(first["method"]),
                seconds=float(first["seconds"])))
        shape = (len(results),)
        if len(varying) == 2 and results:
            second = np.array([p[varying[1]][0] for p in points])
            m1 = int(np.argmax(second != second[0])) if np.any(second != second[0]) else len(second)
            if len(second) % m1 == 0:
                shape = (m1, len(second) // m1)
        t = max(_shape_of(r)[0] for r in results) if results else 1
        return ScenarioResult(results, points, varying, t, shape=shape, aggregators=aggregators)


# ----------------------------------------------------------------------------- helpers
def _shape_of(res) -> tuple[int, int, int]:
    if isinstance(res, SolverResult):
        return res.strategies.data.shape
    return res.t, res.n, res.k


def _file_kind(path: Path) -> str:
    kind = FILE_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InvalidArgumentError(f"path must end in .csv or .parquet/.pq or .nc (NetCDF), got {str(path)!r}")
    return kind


def _require_parquet() -> None:
    if importlib.util.find_spec("pyarrow") is None and importlib.util.find_spec("fastparquet") is None:
        raise ImportError('Parquet files need pyarrow: pip install pyarrow (or pip install "dynapai_sym[io]"), '
                          "or save to a .csv path")


def _require_xarray(what: str) -> None:
    if importlib.util.find_spec("xarray") is None:
        raise ImportError(f'{what} needs xarray: pip install xarray (or pip install "dynapai_sym[io]")')


def _require_netcdf() -> None:
    missing = [name for name in ("xarray", "h5netcdf", "h5py") if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(f"NetCDF (.nc) files need {', '.join(missing)}: pip install \"dynapai_sym[io]\" "
                          f"(or pip install xarray h5netcdf h5py), or save to a .csv path")


def _varying_of(df) -> tuple[str, ...]:
    """The varying-parameter columns of a table: those between ``point`` and ``player``."""
    cols = list(df.columns)
    if cols[:1] != ["point"] or "player" not in cols:
        raise InvalidArgumentError("the table has no point/player columns: it was not written by ScenarioResult.save")
    return tuple(cols[1:cols.index("player")])


def _table_to_xarray(df, varying: tuple[str, ...]):
    """The tidy table as a Dataset over (point, player, period); varying values as coordinates."""
    ds = df.drop(columns=list(varying)).set_index(list(_INDEX)).to_xarray()
    for name in varying:
        ds = ds.assign_coords({name: (("point", "player"), df.pivot_table(
            index="point", columns="player", values=name, aggfunc="first").to_numpy())})
    return ds


def _encodable(ds):
    """A copy that NetCDF can store: object strings as fixed strings, holes filled (see ``save``)."""
    ds = ds.copy()
    for name in _STRING_COLUMNS:
        ds[name] = ds[name].fillna("").astype(str)
    ds["success"] = ds["success"].fillna(False).astype(bool)
    return ds


def _read_netcdf_table(path: Path):
    """The table of :meth:`ScenarioResult.to_dataframe` from a ``.nc`` file written by ``save``."""
    import xarray as xr

    if not path.exists():
        raise FileNotFoundError(f"path {str(path)!r} does not exist")
    with xr.open_dataset(path, engine=_NETCDF_ENGINE) as opened:
        ds = opened.load()
    if ds.attrs.get("dynapai_sym_table") != "ScenarioResult.to_dataframe":
        raise InvalidArgumentError(f"path {str(path)!r} is a NetCDF file not written by ScenarioResult.save")
    columns = str(ds.attrs["columns"]).split()
    varying = str(ds.attrs["varying"]).split()
    df = ds.to_dataframe(dim_order=list(_INDEX)).reset_index()
    df = df[df["status"].astype(str) != ""]  # holes of uneven grids were never rows of the table
    df = df[columns].reset_index(drop=True)
    for name in _INDEX:
        df[name] = df[name].astype(np.int64)
    for name in varying:
        df[name] = df[name].astype(float)
    for name in _STRING_COLUMNS:
        df[name] = df[name].astype(str)
    df["success"] = df["success"].astype(bool)
    return df

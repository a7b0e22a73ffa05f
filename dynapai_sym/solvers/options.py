"""Solver options, accepting dynapai's Python bindings' names."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from ..errors import InvalidArgumentError, InvalidTypeError

__all__ = ["SolverOptions"]


@dataclass(frozen=True)
class SolverOptions:
    """Options of every solver.

    Parameters
    ----------
    iters : int
        Maximum outer iterations (Newton/LM steps, or best-response rounds).
    tol : float
        Target KKT residual :math:`\\|x - \\Pi(x + G)\\|_\\infty` (and step
        tolerance of best response).
    init_simplex_size : float
        Initial simplex size of Nelder–Mead (log space), as in dynapai.
    nm_iters, nm_tol : int, float
        Iterations and tolerance of each Nelder–Mead best response.
    hist_size : int
        Length of the history in the mixed-strategy solver.
    mixed_samples : int
        Number of profiles the mixed-strategy solver returns.
    kkt_tol : float
        KKT residual accepted when certifying.
    gain_tol : float
        Relative payoff gain (of :math:`1 + |U_i|`) above which a deviation is profitable.
    probe_samples : int
        Random candidate deviations per player in the global best-response probe.
    probe_polish : int
        Candidates polished by a local optimiser when they come near the equilibrium payoff.
    restarts : int
        Extra starting points tried when a start fails.
    seed : int
        Seed of the random starts and probes (results are reproducible).
    blas_threads : int
        BLAS threads during a solve (default 1, fastest for these small
        matrices; 0 leaves the BLAS as configured).
    """

    iters: int = 200
    tol: float = 1e-12
    init_simplex_size: float = 0.5
    nm_iters: int = 500
    nm_tol: float = 1e-8
    hist_size: int = 20
    mixed_samples: int = 100
    kkt_tol: float = 1e-8
    gain_tol: float = 1e-7
    probe_samples: int = 96
    probe_polish: int = 2
    restarts: int = 12
    seed: int = 0
    blas_threads: int = 1

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("int",) or isinstance(f.default, bool):
                continue
            if isinstance(f.default, int) and not isinstance(f.default, bool):
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                    raise InvalidTypeError(f"{f.name} must be an integer, got {value!r}")
                if value < 0 or (value == 0 and f.name in ("iters", "hist_size", "mixed_samples",
                                                             "nm_iters")):
                    raise InvalidArgumentError(f"{f.name} must be positive, got {value}")
            elif isinstance(f.default, float):
                if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool):
                    raise InvalidTypeError(f"{f.name} must be a number, got {value!r}")
                if not np.isfinite(value) or value <= 0:
                    raise InvalidArgumentError(f"{f.name} must be positive and finite, got {value}")

    @classmethod
    def coerce(cls, options) -> SolverOptions:
        """Accept None, a SolverOptions or a dict of option names."""
        if options is None:
            return cls()
        if isinstance(options, cls):
            return options
        if isinstance(options, dict):
            known = {f.name for f in fields(cls)}
            unknown = set(options) - known
            if unknown:
                raise InvalidArgumentError(f"unknown solver options {sorted(unknown)}; known: {sorted(known)}")
            return cls(**options)
        raise InvalidTypeError(f"options must be a SolverOptions or a dict, got {type(options).__name__}")

    def with_(self, **changes) -> SolverOptions:
        return replace(self, **changes)

"""BLAS threading during solves.

The solvers' linear algebra works on small matrices (tens to hundreds of
rows), where a multi-threaded BLAS spends more time synchronising threads than
computing: measured on a 2-core machine, static n = 6 solves took 528 ms with
two OpenBLAS threads and 8 ms with one. Solves therefore run with the BLAS
limited to ``SolverOptions.blas_threads`` threads (default 1); the previous
setting is restored afterwards.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache

__all__ = ["blas_threads"]


@lru_cache(maxsize=1)
def _controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return None
    return ThreadpoolController()


def blas_threads(limit: int):
    """Context manager limiting BLAS threads to ``limit`` (0 leaves them as they are)."""
    controller = _controller()
    if not limit or controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=int(limit), user_api="blas")

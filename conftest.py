"""Test set-up shared by ``tests/`` and ``notebooks/``.

Notebook kernels (run by nbmake from ``notebooks/``) import ``dynapai_sym`` from this checkout,
not from wherever the package happens to be installed: the repository root goes first on
their ``PYTHONPATH``.
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent)
_paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _ROOT]
os.environ["PYTHONPATH"] = os.pathsep.join([_ROOT, *_paths])

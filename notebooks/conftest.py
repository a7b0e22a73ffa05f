"""The notebooks run (nbmake) against the checkout they sit in, not another installed copy.

Each notebook runs in its own kernel process; putting the repository root first on the
kernel's ``PYTHONPATH`` makes ``import dynapai_sym`` there load this checkout's package, as the
tests' own process does.
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
_paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
if _ROOT not in _paths:
    os.environ["PYTHONPATH"] = os.pathsep.join([_ROOT, *_paths])

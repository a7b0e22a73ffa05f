"""Put this checkout of the package first on ``sys.path``; locate the reference implementation.

A script run as ``python benchmarks/bench_static.py`` has ``benchmarks/`` as ``sys.path[0]``, so a
plain ``import dynapai_sym`` would find whatever copy is installed (an editable install may point at
another checkout). Every benchmark script imports this module (directly or through ``_common``)
before ``dynapai_sym``, so the package measured is the one next to this folder.

``REFERENCE_DIR`` is ``../shared/reference`` relative to the repository root: an independent
implementation of the model and of the original engine's solver, used for speed ratios and as an
independent payoff in ``check_certificates.py`` when that folder exists (users do not have it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
if "dynapai_sym" in sys.modules:  # imported before this module: say which copy is measured
    _where = Path(sys.modules["dynapai_sym"].__file__).resolve()
    if REPO_ROOT not in _where.parents:
        print(f"warning: dynapai_sym was imported from {_where}, not from {REPO_ROOT}", file=sys.stderr)


def child_env() -> dict:
    """Environment for a fresh Python process that must import this checkout's package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env

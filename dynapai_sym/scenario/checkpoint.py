"""Checkpoints of a sweep: finished points saved as they come, so that a re-run solves only the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InvalidArgumentError
from ..game import Aggregator
from .runs import LOST

__all__ = ["fingerprint", "load", "save"]


def fingerprint(aggregators: list[Aggregator], t: int, method: str) -> str:
    """A digest of what a sweep computes: every point's model form, parameters, states, gammas, t and method."""
    import hashlib

    digest = hashlib.sha256(f"{t}|{method}|{len(aggregators)}".encode())
    for agg in aggregators:
        digest.update(f"|{agg.n},{agg.k},{agg.end_on_win}".encode())
        digest.update(np.asarray(agg.gammas if agg.gammas is not None else [], dtype=float).tobytes())
        for pf in agg.state.beliefs:
            form = pf.form_key()
            digest.update(repr(form if form is not None else pf.structure.payoffs).encode())
            digest.update(np.asarray(pf.param_vector(), dtype=float).tobytes())
            digest.update(np.asarray(pf.state_vector(), dtype=float).tobytes())
    return digest.hexdigest()


def load(path, count: int, fingerprint: str = "") -> dict:
    """Finished points saved by an earlier run: {index: (result, start)}.

    Only finished points count (including points whose solve raised, which would raise again);
    a point recorded as lost (its chunk's future failed) is solved again. A checkpoint written
    for a different sweep (other parameters, horizon or method: see :func:`fingerprint`) is
    refused rather than silently reused.
    """
    if path is None:
        return {}
    import pickle

    path = Path(path)
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        saved = pickle.load(fh)
    if saved.get("count") != count:
        raise InvalidArgumentError(f"checkpoint {str(path)!r} is for {saved.get('count')} points; "
                                   f"this scenario has {count}")
    if fingerprint and saved.get("fingerprint", fingerprint) != fingerprint:
        raise InvalidArgumentError(f"checkpoint {str(path)!r} was written by a different sweep (other parameters, t or "
                         "method); pass another checkpoint path or delete the file")
    return {idx: entry for idx, entry in saved["done"].items() if entry[1] != LOST}


def save(path, done: dict, count: int, fingerprint: str = "") -> None:
    if path is None:
        return
    import os
    import pickle

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        pickle.dump({"count": count, "fingerprint": fingerprint, "done": done}, fh)
    os.replace(tmp, path)  # atomic: a crash never leaves a half-written checkpoint

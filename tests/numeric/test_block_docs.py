"""The compiled blocks say how to call them: help(block) gives f(z, y, theta), the input sizes and
each output's name and shape."""

from __future__ import annotations

import pydoc
import re

import numpy as np
import pytest

from dynapai_sym import models

BLOCKS = {"values": ("u", "f", "Q"), "static": ("g", "J"), "first": ("u", "f", "Q", "u_v", "f_v", "Q_v"),
          "dynamic": ("u_v", "u_vv", "f_v", "f_vv", "Q_v", "Q_vv"), "quantities": ("s", "p", "sigma", "q")}


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_help_of_a_compiled_block_states_its_calling_convention(block):
    model = models.invest_aggregator(2).state.beliefs[0].compiled
    f = getattr(model, "_" + block)
    n, k, ds, n_par = model.n, model.k, model.ds, len(model.structure.params)
    text = pydoc.render_doc(f, renderer=pydoc.plaintext)
    assert f"{block}: f(z, y, theta) -> ({', '.join(BLOCKS[block])})" in text
    assert f"z : ndarray, shape (m,) = ({n * k},), or (m, *batch)" in text
    assert f"y : ndarray, shape (ds,) = ({ds},), or (ds, *batch)" in text
    assert f"theta : ndarray, shape (np,) = ({n_par},)" in text
    # every output is listed with the shape the call returns
    outputs = f(np.full(n * k, 0.5), np.ones(ds), np.ones(n_par))
    assert len(outputs) == len(BLOCKS[block]) == len(f.shapes)
    listed = dict(re.findall(r"^    (\w+) +(\([0-9, ]*\))", f.__doc__, flags=re.M))
    assert list(listed) == list(BLOCKS[block])
    for name, out in zip(BLOCKS[block], outputs):
        assert listed[name] == str(out.shape), (name, listed[name], out.shape)
    assert block in repr(f) and "f(z, y, theta)" in repr(f)

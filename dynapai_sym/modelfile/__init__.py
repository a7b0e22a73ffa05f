"""Model files: a model written as TOML, checked, built, solved and written back.

:func:`load_model` and :func:`save_model` are the public entry points (also ``dp.load_model``,
``dp.save_model``); :class:`~dynapai_sym.modelfile.spec.ModelSpec` is the checked content of a
file. The format and the expression grammar are described in ``docs/model_files.md``.
"""

from .spec import ModelSpec
from .toml_model import dumps, load_model, read_spec, save_model, spec_of

__all__ = ["ModelSpec", "dumps", "load_model", "read_spec", "save_model", "spec_of"]

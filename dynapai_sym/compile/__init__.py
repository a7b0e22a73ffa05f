"""The only place that turns sympy into numbers: backends, compiled blocks, compiled models."""

from .backends import available_backends, default_backend
from .blocks import ArrayFunction
from .compiled import CompiledModel, compile_model

__all__ = ["ArrayFunction", "CompiledModel", "available_backends", "compile_model", "default_backend"]

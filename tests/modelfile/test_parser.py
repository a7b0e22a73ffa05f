"""The safe parser against a hostile corpus: every string refused cleanly and quickly, nothing executed."""

from __future__ import annotations

import os
import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynapai_sym.components.parser import MAX_DEPTH, ExpressionError, parse_expression
from dynapai_sym.errors import DynapaiError

X = sp.Symbol("x", positive=True)
NAMES = {"x": X, "alpha": sp.Symbol("alpha", positive=True)}

#: the canary: each of these would create this file if executed
CANARY = "dynapai_canary_created"

HOSTILE = [
    # code execution
    f"__import__('os').system('touch {CANARY}')",
    f"open('{CANARY}', 'w').write('x')",
    f"exec(\"open('{CANARY}', 'w')\")",
    f"eval(\"open('{CANARY}', 'w')\")",
    "compile('1', 'f', 'eval')",
    "globals()",
    "locals()",
    "getattr(x, 'y')",
    "breakpoint()",
    "input()",
    # attribute access and dunders
    "x.__class__",
    "x.__class__.__mro__[1].__subclasses__()",
    "().__class__.__bases__[0]",
    "__builtins__",
    "__name__",
    "x.evalf()",
    "alpha.subs",
    # subscripts, containers, strings
    "x[0]",
    "[x, x]",
    "(x, x)",
    "{x: 1}",
    "{x}",
    "'x'",
    "f'{x}'",
    "b'x'",
    # other syntax
    "lambda: x",
    "[i for i in range(3)]",
    "(i for i in range(3))",
    "x if x else 1",
    "x < 1",
    "x and 1",
    "not x",
    "~x",
    "x // 2",
    "x % 2",
    "x @ x",
    "x << 2",
    "x ^ 2",
    "(y := 2)",
    "*x",
    "x; import os",
    "import os",
    "x = 1",
    "yield x",
    "await x",
    # numbers and names
    "True",
    "None",
    "1j",
    "...",
    "1e999",
    "y",
    "X",
    "sin(x)",
    "exp",
    "exp(x, 2)",
    "min(x)",
    "max(*[x, 1])",
    "exp(x=1)",
    "Symbol('x')",
    "sympify('x')",
    "S('x')",
    # explosions and undefined values
    "9**9**9**9",
    "x**9**9**9",
    "2**10000",
    "10.0**400",
    "exp(1000)",
    "exp(exp(exp(100.0)))",
    "1/0",
    "log(0)",
    "(-8)**0.5",
    "sqrt(-1)",
    # size and depth
    "x+" * 1000 + "x",
    "-" * 60 + "x",
    "exp(" * 60 + "x" + ")" * 60,
    "(" * 250 + "x" + ")" * 250,
    "",
    "   ",
    "\x00",
]


def test_the_corpus_is_large_enough():
    assert len(HOSTILE) >= 40
    assert len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_expressions_are_refused_cleanly_and_quickly(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    times = []
    for _ in range(3):  # the fastest of three: a pause of the shared machine is not the parser's time
        t0 = time.perf_counter()
        with pytest.raises(ExpressionError) as info:
            parse_expression(text, NAMES, source="model.toml", key="components.risk.sigma")
        times.append(time.perf_counter() - t0)
    assert min(times) < 0.1, f"{text[:40]!r} took {min(times):.3f} s"
    message = str(info.value)
    assert message.startswith("model.toml: components.risk.sigma: ")
    assert "\n" not in message
    assert isinstance(info.value, DynapaiError) and isinstance(info.value, ValueError)
    assert not os.path.exists(CANARY)
    assert not (tmp_path / CANARY).exists()


def test_messages_name_the_token_and_what_is_allowed():
    with pytest.raises(ExpressionError, match=r"unknown name 'y'; known names: alpha, x"):
        parse_expression("x + y", NAMES)
    with pytest.raises(ExpressionError, match=r"attribute access \('x.real'\).*allowed: numbers"):
        parse_expression("x.real", NAMES)
    with pytest.raises(ExpressionError, match=r"calling 'open' is not allowed; the functions are exp, log"):
        parse_expression("open('f')", NAMES)
    with pytest.raises(ExpressionError, match=r"'9\*\*9\*\*9' is a number with more than 300 digits"):
        parse_expression("9**9**9**9", NAMES)
    with pytest.raises(ExpressionError, match=f"deeper than {MAX_DEPTH}"):
        parse_expression("-" * 60 + "x", NAMES)
    with pytest.raises(ExpressionError, match="at most 2000"):
        parse_expression("x+" * 1000 + "x", NAMES)


@pytest.mark.parametrize("text,expected", [
    ("2 * x**0.5 + max(x, 1)", 2 * X**sp.Float(0.5) + sp.Max(X, 1)),
    ("exp(-x) + log(x) - sqrt(x) / abs(x - 1)", sp.exp(-X) + sp.log(X) - sp.sqrt(X) / sp.Abs(X - 1)),
    ("min(x, alpha, 3)", sp.Min(X, NAMES["alpha"], 3)),
    ("+x - -x", 2 * X),
    ("x**-alpha", X**-NAMES["alpha"]),
    ("(((x)))", X),
    ("2**10", sp.Integer(1024)),
])
def test_the_grammar_is_accepted_and_built_as_written(text, expected):
    assert parse_expression(text, NAMES) == expected


def test_nesting_up_to_the_limit_is_accepted():
    assert parse_expression("-" * (MAX_DEPTH - 1) + "x", NAMES) == (X if (MAX_DEPTH - 1) % 2 == 0 else -X)


_TOKENS = ["x", "alpha", "2", "0.5", "1e3", "+", "-", "*", "/", "**", "(", ")", ",", "exp(", "log(", "sqrt(", "min(",
           "max(", "abs(", ".", "[", "]", "_", "__", "lambda", ":", "'", "open(", "9**9**9", " ", "if", "else"]


@pytest.mark.property
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=120), st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join)))
def test_any_text_gives_an_expression_or_an_expression_error(text):
    times = []
    for _ in range(2):  # the faster of two: a pause of the shared machine is not the parser's time
        t0 = time.perf_counter()
        try:
            expr = parse_expression(text, NAMES)
        except ExpressionError as exc:
            assert "\n" not in str(exc)
        else:
            assert isinstance(expr, sp.Expr)
            assert expr.free_symbols <= set(NAMES.values())
        times.append(time.perf_counter() - t0)
    assert min(times) < 0.1

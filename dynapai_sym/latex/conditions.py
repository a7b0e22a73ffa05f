r"""First-order conditions written in the model's intermediate quantities, for typesetting.

The one-period payoff is a function of the intermediates

.. math::

    p_i = B_i x_{p,i}^{\beta_i}, \quad s_i = A_i x_{s,i}^{\alpha_i} p_i^{-\theta_i}, \quad
    \sigma_j(s, p), \quad q_j(p),

and of the reward :math:`\rho_{ij}(p)`, the disaster cost :math:`d_{ij}` and the input cost
:math:`c_i(a, s, p)`. :class:`IntermediateForm` holds the payoff in these symbols (the *outer*
payoff) and each intermediate's own partial derivatives, also written in intermediates
(:math:`\partial p_i/\partial x_{p,i} = \beta_i p_i / x_{p,i}`,
:math:`\partial s_i/\partial x_{s,i} = \alpha_i s_i / x_{s,i}`,
:math:`\partial s_i/\partial p_i = -\theta_i s_i / p_i`, :math:`\partial\sigma_j/\partial s_k`,
:math:`\partial q_j/\partial p_k`, ...). :meth:`IntermediateForm.total` applies the chain rule:

.. math::

    \frac{d f}{d a} = \frac{\partial f}{\partial a}
      + \sum_k \frac{\partial f}{\partial p_k}\frac{d p_k}{d a}
      + \sum_k \frac{\partial f}{\partial s_k}\frac{d s_k}{d a}
      + \sum_j \frac{\partial f}{\partial \sigma_j}\frac{d \sigma_j}{d a}
      + \sum_j \frac{\partial f}{\partial q_j}\frac{d q_j}{d a},

so a first-order condition is ``total(u_i, a)`` and a Jacobian entry ``total(total(u_i, a), b)``
(the derivative in :math:`p_k` gathered once: ``through_p``, ``through_s``),
both expressions in actions, intermediates and parameters. Substituting the intermediates'
own expressions (:meth:`IntermediateForm.explicit`) gives back the model's derivatives
(:meth:`PayoffFunc.focs`, :meth:`PayoffFunc.jacobian`); the tests check this at random points.
The same rule with a state symbol (:math:`A_i`, :math:`B_i`) in place of an action gives the
payoff's derivatives in the state, which the multi-period conditions chain through time.
"""

from __future__ import annotations

from functools import cached_property

import sympy as sp

from ..model import PayoffModel
from ..symbols import intermediate

__all__ = ["IntermediateForm"]


def _simpler(candidate: sp.Expr, original: sp.Expr, ties: bool = False) -> sp.Expr:
    a, b = sp.count_ops(candidate), sp.count_ops(original)
    return candidate if a < b or (ties and a == b) else original


#: expressions with more operations than this are only tidied by cheap rewritings (no factoring)
_TIDY_MAX_OPS = 120
#: seconds a single rewriting of :func:`_tidy` may take before it is abandoned
_TIDY_SECONDS = 2.0
#: seconds between further alarms once a rewriting is out of time (see _within_budget)
_RETRY_SECONDS = 0.05


def _tidy(expr: sp.Expr) -> sp.Expr:
    """A short form of ``expr``: the shortest of a few standard rewritings.

    On a tie the form written with :math:`1 - \\sigma_j` (the probability of a disaster) wins,
    as a modeller writes it: :math:`-d_i (1 - \\sigma_j)` rather than :math:`d_i \\sigma_j - d_i`.
    """
    expr = sp.sympify(expr)
    best = expr
    rewrites = [sp.factor_terms, lambda e: sp.factor_terms(sp.together(e))]
    # polynomial factoring can take minutes on long expressions (components written as
    # expressions): only short ones are factored, each within a time budget
    small = sp.count_ops(expr) <= _TIDY_MAX_OPS
    if small:
        rewrites += [sp.cancel, sp.factor, lambda e: sp.factor_terms(sp.collect(sp.expand(e), e.free_symbols))]
    for rewrite in rewrites:
        try:
            best = _simpler(_within_budget(rewrite, expr), best)
        except (sp.PolynomialError, TypeError, ValueError, _OutOfTimeError):  # sympy corner cases, slow factoring
            continue
    sigmas = [sym for sym in expr.free_symbols if isinstance(sym, sp.Symbol) and sym.name.startswith("sigma")]
    if sigmas and small:
        unsafe = {sym: sp.Dummy(f"u_{sym.name}") for sym in sigmas}
        try:
            moved = _within_budget(sp.factor, expr.xreplace({sym: 1 - d for sym, d in unsafe.items()}))
            back = moved.xreplace({d: sp.Add(1, -sym, evaluate=False) for sym, d in unsafe.items()})
            best = _simpler(back, best, ties=True)
        except (sp.PolynomialError, TypeError, ValueError, _OutOfTimeError):  # sympy corner cases, slow factoring
            pass
    return best


class _OutOfTimeError(Exception):
    """A rewriting ran past :data:`_TIDY_SECONDS`."""


def _within_budget(rewrite, expr: sp.Expr) -> sp.Expr:
    """``rewrite(expr)``, stopped after :data:`_TIDY_SECONDS` (raising :class:`_OutOfTimeError`) where a
    timer signal can be used (the main thread on Unix); elsewhere simply ``rewrite(expr)``."""
    import signal
    import threading

    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return rewrite(expr)

    def stop(signum, frame):
        # an exception raised where Python cannot pass it on (a garbage-collector callback, a
        # destructor) is printed and dropped: the alarm then rings again until one stops the rewrite
        signal.setitimer(signal.ITIMER_REAL, _RETRY_SECONDS)
        raise _OutOfTimeError

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, _TIDY_SECONDS)
    try:
        return rewrite(expr)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class IntermediateForm:
    """The payoff of a model and its derivatives, written in :math:`p, s, \\sigma, q`.

    Parameters
    ----------
    pf : PayoffFunc (or PayoffModel)
        The model.
    """

    def __init__(self, pf: PayoffModel):
        self.pf = pf
        n = pf.n
        self.n = n
        self.X = pf.action_symbols
        self.P = intermediate("p", n)
        self.S = intermediate("s", n)
        self.SIG = intermediate("sigma", n)
        self.Q = intermediate("q", n)
        prod, risk = pf.prod_func, pf.risk_func
        xs = [row[0] for row in self.X]
        xp = [row[1] for row in self.X]
        #: the intermediates' own expressions: p in actions, s in actions and p, sigma in s and p, q in p
        self.p_expr = list(prod.performance(xp))
        self.s_expr = list(prod.safety(xs, self.P, risk.theta_symbols))
        self.sigma_expr = list(risk.sigma(self.S, self.P))
        self.q_expr = list(pf.csf.q(self.P))

    # ------------------------------------------------------------------ the outer payoff
    @cached_property
    def payoffs(self) -> list[sp.Expr]:
        r""":math:`u_i` in :math:`\sigma, q, \rho(p), d, c(a, s, p)`."""
        pf, n = self.pf, self.n
        rho = pf.reward_func.rho(self.P)
        dmat = pf.disaster_cost.matrix()
        cost = pf.cost_func.cost(self.X, self.S, self.P)
        out = []
        for i in range(n):
            reward = sp.Add(*[self.SIG[j] * self.Q[j] * rho[i][j] for j in range(n)])
            if pf.disaster == "per_winner":
                loss = sp.Add(*[(1 - self.SIG[j]) * self.Q[j] * dmat[i][j] for j in range(n)])
            else:
                loss = (1 - sp.Add(*[self.SIG[j] * self.Q[j] for j in range(n)])) * dmat[i][i]
            out.append(reward - loss - cost[i])
        return out

    # ------------------------------------------------------------------ intermediates' own derivatives
    def _in_own_terms(self, derivative: sp.Expr, expr: sp.Expr, symbol: sp.Symbol, var: sp.Symbol) -> sp.Expr:
        """``derivative`` of ``expr`` (= ``symbol``) in ``var``, as ``symbol * ratio / var`` when shorter."""
        if derivative == 0:
            return sp.Integer(0)
        ratio = sp.simplify(derivative * var / expr)
        actions = {x for row in self.X for x in row}
        if not ratio.free_symbols & actions:
            return _simpler(ratio * symbol / var, derivative, ties=True)
        return derivative

    @cached_property
    def dp(self) -> dict[tuple[int, sp.Symbol], sp.Expr]:
        r""":math:`\partial p_k / \partial v` for v an action or a state symbol (nonzero entries)."""
        out = {}
        for k, expr in enumerate(self.p_expr):
            for var in sorted(expr.free_symbols - {*self.pf.risk_func.theta_symbols}, key=lambda s: s.name):
                if var in self.pf.param_values and var not in self.pf.state_symbols:
                    continue
                d = sp.diff(expr, var)
                if d != 0:
                    out[(k, var)] = self._in_own_terms(d, expr, self.P[k], var)
        return out

    @cached_property
    def ds(self) -> dict[tuple[int, sp.Symbol], sp.Expr]:
        r""":math:`\partial s_k / \partial v` (v an action, a state symbol or :math:`p_k`), nonzero entries."""
        out = {}
        for k, expr in enumerate(self.s_expr):
            for var in sorted(expr.free_symbols, key=lambda s: s.name):
                if var in self.pf.param_values and var not in self.pf.state_symbols:
                    continue
                d = sp.diff(expr, var)
                if d != 0:
                    out[(k, var)] = self._in_own_terms(d, expr, self.S[k], var)
        return out

    def _with_own_symbol(self, d: sp.Expr, expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
        """Write ``d`` with ``symbol`` standing for ``expr`` when that is shorter."""
        if d == 0:
            return d
        return _simpler(_tidy(symbol * sp.simplify(d / expr)), _tidy(d))

    @cached_property
    def dsigma(self) -> dict[tuple[int, sp.Symbol], sp.Expr]:
        r""":math:`\partial \sigma_j / \partial s_k` and :math:`\partial \sigma_j / \partial p_k`, nonzero entries."""
        out = {}
        for j, expr in enumerate(self.sigma_expr):
            for var in (*self.S, *self.P):
                d = sp.diff(expr, var)
                if d != 0:
                    out[(j, var)] = self._with_own_symbol(d, expr, self.SIG[j])
        return out

    @cached_property
    def dq(self) -> dict[tuple[int, sp.Symbol], sp.Expr]:
        r""":math:`\partial q_j / \partial p_k`, nonzero entries."""
        out = {}
        for j, expr in enumerate(self.q_expr):
            for var in self.P:
                d = sp.diff(expr, var)
                if d != 0:
                    out[(j, var)] = self._with_own_symbol(d, expr, self.Q[j])
        return out

    # ------------------------------------------------------------------ chain rule
    def _collected(self, terms) -> sp.Expr:
        """A sum of products, each factor in short form, grouped by the win probabilities."""
        total = sp.Add(*[sp.Mul(*[_tidy(f) for f in factors]) for factors in terms if all(f != 0 for f in factors)])
        return self.tidy(total)

    def through_s(self, f: sp.Expr, k: int) -> sp.Expr:
        r""":math:`\partial f/\partial s_k + \sum_j \partial f/\partial\sigma_j\, \partial\sigma_j/\partial s_k`."""
        terms = [(sp.diff(f, self.S[k]),)]
        terms += [(sp.diff(f, self.SIG[j]), self.dsigma.get((j, self.S[k]), 0)) for j in range(self.n)]
        return self._collected(terms)

    def through_p(self, f: sp.Expr, k: int) -> sp.Expr:
        r"""The total effect of :math:`p_k` on ``f``: directly, through :math:`s_k`, :math:`\sigma` and :math:`q`."""
        terms = [(sp.diff(f, self.P[k]),), (self.ds.get((k, self.P[k]), 0), self.through_s(f, k))]
        terms += [(sp.diff(f, self.SIG[j]), self.dsigma.get((j, self.P[k]), 0)) for j in range(self.n)]
        terms += [(sp.diff(f, self.Q[j]), self.dq.get((j, self.P[k]), 0)) for j in range(self.n)]
        return self._collected(terms)

    def total(self, f: sp.Expr, var: sp.Symbol) -> sp.Expr:
        """The total derivative of ``f`` (in actions, intermediates, parameters) in ``var``.

        Written as the sum, over the intermediates :math:`p_k, s_k` that ``var`` moves directly, of
        (their derivative) x (the total effect of that intermediate), plus the direct term.
        """
        parts = []
        for k in range(self.n):
            dp = self.dp.get((k, var), 0)
            if dp != 0:
                inner = self.through_p(f, k)
                if inner != 0:
                    parts.append(sp.Mul(_tidy(dp), inner, evaluate=False) if isinstance(inner, sp.Add)
                                 else _tidy(dp) * inner)
            ds = self.ds.get((k, var), 0)
            if ds != 0:
                inner = self.through_s(f, k)
                if inner != 0:
                    parts.append(sp.Mul(_tidy(ds), inner, evaluate=False) if isinstance(inner, sp.Add)
                                 else _tidy(ds) * inner)
        direct = sp.diff(f, var)
        if direct != 0:
            parts.append(_tidy(direct))
        return sp.Add(*parts) if parts else sp.Integer(0)

    def tidy(self, expr: sp.Expr) -> sp.Expr:
        """A readable arrangement: terms grouped by the win probabilities :math:`q_j`."""
        grouped = sp.collect(expr, list(self.Q), evaluate=False)
        if len(grouped) > 1 or sp.Integer(1) not in grouped:
            out = sp.Integer(0)
            for key, coeff in grouped.items():
                out += key * _tidy(coeff)
            best = _simpler(out, _tidy(expr))
        else:
            best = _tidy(expr)
        return sp.Add(*[_tidy(term) for term in sp.Add.make_args(best)])

    def foc(self, i: int, c: int) -> sp.Expr:
        r""":math:`\partial u_i / \partial a_{i,c}` in intermediates."""
        return self.total(self.payoffs[i], self.X[i][c])

    def state_derivative(self, i: int, state: sp.Symbol) -> sp.Expr:
        r""":math:`\partial u_i / \partial A_k` (or :math:`B_k`) in intermediates."""
        return self.total(self.payoffs[i], state)

    def jacobian_entry(self, i: int, c: int, j: int, e: int) -> sp.Expr:
        r""":math:`\partial^2 u_i / \partial a_{i,c} \partial a_{j,e}` in intermediates."""
        return self.total(self.foc(i, c), self.X[j][e])

    # ------------------------------------------------------------------ back to actions
    def explicit(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with the intermediates replaced by their expressions in actions and parameters."""
        p = {self.P[k]: self.p_expr[k] for k in range(self.n)}
        s = {self.S[k]: self.s_expr[k].xreplace(p) for k in range(self.n)}
        sig = {self.SIG[j]: self.sigma_expr[j].xreplace(s).xreplace(p) for j in range(self.n)}
        q = {self.Q[j]: self.q_expr[j].xreplace(p) for j in range(self.n)}
        return expr.xreplace(sig).xreplace(q).xreplace(s).xreplace(p)

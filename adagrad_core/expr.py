r"""A custom surface typed as text: ``f(x, y)`` parsed with a whitelist, exact gradients.

The text is read by :func:`ast.parse` (``mode="eval"``) and walked with a strict whitelist into
a small tree of :class:`Node`; it is never handed to ``eval``, ``exec`` or ``compile``. Allowed:

* numbers (``|n| <= 1e6``), the variables ``x`` and ``y``, the constants ``pi`` and ``e``;
* ``+ - * /`` and ``**``, unary ``-`` and ``+``;
* one-argument calls of :data:`FUNCTIONS`: sin, cos, tan, exp, log, sqrt, tanh, abs.

Powers: either the exponent is a constant with ``|p| <= 10`` (``x**2``, ``x**(1/2)``) or the
base is a positive constant (``2**x``); write ``exp(y*log(x))`` for ``x**y``. Limits on length,
nesting depth and node count keep every input cheap; anything else raises ``ValueError`` with a
message that says what was refused and what is allowed.

The gradient is exact: forward-mode automatic differentiation (dual numbers) over numpy arrays,
vectorised over points of shape ``(..., 2)``; no finite differences. Outside a function's domain
(``log`` of a negative number, ``1/0``) values are NaN or infinite, quietly: the runner stops a
start whose gradient is not finite, and a contour shows a gap.

>>> f = parse("x**2 + 10*sin(y)")
>>> f.text
'x**2 + 10*sin(y)'
>>> f.grad(np.array([1.0, 0.0])).tolist()  # (2x, 10 cos y)
[2.0, 10.0]
>>> s = make_surface("x**2 + 10*sin(y)")
>>> s.name, s.bounds
('custom', ((-5.0, 5.0), (-5.0, 5.0)))
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .surfaces import Surface

MAX_LENGTH = 200
"""Longest accepted text, in characters (the URL's own limit)."""
MAX_DEPTH = 40
"""Deepest accepted nesting of operators and calls (``a + b + c`` nests one level per term)."""
MAX_NODES = 120
"""Most numbers, names, operators and calls in one expression."""
MAX_EXPONENT = 10.0
"""Largest accepted ``|p|`` in ``u**p`` for a constant exponent ``p``."""
MAX_NUMBER = 1e6
"""Largest accepted absolute value of a number written in the text."""
MAX_COORD = 1e6
"""Largest accepted absolute value of a plotting bound or a start coordinate."""

FUNCTIONS: dict[str, Any] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "abs": np.abs,
}
"""The callable names: each takes exactly one argument (``log`` is the natural logarithm)."""
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")

DEFAULT_BOUNDS = ((-5.0, 5.0), (-5.0, 5.0))

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPS = {
    ast.BitXor: "'^' is not allowed; write powers as x**2",
    ast.FloorDiv: "'//' is not allowed; use '/'",
    ast.Mod: "'%' is not allowed",
    ast.MatMult: "'@' is not allowed",
    ast.BitAnd: "'&' is not allowed",
    ast.BitOr: "'|' is not allowed",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
}
_ALLOWED = "allowed: numbers, x, y, pi, e, + - * / **, and " + ", ".join(
    f"{f}()" for f in FUNCTIONS
)
# Python's precedence, used to print the tree back with exactly the parentheses it needs.
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


@dataclass(frozen=True)
class Node:
    """One node of a parsed expression.

    ``kind`` is ``"num"`` (``value``), ``"var"`` (``name`` x or y), ``"const"`` (``name`` pi or
    e, ``value``), ``"neg"``, ``"call"`` (``name`` in :data:`FUNCTIONS`), or a binary operator
    ``"+" "-" "*" "/" "**"``. For ``"**"`` with a constant exponent, ``value`` is that exponent
    (already checked); with a constant base, ``name`` is ``"base"`` and ``value`` the base.
    """

    kind: str
    args: tuple[Node, ...] = ()
    value: float | None = None
    name: str | None = None

    @property
    def constant(self) -> bool:
        """True when the node depends on neither x nor y."""
        return self.kind != "var" and all(a.constant for a in self.args)


# --- parsing -----------------------------------------------------------------------------------


def _refuse(msg: str) -> ValueError:
    return ValueError(msg)


def _number(v: Any) -> Node:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        kind = "text" if isinstance(v, (str, bytes)) else type(v).__name__
        raise _refuse(f"{kind} values are not allowed; {_ALLOWED}")
    if not abs(v) <= MAX_NUMBER:  # also catches nan and inf
        raise _refuse(f"the number {v!r:.20} is too large (|number| <= {MAX_NUMBER:g})")
    return Node("num", value=float(v))


class _Builder:
    """Walks Python's AST into :class:`Node`, counting nodes and depth as it goes."""

    def __init__(self) -> None:
        self.count = 0

    def build(self, n: ast.AST, depth: int) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise _refuse(f"the expression is too long (at most {MAX_NODES} terms and operators)")
        if depth > MAX_DEPTH:
            raise _refuse(f"the expression is nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(n, ast.Constant):
            return _number(n.value)
        if isinstance(n, ast.Name):
            return self.name(n.id)
        if isinstance(n, ast.UnaryOp):
            if isinstance(n.op, ast.UAdd):
                return self.build(n.operand, depth + 1)
            if isinstance(n.op, ast.USub):
                return Node("neg", (self.build(n.operand, depth + 1),))
            raise _refuse(f"the operator {type(n.op).__name__} is not allowed; {_ALLOWED}")
        if isinstance(n, ast.BinOp):
            if type(n.op) in _REFUSED_OPS:
                raise _refuse(_REFUSED_OPS[type(n.op)])
            if type(n.op) not in _BINOPS:
                raise _refuse(f"the operator {type(n.op).__name__} is not allowed; {_ALLOWED}")
            a, b = self.build(n.left, depth + 1), self.build(n.right, depth + 1)
            op = _BINOPS[type(n.op)]
            return _power(a, b) if op == "**" else Node(op, (a, b))
        if isinstance(n, ast.Call):
            return self.call(n, depth)
        raise _refuse(f"{_describe(n)} is not allowed; {_ALLOWED}")

    def name(self, ident: str) -> Node:
        if ident in VARIABLES:
            return Node("var", name=ident)
        if ident in CONSTANTS:
            return Node("const", value=CONSTANTS[ident], name=ident)
        if ident in FUNCTIONS:
            raise _refuse(f"'{ident}' is a function: call it, as in {ident}(x)")
        raise _refuse(f"unknown name '{ident:.30}'; use x and y, pi and e; {_ALLOWED}")

    def call(self, n: ast.Call, depth: int) -> Node:
        if isinstance(n.func, ast.Attribute):
            raise _refuse(f"{_describe(n.func)} is not allowed; {_ALLOWED}")
        if not isinstance(n.func, ast.Name):
            raise _refuse(f"only named functions can be called; {_ALLOWED}")
        fn = n.func.id
        if fn not in FUNCTIONS:
            raise _refuse(f"function '{fn:.30}' is not allowed; allowed: {', '.join(FUNCTIONS)}")
        if n.keywords:
            raise _refuse(f"{fn}() takes no keyword arguments")
        if any(isinstance(a, ast.Starred) for a in n.args):
            raise _refuse(f"{fn}() takes one plain argument, not *args")
        if len(n.args) != 1:
            raise _refuse(f"{fn}() takes exactly one argument, got {len(n.args)}")
        return Node("call", (self.build(n.args[0], depth + 1),), name=fn)


def _describe(n: ast.AST) -> str:
    return {
        "Attribute": "attribute access ('.')",
        "Subscript": "indexing ('[]')",
        "Lambda": "lambda",
        "Compare": "comparison",
        "BoolOp": "and/or",
        "IfExp": "if/else",
        "JoinedStr": "an f-string",
        "Tuple": "a tuple (',')",
        "List": "a list",
        "NamedExpr": "':='",
        "ListComp": "a comprehension",
        "GeneratorExp": "a comprehension",
        "SetComp": "a comprehension",
        "DictComp": "a comprehension",
    }.get(type(n).__name__, f"'{type(n).__name__}'")


def _const_value(node: Node, what: str) -> float:
    with np.errstate(all="ignore"):
        v = float(_eval(node, np.float64(0.0), np.float64(0.0), grad=False)[0])
    if not math.isfinite(v):
        raise _refuse(f"the constant {what} {_show(node)} is not a finite number")
    return v


def _power(base: Node, exp: Node) -> Node:
    if exp.constant:
        p = _const_value(exp, "exponent")
        if abs(p) > MAX_EXPONENT:
            raise _refuse(
                f"the exponent {p:.6g} is too large (|constant exponent| <= {MAX_EXPONENT:g})"
            )
        return Node("**", (base, exp), value=p)
    if base.constant:
        a = _const_value(base, "base")
        if not a > 0:
            raise _refuse(
                f"the base of {_wrap(base, None, 5)}**(...) must be positive, got {a:.6g}"
            )
        return Node("**", (base, exp), value=a, name="base")
    raise _refuse(
        "a power needs a constant exponent (x**2) or a positive constant base (2**x); "
        "write exp(y*log(x)) for x**y"
    )


def _check_constants(node: Node) -> None:
    """Refuse any constant part that is not finite, e.g. ``1/0`` or ``log(-1)``."""
    if node.constant:
        if node.kind not in ("num", "const"):
            _const_value(node, "part")
        return
    for a in node.args:
        _check_constants(a)


# --- evaluation: value and forward-mode derivatives --------------------------------------------


def _mul(d, s):
    return None if d is None else d * s


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def _sub(a, b):
    if b is None:
        return a
    return -b if a is None else a - b


def _call_rule(fn: str, u, v):
    """d fn(u) / du, given u and v = fn(u)."""
    if fn == "sin":
        return np.cos(u)
    if fn == "cos":
        return -np.sin(u)
    if fn == "tan":
        return 1.0 / np.cos(u) ** 2
    if fn == "exp":
        return v
    if fn == "log":
        return 1.0 / u
    if fn == "sqrt":
        return 0.5 / v
    if fn == "tanh":
        return 1.0 - v * v
    return np.sign(u)  # abs


def _eval(node: Node, x, y, grad: bool):
    """(value, d/dx, d/dy); a derivative is None where it is exactly zero (a constant)."""
    k = node.kind
    if k in ("num", "const"):
        return np.float64(node.value), None, None
    if k == "var":
        one = np.ones_like(x) if grad else None
        return (x, one, None) if node.name == "x" else (y, None, one)
    if k == "neg":
        u, ux, uy = _eval(node.args[0], x, y, grad)
        return -u, _mul(ux, -1.0), _mul(uy, -1.0)
    if k == "call":
        u, ux, uy = _eval(node.args[0], x, y, grad)
        v = FUNCTIONS[node.name](u)
        if not grad or (ux is None and uy is None):
            return v, None, None
        r = _call_rule(node.name, u, v)
        return v, _mul(ux, r), _mul(uy, r)
    a, ax, ay = _eval(node.args[0], x, y, grad)
    if k == "**":
        if node.name == "base":  # a positive constant to a variable power: d a**u = a**u ln a du
            b, bx, by = _eval(node.args[1], x, y, grad)
            v = np.power(node.value, b)
            r = v * np.log(node.value) if grad else None
            return v, _mul(bx, r), _mul(by, r)
        p = node.value
        v = np.power(a, p)
        if not grad or p == 0:
            return v, None, None
        r = p * np.power(a, p - 1)
        return v, _mul(ax, r), _mul(ay, r)
    b, bx, by = _eval(node.args[1], x, y, grad)
    if k == "+":
        return a + b, _add(ax, bx), _add(ay, by)
    if k == "-":
        return a - b, _sub(ax, bx), _sub(ay, by)
    if k == "*":
        return a * b, _add(_mul(ax, b), _mul(bx, a)), _add(_mul(ay, b), _mul(by, a))
    v = a / b  # "/": (a' - v b') / b
    return v, _mul(_sub(ax, _mul(bx, v)), 1.0 / b), _mul(_sub(ay, _mul(by, v)), 1.0 / b)


# --- printing ----------------------------------------------------------------------------------


def _num_text(v: float) -> str:
    if v == 0 and math.copysign(1.0, v) < 0:
        return "-0.0"
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)


def _show(node: Node, code: str | None = None) -> str:
    """The node as Python text with minimal parentheses.

    ``code=None``: the canonical display form (``x**2 + 10*sin(y)``). ``code="torch"`` (or any
    module name): a Python expression in that module's functions, every constant part folded to
    the float the core uses, so the code computes exactly what :func:`_eval` computes.
    """
    k = node.kind
    if code and node.constant and k not in ("num", "const"):
        return _num_text(_const_value(node, "part"))
    if k == "num":
        return _num_text(node.value)
    if k == "const":
        return f"{code}.{node.name}" if code else node.name
    if k == "var":
        return node.name
    if k == "call":
        return f"{code + '.' if code else ''}{node.name}({_show(node.args[0], code)})"
    if k == "neg":
        return "-" + _wrap(node.args[0], code, _PREC["neg"] + 1)
    a, b = node.args
    if k == "**":
        base = _wrap(a, code, 5)  # only atoms go bare under a power
        exp = _show(b, code)
        atom = b.kind in ("num", "const", "var", "call") or (code and b.constant)
        if not atom or exp.startswith("-"):
            exp = f"({exp})"
        return f"{base}**{exp}"
    # The right operand gets parentheses even when the operator is associative: a + (b + c)
    # rounds differently from (a + b) + c, and the printed text must parse back to this tree.
    sep = f" {k} " if k in "+-" else k
    return _wrap(a, code, _PREC[k]) + sep + _wrap(b, code, _PREC[k] + 1)


def _prec(node: Node) -> int:
    if node.kind in _PREC:
        return _PREC[node.kind]
    return 5


def _wrap(node: Node, code: str | None, need: int) -> str:
    s = _show(node, code)
    folded = code and node.constant and node.kind not in ("num", "const")
    prec = 5 if folded else _prec(node)
    if folded and s.startswith("-"):
        prec = _PREC["neg"]
    return s if prec >= need else f"({s})"


# --- the public surface ------------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    """A parsed, validated ``f(x, y)``: exact value and gradient, vectorised over ``(..., 2)``."""

    root: Node

    @property
    def text(self) -> str:
        """Canonical text, built from the tree (safe to show or to put in a URL)."""
        return _show(self.root)

    def value(self, p: np.ndarray) -> np.ndarray:
        """``f`` at points ``p`` of shape ``(..., 2)``; shape ``(...)``. NaN/inf off-domain."""
        x, y = _xy(p)
        with np.errstate(all="ignore"):
            v = _eval(self.root, x, y, grad=False)[0]
        return np.broadcast_to(v, x.shape).astype(float)

    def grad(self, p: np.ndarray) -> np.ndarray:
        """Exact gradient ``(df/dx, df/dy)`` at ``p`` ``(..., 2)``; shape ``(..., 2)``."""
        x, y = _xy(p)
        with np.errstate(all="ignore"):
            _, gx, gy = _eval(self.root, x, y, grad=True)
        gx = np.zeros_like(x) if gx is None else gx
        gy = np.zeros_like(y) if gy is None else gy
        return np.stack(np.broadcast_arrays(gx, gy, x)[:2], axis=-1).astype(float)

    def to_torch(self) -> str:
        """A Python expression in ``x``, ``y`` and ``torch`` functions that computes ``f``.

        Emitted from the validated tree (never the typed text); constant parts are folded to
        the floats the core computes, so torch rounds exactly as :meth:`value` does.
        """
        return _show(self.root, "torch")


def _xy(p: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float)
    if p.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got {p.shape}")
    return p[..., 0], p[..., 1]


def parse(text: str) -> Expr:
    """Parse ``text`` (an expression in x and y) into an :class:`Expr`; ``ValueError`` if refused.

    >>> parse("x*y").grad(np.array([2.0, 3.0])).tolist()
    [3.0, 2.0]
    >>> parse("__import__('os')")
    Traceback (most recent call last):
    ...
    ValueError: function '__import__' is not allowed; allowed: sin, cos, tan, exp, log, sqrt, tanh, abs
    """  # noqa: E501
    if not isinstance(text, str):
        raise ValueError(f"the expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(
            f"the expression is too long: {len(text)} characters (at most {MAX_LENGTH})"
        )
    if not text.strip():
        raise ValueError("the expression is empty; type f(x, y), e.g. x**2 + 10*sin(y)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        where = f" at character {err.offset}" if err.offset else ""
        raise ValueError(
            f"could not read the expression{where}: {err.msg} (e.g. write 2*x, not 2x)"
        ) from None
    except (ValueError, MemoryError, RecursionError):  # e.g. a null byte; deep nesting
        raise ValueError(f"could not read the expression; {_ALLOWED}") from None
    try:
        root = _Builder().build(tree.body, 0)
    except RecursionError:
        raise ValueError(
            f"the expression is nested too deeply (at most {MAX_DEPTH} levels)"
        ) from None
    if root.constant:
        raise ValueError("f(x, y) must use x or y; a constant has no slope to follow")
    _check_constants(root)
    return Expr(root)


def _check_box(bounds: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in bounds)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"Invalid bounds: {bounds!r} (must be ((x0, x1), (y0, y1)))") from None
    for lo, hi in ((x0, x1), (y0, y1)):
        if not (-MAX_COORD <= lo < hi <= MAX_COORD):
            raise ValueError(
                f"Invalid bounds: {bounds!r} (each range needs lo < hi within ±{MAX_COORD:g})"
            )
    return (x0, x1), (y0, y1)


def _zoom(expr: Expr, box, point, h) -> tuple[float, float]:
    """``point`` refined by three zooms of 21 x 21 around it, each 10x finer than the last
    (``h``: the grid's steps), never leaving ``box``."""
    (x0, x1), (y0, y1) = box
    (hx, hy), best = h, point
    for _ in range(3):
        xs = np.linspace(max(x0, best[0] - hx), min(x1, best[0] + hx), 21)
        ys = np.linspace(max(y0, best[1] - hy), min(y1, best[1] + hy), 21)
        X, Y = np.meshgrid(xs, ys)
        z = expr.value(np.stack([X, Y], axis=-1))
        z = np.where(np.isfinite(z), z, np.inf)
        i = np.unravel_index(np.argmin(z), z.shape)
        if np.isfinite(z[i]):
            best = (float(X[i]), float(Y[i]))
        hx, hy = hx / 10, hy / 10
    return best


def estimate_minima(expr: Expr, bounds, n: int = 201, most: int = 8) -> tuple:
    """The lowest points of ``expr`` in the box ``bounds``: ``((x, y), ...)``, empty if no
    value there is finite.

    A grid of ``n x n`` points finds the local minima; the lowest few are refined by three
    zooms (each 10x finer), and every one as low as the lowest (within 1e-6, relative) and a
    tenth of the box away from the others is kept, at most ``most``, lowest first: f = x² +
    10 sin y has two equal minima in the default box. Along a floor of equal values (f = y²),
    one point of it.
    These are the lowest points *in the box*: one lies on the box's edge when ``f`` keeps
    falling outside it (see :attr:`Surface.falls_past_edge`).
    """
    box = _check_box(bounds)
    (x0, x1), (y0, y1) = box
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    z = expr.value(np.stack([X, Y], axis=-1))
    z = np.where(np.isfinite(z), z, np.inf)
    if not np.isfinite(z).any():
        return ()
    # Grid points no higher than their 8 neighbours (outside the box counts as higher).
    pad = np.pad(z, 1, constant_values=np.inf)
    low = np.isfinite(z)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                low &= z <= pad[1 + di : 1 + di + n, 1 + dj : 1 + dj + n]
    rows, cols = np.nonzero(low)
    zmin = z[rows, cols].min()
    floor = z[rows, cols] <= zmin + 1e-9 * max(1.0, abs(zmin))
    if np.count_nonzero(floor) > most:  # a floor of equal values (f = y² along y = 0)
        rows, cols = rows[floor], cols[floor]  # its point nearest the box's centre
        k = np.argmin(np.hypot(rows - (n - 1) / 2, cols - (n - 1) / 2))
        return ((float(X[rows[k], cols[k]]), float(Y[rows[k], cols[k]])),)
    order = np.argsort(z[rows, cols], kind="stable")[: 4 * most]
    h = (xs[1] - xs[0], ys[1] - ys[0])
    apart = (0.1 * (x1 - x0), 0.1 * (y1 - y0))
    found = []
    for k in order:
        p = _zoom(expr, box, (float(X[rows[k], cols[k]]), float(Y[rows[k], cols[k]])), h)
        value = float(expr.value(np.array(p)))
        if all(abs(p[0] - q[0]) > apart[0] or abs(p[1] - q[1]) > apart[1] for q, _ in found):
            found.append((p, value))
    lowest = min(v for _, v in found)
    keep = sorted((v, p) for p, v in found if v <= lowest + 1e-6 * max(1.0, abs(lowest)))
    return tuple(p for _, p in keep[:most])


def make_surface(
    text: str,
    bounds: Any = DEFAULT_BOUNDS,
    start: Any = None,
    *,
    estimate_min: bool = True,
) -> Surface:
    """A :class:`~adagrad_core.surfaces.Surface` named ``"custom"`` for the typed ``f(x, y)``.

    ``bounds`` is ``((x0, x1), (y0, y1))``; ``start`` defaults to the point 10% in from the
    left and 80% up the box. ``minima`` holds the estimated lowest points in the box (see
    :func:`estimate_minima`), or is empty with ``estimate_min=False`` or when ``f`` has no
    finite value there; ``Surface.f_min`` then raises ``ValueError``. ``ValueError`` for a
    refused expression, bounds or start.

    >>> make_surface("(x - 1)**2 + y**2").minima
    ((1.0, 0.0),)
    """
    expr = parse(text)
    box = _check_box(bounds)
    (x0, x1), (y0, y1) = box
    if start is None:
        start = (x0 + 0.1 * (x1 - x0), y0 + 0.8 * (y1 - y0))
    try:
        sx, sy = (float(v) for v in start)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"Invalid start: {start!r} (must be two numbers (x, y))") from None
    if not (x0 <= sx <= x1 and y0 <= sy <= y1):
        raise ValueError(f"Invalid start: ({sx:g}, {sy:g}) (must lie inside the bounds {box})")
    minima = estimate_minima(expr, box) if estimate_min else ()
    return Surface(
        name="custom",
        label=f"f(x, y) = {expr.text}",
        value=expr.value,
        grad=expr.grad,
        bounds=box,
        start=(sx, sy),
        minima=minima,
        log_levels=False,
        lesson=f"Your own surface f(x, y) = {expr.text}.",
    )

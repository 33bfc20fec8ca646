"""The custom-surface parser: values, exact gradients, limits and hostile input."""

from __future__ import annotations

import ast
import contextlib
import inspect
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adagrad_core import expr as expr_module
from adagrad_core import run
from adagrad_core.expr import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    estimate_minima,
    make_surface,
    parse,
)
from adagrad_core.surfaces import Surface

PI = np.pi

# (text, point, value, gradient), all by hand
HAND = [
    ("x**2 + 10*sin(y)", (3.0, 0.0), 9.0, (6.0, 10.0)),
    ("x**2 + 10*sin(y)", (-1.0, PI / 2), 11.0, (-2.0, 0.0)),
    ("x*y", (2.0, 3.0), 6.0, (3.0, 2.0)),
    ("x/y", (1.0, 2.0), 0.5, (0.5, -0.25)),
    ("-x + +y", (4.0, 5.0), 1.0, (-1.0, 1.0)),
    ("(x - 1)**2 + 100*(y - x**2)**2", (1.0, 1.0), 0.0, (0.0, 0.0)),
    ("(x - 1)**2 + 100*(y - x**2)**2", (0.0, 0.0), 1.0, (-2.0, 0.0)),
    ("exp(x)*cos(y)", (0.0, 0.0), 1.0, (1.0, 0.0)),
    ("log(x) + sqrt(y)", (1.0, 4.0), 2.0, (1.0, 0.25)),
    ("tan(x) + tanh(y)", (0.0, 0.0), 0.0, (1.0, 1.0)),
    ("abs(x) + abs(y)", (-2.0, 3.0), 5.0, (-1.0, 1.0)),
    ("abs(x)", (0.0, 0.0), 0.0, (0.0, 0.0)),  # torch's convention: d|x|/dx = 0 at 0
    ("2**x + y", (3.0, 0.0), 8.0, (8.0 * np.log(2.0), 1.0)),
    ("e**x", (1.0, 0.0), np.e, (np.e, 0.0)),
    ("x**(1/2)", (4.0, 0.0), 2.0, (0.25, 0.0)),
    ("x**-1 + y**0", (2.0, 0.0), 1.5, (-0.25, 0.0)),
    ("pi*x", (1.0, 1.0), PI, (PI, 0.0)),
    ("y", (7.0, 2.0), 2.0, (0.0, 1.0)),
    ("x - x", (3.0, 1.0), 0.0, (0.0, 0.0)),
    ("sin(x*y)", (0.0, 2.0), 0.0, (2.0, 0.0)),
]


@pytest.mark.parametrize("text, point, value, grad", HAND, ids=[h[0] for h in HAND])
def test_value_and_gradient_by_hand(text, point, value, grad):
    f = parse(text)
    p = np.array(point)
    assert f.value(p) == pytest.approx(value, abs=1e-12)
    np.testing.assert_allclose(f.grad(p), grad, atol=1e-12, rtol=1e-12)


SMOOTH = [
    "x**2 + 10*sin(y)",
    "(1 - x)**2 + 100*(y - x**2)**2",
    "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
    "exp(-(x**2 + y**2)/4)*cos(3*x) - tanh(x*y)",
    "sqrt(x**2 + y**2 + 1) + log(1 + x**2)",
    "x/(1 + y**2) - 2**(x/3) + e**(-y**2)",
    "tan(x/4)*y**3 - 1/(2 + sin(x*y))",
    "abs(x - 7) + (y + 9)**(3/2)",  # points stay where |.| and the root are smooth
    "-x**4/4 + x**3 - pi*y**-2",
]


@pytest.mark.parametrize("text", SMOOTH)
def test_gradient_matches_central_differences(text):
    rng = np.random.default_rng(0)
    f = parse(text)
    p = rng.uniform(-2.5, 2.5, size=(50, 2))
    p[:, 1] = np.where(np.abs(p[:, 1]) < 0.3, 0.3, p[:, 1])  # keep y**-2 tame
    h = 1e-6
    fd = np.stack([(f.value(p + h * e) - f.value(p - h * e)) / (2 * h) for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(f.grad(p), fd, rtol=1e-5, atol=1e-5)


def test_matches_registry_surfaces():
    from adagrad_core.surfaces import SURFACES

    texts = {
        "quadratic": "0.1*x**2 + 2*y**2",
        "rosenbrock": "(1 - x)**2 + 100*(y - x**2)**2",
        "himmelblau": "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        "plateau": "1 - exp(-x**2/10) + 4*y**2",
        "saddle": "x**2 - y**2 + 0.25*y**4",
    }
    p = np.random.default_rng(1).uniform(-3, 3, size=(200, 2))
    for name, text in texts.items():
        f, s = parse(text), SURFACES[name]
        np.testing.assert_allclose(f.value(p), s.value(p), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(f.grad(p), s.grad(p), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(2,), (7, 2), (3, 4, 2)])
def test_vectorised_over_leading_axes(shape):
    f = parse("x**2*y + sin(x) + 3")
    p = np.random.default_rng(2).normal(size=shape)
    v, g = f.value(p), f.grad(p)
    assert v.shape == shape[:-1] and g.shape == shape
    flat = p.reshape(-1, 2)
    for i, q in enumerate(flat):
        assert v.reshape(-1)[i] == f.value(q)
        np.testing.assert_array_equal(g.reshape(-1, 2)[i], f.grad(q))


def test_one_variable_expression_broadcasts():
    f = parse("y")
    p = np.zeros((4, 3, 2))
    assert f.value(p).shape == (4, 3)
    np.testing.assert_array_equal(f.grad(p)[..., 0], 0.0)
    np.testing.assert_array_equal(f.grad(p)[..., 1], 1.0)


@pytest.mark.parametrize(
    "text, shown",
    [
        ("x**2+10*sin(y)", "x**2 + 10*sin(y)"),
        ("(-x)**2", "(-x)**2"),
        ("-x**2", "-x**2"),
        ("x-(y-1)", "x - (y - 1)"),
        ("x+(y+1)", "x + (y + 1)"),  # kept: (a + b) + c rounds differently from a + (b + c)
        ("x*y/2", "x*y/2"),
        ("x/(2*y)", "x/(2*y)"),
        ("2**-x", "2**(-x)"),
        ("+x", "x"),
        ("(x**2)**3", "(x**2)**3"),
    ],
)
def test_canonical_text(text, shown):
    f = parse(text)
    assert f.text == shown
    assert parse(f.text) == f


def test_torch_text_folds_constants_and_prefixes_functions():
    assert parse("x**(1/2) + 10*pi*sin(y)").to_torch() == "x**0.5 + 31.41592653589793*torch.sin(y)"
    assert parse("x**-1*e").to_torch() == "x**(-1)*torch.e"


HOSTILE = [
    ("__import__('os')", "function '__import__' is not allowed; allowed: sin, cos"),
    ("__import__('os').system('true')", "attribute access"),
    ("open('/etc/passwd')", "function 'open' is not allowed"),
    ("eval('1')", "function 'eval' is not allowed"),
    ("x.__class__", "attribute access"),
    ("().__class__.__bases__[0]", "not allowed"),
    ("lambda: 0", "lambda is not allowed"),
    ("[c for c in 'ab']", "comprehension is not allowed"),
    ("(c for c in 'ab')", "comprehension is not allowed"),
    ("'x'", "text values are not allowed"),
    ("b'x'", "text values are not allowed"),
    ("f'{x}'", "f-string is not allowed"),
    ("9**9**9", "too large"),
    ("x**9**9", "too large"),
    ("x**11", "exponent 11 is too large"),
    ("x**-10.5", "too large"),
    ("x**y", "constant exponent"),
    ("(-2)**x", "must be positive"),
    ("1e300*x", "too large"),
    ("x*" + "9" * 30, "too large"),
    ("(x+" * 45 + "x" + ")" * 45, "nested too deeply"),
    ("-(" * 60 + "x" + ")" * 60, "nested too deeply"),
    ("sin(" * 45 + "x" + ")" * 45, "too long"),
    ("-" * 100 + "x", "nested too deeply"),
    ("x+" * 99 + "x", "nested too deeply"),
    ("x" * (MAX_LENGTH + 1), "too long"),
    ("x + " * 1000 + "y", "too long"),
    ("foo + x", "unknown name 'foo'"),
    ("__builtins__", "unknown name"),
    ("sin", "is a function"),
    ("sin(x, y)", "exactly one argument, got 2"),
    ("cos()", "exactly one argument, got 0"),
    ("sin(x=1)", "no keyword arguments"),
    ("sin(*[x])", "not *args"),
    ("x(1)", "function 'x' is not allowed"),
    ("sin(x)(y)", "only named functions"),
    ("x[0]", "indexing"),
    ("x if y else 1", "if/else"),
    ("x < y", "comparison"),
    ("x and y", "and/or"),
    ("x, y", "tuple"),
    ("(x := 1)", "':='"),
    ("x^2", "write powers as x**2"),
    ("x // 2", "'//'"),
    ("x % 2", "'%'"),
    ("x @ y", "'@'"),
    ("~x", "not allowed"),
    ("not x", "not allowed"),
    ("2x", "could not read"),
    ("x = 1", "could not read"),
    ("import os", "could not read"),
    ("x; y", "could not read"),
    ("x\0", "could not read"),
    ("", "empty"),
    ("   ", "empty"),
    ("True*x", "bool values are not allowed"),
    ("1j*x", "complex values are not allowed"),
    ("None", "not allowed"),
    ("...", "not allowed"),
    ("3", "must use x or y"),
    ("1/0 + x", "not a finite number"),
    ("log(-1)*x", "not a finite number"),
    ("exp(1000)*x", "not a finite number"),
    ("(yield x)", "not allowed"),
    ("await x", "not allowed"),
]


@pytest.mark.parametrize("text, message", HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_input_is_refused(text, message):
    with pytest.raises(ValueError, match=None) as err:
        parse(text)
    assert message in str(err.value)


def test_limits_are_reachable_by_honest_input():
    """The limits refuse abuse, not ordinary surfaces: a long but flat sum is fine."""
    long_sum = " + ".join(f"{i}*x**2" for i in range(1, 21))
    assert len(long_sum) <= MAX_LENGTH
    assert parse(long_sum).value(np.array([1.0, 0.0])) == 210.0
    parse("sin(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1))
    assert MAX_NODES >= MAX_LENGTH // 2  # node count binds only on inputs the depth lets through


def test_non_text_is_refused():
    for bad in (None, 3, b"x", ["x"]):
        with pytest.raises(ValueError, match="must be text"):
            parse(bad)


def test_module_never_evaluates_text():
    """No eval/exec/compile anywhere in the parser module (read by its AST, not a grep)."""
    tree = ast.parse(inspect.getsource(expr_module))
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}


TOKENS = [
    "x", "y", "pi", "e", "1", "2.5", "0", "10", "1e-3", "+", "-", "*", "/", "**", "(", ")",
    " ", ",", "=", "^", ".", "[", "]", "'", "lambda", "_", "__import__", *FUNCTIONS,
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=MAX_LENGTH + 20))
def test_random_text_raises_only_value_error(text):
    with contextlib.suppress(ValueError):
        parse(text)


def _wrap(t: str, paren: bool) -> str:
    return f"({t})" if paren else t


# Expressions from the grammar (with and without parentheses), so most of them are accepted.
GRAMMAR = st.recursive(
    st.sampled_from(["x", "y", "pi", "e", "1", "2.5", "0", "10", "1e-3", "0.5"]),
    lambda inner: st.one_of(
        st.builds(
            lambda a, op, b, pa, pb: _wrap(a, pa) + op + _wrap(b, pb),
            inner,
            st.sampled_from(["+", "-", "*", "/", "**"]),
            inner,
            st.booleans(),
            st.booleans(),
        ),
        st.builds(lambda fn, a: f"{fn}({a})", st.sampled_from(list(FUNCTIONS)), inner),
        st.builds(lambda a, sign: sign + _wrap(a, True), inner, st.sampled_from("-+")),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join), GRAMMAR))
def test_random_expressions_parse_or_raise_value_error(text):
    try:
        f = parse(text)
    except ValueError:
        return
    # Accepted: evaluates quietly anywhere (NaN/inf allowed, no exception or warning), prints
    # back to the same tree, and emits torch code that is valid Python.
    p = np.random.default_rng(0).uniform(-3, 3, size=(5, 2))
    with np.errstate(all="raise"):
        assert f.value(p).shape == (5,)
        assert f.grad(p).shape == (5, 2)
    assert parse(f.text) == f
    ast.parse(f.to_torch(), mode="eval")


# --- make_surface -----------------------------------------------------------------------------


def test_make_surface_fields():
    s = make_surface("x**2 + 10*sin(y)", bounds=((-4, 4), (-6, 6)), start=(3, 2))
    assert isinstance(s, Surface)
    assert s.name == "custom"
    assert s.label == "f(x, y) = x**2 + 10*sin(y)"
    assert s.bounds == ((-4.0, 4.0), (-6.0, 6.0))
    assert s.start == (3.0, 2.0)
    assert s.log_levels is False
    assert s.value(np.array([3.0, 0.0])) == 9.0
    np.testing.assert_allclose(s.grad(np.array([3.0, 0.0])), [6.0, 10.0])


def test_default_start_is_inside_the_bounds():
    s = make_surface("x*y", bounds=((0, 10), (-1, 1)))
    (x0, x1), (y0, y1) = s.bounds
    assert x0 < s.start[0] < x1 and y0 < s.start[1] < y1


def test_minimum_is_estimated():
    s = make_surface("(x - 1.234)**2 + 3*(y + 2.5)**2 + 7")
    (m,) = s.minima
    np.testing.assert_allclose(m, (1.234, -2.5), atol=1e-3)
    assert s.f_min == pytest.approx(7.0, abs=1e-6)
    # Himmelblau's four minima are all 0: the estimate lands on one of them.
    h = make_surface("(x**2 + y - 11)**2 + (x + y**2 - 7)**2")
    assert h.f_min == pytest.approx(0.0, abs=1e-4)


def test_minimum_on_the_edge_when_f_falls_outside_the_box():
    f = parse("x + y")
    assert estimate_minima(f, ((-1, 1), (-2, 2))) == ((-1.0, -2.0),)
    s = make_surface("x + y")
    assert s.falls_past_edge
    # On the edge but not falling past it: (x - 5)² + y² has its minimum at x = 5.
    s = make_surface("(x - 5)**2 + y**2")
    assert s.minima == ((5.0, 0.0),) and not s.falls_past_edge


def test_equal_minima_are_all_found():
    # The default custom surface: x² + 10 sin y has two equal minima in the box, at
    # y = -π/2 and 3π/2 (only the first used to be starred).
    s = make_surface("x**2 + 10*sin(y)")
    np.testing.assert_allclose(s.minima, [(0, -np.pi / 2), (0, 3 * np.pi / 2)], atol=1e-3)
    # Himmelblau's four, each refined; sin x sin y has eight in the box.
    h = make_surface("(x**2 + y - 11)**2 + (x + y**2 - 7)**2")
    assert len(h.minima) == 4 and (3.0, 2.0) in h.minima
    assert all(h.value(np.array(m)) < 1e-6 for m in h.minima)
    assert len(make_surface("sin(x)*sin(y)").minima) == 8
    # A minimum only a little higher is not starred with the lowest.
    s = make_surface("(x**2 - 4)**2 + y**2 + 0.1*x")
    assert len(s.minima) == 1 and s.minima[0][0] < 0


def test_a_floor_of_equal_values_gets_one_point_nearest_the_centre():
    for text in ("y**2", "x**2", "0*x"):
        s = make_surface(text)
        assert s.minima == ((0.0, 0.0),) and not s.falls_past_edge


def test_no_minimum_when_asked_or_nothing_is_finite():
    assert make_surface("x**2", estimate_min=False).minima == ()
    s = make_surface("log(-1 - x**2) + y")  # NaN everywhere
    assert s.minima == ()
    with pytest.raises(ValueError):
        s.f_min  # noqa: B018  (the registry's f_min needs at least one minimum)


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"bounds": ((1, -1), (0, 1))}, "Invalid bounds"),
        ({"bounds": ((0, np.inf), (0, 1))}, "Invalid bounds"),
        ({"bounds": "wide"}, "Invalid bounds"),
        ({"bounds": ((0, 1),)}, "Invalid bounds"),
        ({"start": (10, 0)}, "Invalid start"),
        ({"start": (np.nan, 0)}, "Invalid start"),
        ({"start": "here"}, "Invalid start"),
    ],
)
def test_make_surface_refuses_bad_bounds_and_start(kw, message):
    with pytest.raises(ValueError, match=message):
        make_surface("x**2 + y**2", **kw)


def test_surface_pickles_for_streamlit_cache():
    s = make_surface("x**2 + 10*sin(y)")
    t = pickle.loads(pickle.dumps(s))
    p = np.array([[0.5, -1.0]])
    np.testing.assert_array_equal(t.grad(p), s.grad(p))


# --- the runner on custom surfaces -----------------------------------------------------------


def test_runner_stops_when_sgd_overflows():
    s = make_surface("exp(x*50) + y**2", bounds=((-1, 1), (-1, 1)))
    t = run("sgd", s.grad, [[0.9, 0.5], [-0.9, 0.5]], 200, loss_fn=s.value, lr=0.1)
    assert t.diverged_each.tolist() == [1, -1]  # the steep start overshoots at once; not the other
    assert np.isfinite(t.params).all() and np.isfinite(t.grads).all()
    assert np.isfinite(t.loss).all()


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "adam", "rmsprop", "adadelta", "adamw"])
def test_runner_stops_where_the_gradient_is_infinite(optimizer):
    s = make_surface("exp(x*50) + y**2", bounds=((-1, 1), (-1, 1)))
    x0 = [[15.0, 0.5], [-0.9, 0.5]]  # exp(750) overflows: the first gradient is inf
    assert np.isinf(s.grad(np.array(x0[0]))[0])
    t = run(optimizer, s.grad, x0, 50, loss_fn=s.value, lr=0.01)
    assert t.diverged_each.tolist() == [1, -1]
    assert np.isfinite(t.params).all() and np.isfinite(t.grads).all()
    assert (t.params[:, 0] == x0[0]).all()  # stopped where it started
    assert abs(t.params[-1, 1, 1]) < 0.5  # the other start went on downhill in y


def test_runner_stops_on_nan_outside_the_domain():
    s = make_surface("sqrt(x) + y**2", bounds=((0.01, 4), (-1, 1)), start=(1, 0.5))
    t = run("sgd", s.grad, s.start, 100, lr=1.0)  # steps left of 0, where sqrt is NaN
    assert t.diverged_at is not None
    assert np.isfinite(t.params).all()


def test_runner_converges_on_a_custom_bowl():
    s = make_surface("(x - 1)**2 + 10*(y + 2)**2")
    t = run("adagrad", s.grad, s.start, 500, lr=1.0)
    np.testing.assert_allclose(t.params[-1], s.minima[0], atol=1e-3)

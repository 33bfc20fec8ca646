"""The formula page's TeX and prose builders, on real runs from the core."""

import re

import numpy as np
import pytest

from adagrad_app import formula_tex as ft
from adagrad_app import theme
from adagrad_core.runner import run
from adagrad_core.surfaces import SURFACES

NAMES = ("x", "y")


def _terms(eps=1e-10, placement="outside", acc0=0.0, lr=1.0, steps=30, start=(-5.0, -2.0)):
    s = SURFACES["quadratic"]
    traj = run(
        "adagrad",
        s.grad,
        list(start),
        steps,
        lr=lr,
        eps=eps,
        eps_placement=placement,
        initial_accumulator_value=acc0,
    )
    return ft.step_terms(traj, eps=eps, eps_placement=placement, initial_accumulator_value=acc0)


@pytest.fixture(scope="module")
def terms():
    return _terms()


def test_step_terms_are_the_cores_numbers(terms):
    # theta_new = theta + update, and update = -lr / denom * g: the terms recombine into the rule
    np.testing.assert_allclose(terms["theta_new"], terms["theta"] + terms["update"])
    np.testing.assert_allclose(terms["update"], -terms["lr"] / terms["denom"] * terms["g"])
    np.testing.assert_allclose(terms["eff_lr"], terms["lr"] / terms["denom"])
    np.testing.assert_allclose(terms["G"], terms["G_prev"] + terms["g2"])
    assert terms["G_prev"][0].tolist() == [0.0, 0.0]
    np.testing.assert_array_equal(terms["G_prev"][1:], terms["G"][:-1])
    # first step from (-5, -2) on 0.1x^2 + 2y^2: g = (-1, -8), both move by lr
    np.testing.assert_allclose(terms["g"][0], [-1.0, -8.0])
    np.testing.assert_allclose(terms["update"][0], [1.0, 1.0])


def test_step_terms_follow_eps_placement():
    outside = _terms(eps=1.0, placement="outside")
    inside = _terms(eps=1.0, placement="inside")
    np.testing.assert_allclose(outside["denom"][0], np.abs(outside["g"][0]) + 1.0)
    np.testing.assert_allclose(inside["denom"][0], np.sqrt(inside["g"][0] ** 2 + 1.0))
    assert not np.allclose(outside["theta_new"], inside["theta_new"])
    with pytest.raises(ValueError, match="eps_placement"):
        ft.symbols("between")


@pytest.mark.parametrize(
    ("value", "tex"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (0.125, "0.125"),
        (-2.90912, "-2.909"),
        (86.4512, "86.45"),
        (1e-10, r"1\times10^{-10}"),
        (-3.456e-5, r"-3.46\times10^{-5}"),
        (2.5e7, r"2.5\times10^{7}"),
        (float("nan"), r"\text{--}"),
    ],
)
def test_fmt(value, tex):
    assert ft.fmt(value) == tex


def test_rule_has_every_term_colour():
    tex = ft.rule_tex("outside")
    for key in ("theta", "g", "G", "lr", "eps"):
        assert theme.TERM_COLORS[key] in tex, key
    assert r"\textcolor{" + theme.TERM_COLORS["G"] + "}{G_{t,i}}" in tex
    assert "G_{t-1,i}" in tex and r"\theta_{t+1,i}" in tex


def test_convention_switch_changes_the_denominator():
    out, ins = ft.rule_tex("outside"), ft.rule_tex("inside")
    assert out != ins
    eps = r"\textcolor{" + theme.TERM_COLORS["eps"] + r"}{\epsilon}"
    G = r"\textcolor{" + theme.TERM_COLORS["G"] + "}{G_{t,i}}"
    assert rf"\sqrt{{{G}}} + {eps}" in out
    assert rf"\sqrt{{{G} + {eps}}}" in ins
    assert rf"\sqrt{{{G} + {eps}}}" not in out
    for name in ("rmsprop", "adam", "adagrad"):
        assert ft.compare_tex("outside")[name] != ft.compare_tex("inside")[name]


def test_values_tex_shows_this_steps_values(terms):
    tables = ft.values_tex(terms, 3, NAMES, "outside")
    assert len(tables) == 3
    text = "".join(tables)
    for key in ("theta", "g", "G", "G_prev", "g2", "denom", "eff_lr", "update", "theta_new"):
        for i in range(2):
            assert ft.fmt(terms[key][3, i]) in text, (key, i)
    assert r"\text{x:}" in text and r"\text{y:}" in text
    for color in set(theme.TERM_COLORS.values()) - {theme.TERM_COLORS["eps"]}:
        assert color in text
    # another step shows other numbers
    assert ft.values_tex(terms, 4, NAMES, "outside") != tables


def test_changed_terms_are_highlighted_with_direction(terms):
    # at t = 0 there is no previous step: nothing highlighted
    assert r"\colorbox" not in "".join(ft.values_tex(terms, 0, NAMES, "outside"))
    G_cell = ft.cell(terms, "G", 3, 0)
    assert G_cell.startswith(r"\colorbox{" + ft.tint(theme.TERM_COLORS["G"]) + "}")
    assert r"\blacktriangle" in G_cell  # G grows
    assert ft.changed(terms, "G", 3, 1) == 1
    eff = ft.cell(terms, "eff_lr", 3, 0)
    assert r"\blacktriangledown" in eff  # the effective rate shrinks
    assert ft.changed(terms, "eff_lr", 3, 0) == -1
    # the learning rate is constant: never highlighted
    lr = ft.cell(terms, "lr", 3, 0)
    assert r"\colorbox" not in lr and ft.changed(terms, "lr", 3, 0) == 0


def test_unchanged_when_the_shown_value_is_the_same():
    # near convergence y's G stops growing at 4 significant figures
    terms = _terms(steps=60)
    t = 59
    assert ft.fmt(terms["G"][t, 1]) == ft.fmt(terms["G"][t - 1, 1])
    assert ft.changed(terms, "G", t, 1) == 0
    assert r"\colorbox" not in ft.cell(terms, "G", t, 1)


def test_tint_is_lighter_theme_colour():
    assert ft.tint("#000000", 0.2) == "#CCCCCC"
    assert ft.tint("#FFFFFF") == "#FFFFFF"
    assert re.fullmatch(r"#[0-9A-F]{6}", ft.tint(theme.TERM_COLORS["G"]))


def test_compare_boxes_what_differs():
    tex = ft.compare_tex()
    assert r"\fcolorbox" not in tex["sgd"]
    assert tex["adagrad"].count(r"\fcolorbox") == 1  # SGD plus one block
    assert theme.OPT_COLORS["rmsprop"] in tex["rmsprop"] and r"\alpha" in tex["rmsprop"]
    assert theme.OPT_COLORS["adam"] in tex["adam"] and r"\hat m_t" in tex["adam"]
    assert set(tex) == set(ft.COMPARE_NOTES)


def test_reading_first_step(terms):
    text = ft.reading(terms, 0, NAMES, 1e-10, "outside")
    assert text.startswith("**Step 0.**")
    assert "x's gradient (-1) is 8× smaller than y's (-8)" in text
    # both moves are 1 - 1e-11 or so: shown equal to six figures, so no "almost"
    assert "yet x moved 1, as far as y (1):" in text
    assert "moves by about η = 1" in text


def test_reading_compares_moves_with_the_digits_that_show_it():
    # eps = 1e-4: x moves 1/(1 + 1e-4), y 8/(8 + 1e-4); both read 1 to three figures
    text = ft.reading(_terms(eps=1e-4), 0, NAMES, 1e-4, "outside")
    assert "yet x moved 0.9999, almost as far as y (1):" in text
    text = ft.reading(_terms(acc0=0.1), 0, NAMES, 1e-10, "outside")
    assert "yet x moved 0.953, almost as far as y (0.999):" in text


MOVED = re.compile(r"yet (\w+) moved ([^,]+), (.+?) (\w+) \(([^)]+)\):")


@pytest.mark.parametrize("eps", [1e-10, 1e-6, 1e-4, 0.01, 1.0])
@pytest.mark.parametrize("acc0", [0.0, 1e-6, 0.1, 1.0])
def test_reading_says_what_its_numbers_show(eps, acc0):
    """ "as far as" only between equal numbers; "farther" only when the first is larger;
    "almost as far" and "less than" only when it is smaller."""
    terms = _terms(eps=eps, acc0=acc0)
    seen = 0
    for t in range(terms["g"].shape[0]):
        m = MOVED.search(ft.reading(terms, t, NAMES, eps, "outside"))
        if not m:
            continue
        seen += 1
        a, how, b = float(m[2]), m[3], float(m[5])
        if how == "as far as":
            assert m[2] == m[5], m[0]
        elif "farther" in how:
            assert a > b, m[0]
        else:
            assert how == "almost as far as" or how.endswith("less than"), m[0]
            assert a < b, m[0]
    assert seen


def test_reading_later_step_uses_the_numbers(terms):
    t = 10
    text = ft.reading(terms, t, NAMES, 1e-10, "outside")
    assert f"Step {t}." in text
    assert ft._n(terms["G"][t, 1]) in text and ft._n(terms["eff_lr"][t, 0]) in text
    assert "no rate can rise" in text
    assert ft.reading(terms, 11, NAMES, 1e-10, "outside") != text


def test_reading_zero_gradient():
    terms = _terms(start=(0.0, 0.0), steps=3)
    assert "Both gradients are zero" in ft.reading(terms, 1, NAMES, 1e-10, "outside")
    terms = _terms(start=(0.0, -2.0), steps=3)
    assert "x's gradient is zero, so x stays put" in ft.reading(terms, 1, NAMES, 1e-10, "outside")


def test_convention_note_says_when_it_matters(terms):
    small = ft.convention_note(terms, 3, NAMES, 1e-10, "outside")
    assert "hardly matters" in small and "inside the root" in small
    big = _terms(eps=1.0, placement="inside")
    note = ft.convention_note(big, 3, NAMES, 1.0, "inside")
    assert "the convention matters" in note and "outside the root" in note


@pytest.mark.parametrize("placement", ft.PLACEMENTS)
def test_first_step_with_a_large_eps_is_not_about_eta(placement):
    """With ε = 1 next to |g| = 1 and 8 the first step is η·|g| / (|g| + ε) (or the root form),
    shorter for the smaller gradient: the reading says so with both moves, not 'about η'."""
    terms = _terms(eps=1.0, placement=placement)
    text = ft.reading(terms, 0, NAMES, 1.0, placement)
    moves = np.abs(terms["update"][0])
    assert moves[0] < moves[1] < 0.999  # x's gradient is the smaller one, and both fall short
    assert "whatever the size" not in text and "about η" not in text
    form = "η·|g| / (|g| + ε)" if placement == "outside" else "η·|g| / √(g² + ε)"
    assert form in text and "the smaller the gradient, the shorter the step" in text
    assert f"x moved {ft._n(moves[0])} and y {ft._n(moves[1])}" in text


@pytest.mark.parametrize(("eps", "placement"), [(1e-10, "outside"), (1e-4, "inside")])
def test_first_step_with_a_tiny_eps_is_about_eta(eps, placement):
    terms = _terms(eps=eps, placement=placement)
    np.testing.assert_allclose(np.abs(terms["update"][0]), 1.0, rtol=1e-3)
    text = ft.reading(terms, 0, NAMES, eps, placement)
    assert "moves by about η = 1, whatever the size of its gradient" in text
    assert f"ε = {ft._n(eps)} is negligible" in text


def test_first_step_with_one_gradient_says_its_own_move():
    traj, _ = ft.sparse_trajectory(30, seed=122, lr=1.0, eps=1.0)
    terms = ft.step_terms(traj, eps=1.0, eps_placement="outside")
    assert terms["g"][0, 1] == 0 and terms["g"][0, 0] != 0
    text = ft.reading(terms, 0, ft.SPARSE_NAMES, 1.0, "outside")
    assert "whatever the size" not in text
    assert f"frequent moved {ft._n(abs(terms['update'][0, 0]))} rather than η = 1" in text
    # with G = 0 and ε = 1 the rate is η/ε = 1: not "enormous"
    assert "η/ε = 1," in text and "enormous" not in text


def test_sparse_first_step_note_says_a_zero_gradient_does_not_move():
    """rare's G and g are 0 at step 0: its rate is η/ε or η/√ε, 1e5 apart, yet it moves 0
    under either convention, and frequent's step hardly changes."""
    traj, _ = ft.sparse_trajectory(30, seed=122, lr=1.0)
    terms = ft.step_terms(traj, eps=1e-10, eps_placement="outside")
    assert terms["g"][0, 1] == 0 and terms["G"][0, 1] == 0
    note = ft.convention_note(terms, 0, ft.SPARSE_NAMES, 1e-10, "outside")
    assert "the convention matters" not in note
    assert "On rare the gradient is 0 this step" in note
    assert "the convention changes the rate, not the step" in note
    assert "relative difference" not in note
    rare = terms["eff_lr"][0, 1]
    assert f"{ft._n(rare)}" in note and f"rare: {ft._n(1.0 / np.sqrt(1e-10))}" in note
    assert "rare's 1e5× smaller" in note
    assert "tiny next to frequent's G" in note and "hardly matters" in note
    # a step where nothing has a gradient: the rates differ (ε = 1), the steps do not
    traj, _ = ft.sparse_trajectory(30, seed=122, lr=1.0, eps=1.0)
    terms = ft.step_terms(traj, eps=1.0, eps_placement="outside")
    t = int(np.flatnonzero((terms["g"] == 0).all(axis=1))[0])
    note = ft.convention_note(terms, t, ft.SPARSE_NAMES, 1.0, "outside")
    assert "Every gradient is 0 this step" in note and "not the steps" in note
    assert "the convention matters" not in note


def test_convention_note_quotes_the_other_step_when_it_matters():
    terms = _terms(eps=1.0)
    note = ft.convention_note(terms, 0, NAMES, 1.0, "outside")
    other = 1.0 / np.sqrt(terms["G"][0, 0] + 1.0) * abs(terms["g"][0, 0])
    assert f"x would move {ft._n(other)} instead of {ft._n(terms['update'][0, 0])}" in note
    assert "x's 1.4× larger" in note


E_PLUS = re.compile(r"e[+-]0|e\+")  # "1e+05", "1.00e+10", "5e-05": the page writes 1e5, 1e-5


@pytest.mark.parametrize(("eps", "placement"), [(1e-10, "outside"), (1.0, "inside")])
def test_readings_write_numbers_one_way(eps, placement):
    traj, _ = ft.sparse_trajectory(30, seed=122, lr=1.0, eps=eps, eps_placement=placement)
    sparse = ft.step_terms(traj, eps=eps, eps_placement=placement)
    runs = [(sparse, ft.SPARSE_NAMES), (_terms(eps=eps, placement=placement), NAMES)]
    for terms, names in runs:
        for t in range(terms["g"].shape[0]):
            for text in (
                ft.reading(terms, t, names, eps, placement),
                ft.convention_note(terms, t, names, eps, placement),
            ):
                assert not E_PLUS.search(text), text
                assert "relative difference" not in text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (1.0, "1"),
        (-0.7641, "-0.764"),
        (0.1, "0.1"),
        (0.0009999, "0.001"),  # rounded first
        (0.00099, "0.00099"),
        (0.000099, "9.9e-5"),
        (0.00123, "0.00123"),
        (2512.0, "2,510"),
        (12345.0, "12,300"),
        (99_999.7, "1e5"),
        (1e10, "1e10"),
        (-3.456e-5, "-3.46e-5"),
        (2.5e7, "2.5e7"),
    ],
)
def test_prose_numbers(value, text):
    assert ft._n(value) == text


def test_legend_and_caption():
    legend = ft.legend_tex(1e-10, 0.4)
    assert r"\eta = 0.4" in legend and r"1\times10^{-10}" in legend
    assert ft.legend_tex(1e-10, 0.4, "inside") != legend
    assert "torch" in ft.rule_caption("outside") and "optax" in ft.rule_caption("inside")


def test_sparse_trajectory_zero_gradient_when_feature_off():
    traj, w_true = ft.sparse_trajectory(30, seed=122, lr=1.0)
    terms = ft.step_terms(traj, eps=1e-10, eps_placement="outside")
    off = terms["g"] == 0
    assert off[:, 1].sum() > 20  # the rare feature is off in most steps
    # where the gradient is zero, G does not move and neither does the parameter
    np.testing.assert_array_equal(terms["G"][off], terms["G_prev"][off])
    np.testing.assert_array_equal(terms["theta_new"][off], terms["theta"][off])
    # its first non-zero gradient moves it by lr (G = g^2 then)
    first = int(np.argmax(~off[:, 1]))
    assert abs(terms["update"][first, 1]) == pytest.approx(1.0)
    assert w_true.shape == (2,)
    text = ft.reading(terms, first, ft.SPARSE_NAMES, 1e-10, "outside")
    assert "rare's in 1" in text and "yet rare moved 1" in text
    assert "G = 0 the rate is η/ε" in ft.reading(terms, 0, ft.SPARSE_NAMES, 1e-10, "outside")
    caption = ft.sparse_caption(terms, w_true)
    assert f"rare one {(~off[:, 1]).sum()} times" in caption


@pytest.mark.parametrize(
    "a, b, text",
    [
        (2.0, 1.0, "2×"),
        (2.94, 1.0, "2.9×"),
        (1.0, 40.0, "40×"),
        (12.4, 1.0, "12×"),
        (2512.0, 1.0, "2,510×"),  # not "2.51e+03×"
        (3e7, 1.0, "3e7×"),
        (np.float64(1e300), np.float64(1e-300), ""),  # overflows: no "inf×" in the prose
        (0.0, 1.0, ""),
        (float("nan"), 1.0, ""),
    ],
)
def test_ratio_in_the_reading_is_always_a_readable_number(a, b, text):
    with np.errstate(over="raise"):  # no overflow warning escapes either
        assert ft._ratio(a, b) == text


@pytest.mark.parametrize(
    ("value", "tex"), [(21020.4, "21020"), (99_999.0, "99999"), (1234.5, "1234")]
)
def test_tex_numbers_never_show_pythons_exponent(value, tex):
    assert ft.fmt(value) == tex

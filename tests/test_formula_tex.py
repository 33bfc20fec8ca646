"""The formula page's TeX and prose builders, on real runs from the core."""

import re

import numpy as np
import pytest

from adagrad_app import formula_run as fr
from adagrad_app import formula_tex as ft
from adagrad_app import theme
from adagrad_core import OPTIMIZERS
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
    return fr.step_terms(traj, eps=eps, eps_placement=placement, initial_accumulator_value=acc0)


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


def _core_denoms(traj):
    """The core's extras["denom"] of every step, from stepping its Adagrad update by hand."""
    opt = OPTIMIZERS["adagrad"]
    init_kw, upd_kw = opt.split(traj.hparams)
    state = opt.init(traj.params[0], **init_kw)
    out = []
    for t in range(traj.last):
        _, state, extras = opt.update(traj.grads[t], state, traj.params[t], **upd_kw)
        out.append(extras["denom"])
    return np.array(out).reshape(traj.last, -1)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(eps=1.0, eps_at="inside"),
        dict(eps=0.5, acc0=0.3, lr_decay=0.2, steps=80),
        dict(surface="rosenbrock", lr=1e6, steps=20),  # stopped at step 2
        dict(run_on="sparse", steps=60),
        dict(run_on="sparse", steps=60, eps_at="inside", eps=1e-3),
    ],
)
def test_step_terms_denominator_is_the_cores(kw):
    page = fr.simulate(**kw)
    hp = {
        "lr": page.lr,
        "eps": page.eps,
        "eps_placement": page.eps_at,
        "initial_accumulator_value": page.acc0,
        "lr_decay": page.lr_decay,
    }
    steps = kw.get("steps", 30)
    if kw.get("run_on") == "sparse":
        traj, _ = fr.sparse_trajectory(steps, seed=fr.SPARSE_SEED, **hp)
    else:
        s = SURFACES[kw.get("surface", "quadratic")]
        traj = run("adagrad", s.grad, [-5.0, -2.0], steps, loss_fn=s.value, **hp)
    assert page.done == traj.last
    np.testing.assert_array_equal(page.terms["denom"], _core_denoms(traj))


def test_step_terms_refuse_settings_that_are_not_the_runs():
    traj = run("adagrad", SURFACES["quadratic"].grad, [-5.0, -2.0], 5, eps=1e-10)
    with pytest.raises(ValueError, match="eps_placement"):
        fr.step_terms(traj, eps=1e-10, eps_placement="inside")
    with pytest.raises(ValueError, match="eps"):
        fr.step_terms(traj, eps=1.0, eps_placement="outside")


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
    assert set(tex) == {"sgd", "adagrad", "rmsprop", "adam"}


def test_legend_and_caption():
    legend = ft.legend_tex(1e-10, 0.4)
    assert r"\eta = 0.4" in legend and r"1\times10^{-10}" in legend
    assert ft.legend_tex(1e-10, 0.4, "inside") != legend
    assert r"\eta_t" not in legend


def test_rate_decay_is_in_the_rule_the_legend_and_the_numbers():
    """torch's lr_decay: step t's rate is ηₜ = η / (1 + (t − 1)·lr_decay)."""
    run = fr.simulate(lr=0.8, lr_decay=0.5, steps=5)
    np.testing.assert_allclose(run.terms["lr"][:, 0], 0.8 / (1 + 0.5 * np.arange(5)))
    np.testing.assert_allclose(run.terms["eff_lr"], run.terms["lr"] / run.terms["denom"])
    np.testing.assert_allclose(
        run.terms["update"], -run.terms["lr"] / run.terms["denom"] * run.terms["g"]
    )
    assert r"\eta_t" in ft.rule_tex("outside", decay=True)
    assert r"\eta_t" not in ft.rule_tex("outside")
    legend = ft.legend_tex(1e-10, 0.8, "outside", 0.5)
    assert r"1 + (t-1)\,d" in legend and r"d = 0.5" in legend
    assert ft.fmt(0.8 / 3) in "".join(ft.values_tex(run.terms, 4, run.names, "outside", True))
    assert ft.eff_lr_text("inside", 0.5) == "ηₜ/√(G+ε)"


def test_simulate_cuts_a_stopped_run_before_its_last_step():
    run = fr.simulate(surface="quadratic", x0=10, y0=10, lr=5, steps=200, eps=1)
    assert run.done == len(run.path) - 1 == run.terms["g"].shape[0]
    stopped = fr.simulate(surface="beale", x0=10, y0=10, lr=5, steps=30)
    if stopped.diverged_at is not None:
        assert stopped.done == stopped.diverged_at - 1


def test_sparse_trajectory_zero_gradient_when_feature_off():
    traj, w_true = fr.sparse_trajectory(30, seed=122, lr=1.0)
    terms = fr.step_terms(traj, eps=1e-10, eps_placement="outside")
    off = terms["g"] == 0
    assert off[:, 1].sum() > 20  # the rare feature is off in most steps
    # where the gradient is zero, G does not move and neither does the parameter
    np.testing.assert_array_equal(terms["G"][off], terms["G_prev"][off])
    np.testing.assert_array_equal(terms["theta_new"][off], terms["theta"][off])
    # its first non-zero gradient moves it by lr (G = g^2 then)
    first = int(np.argmax(~off[:, 1]))
    assert abs(terms["update"][first, 1]) == pytest.approx(1.0)
    assert w_true.shape == (2,)


@pytest.mark.parametrize(
    ("value", "tex"), [(21020.4, "21020"), (99_999.0, "99999"), (1234.5, "1234")]
)
def test_tex_numbers_never_show_pythons_exponent(value, tex):
    assert ft.fmt(value) == tex

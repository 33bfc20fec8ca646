"""The formula page's sentences as claims: each is printed only when the run bears it out.

Property tests draw settings from the page's own schema (every setting, its minimum and
maximum included) and check, for every claim at several steps, that it does not raise, that a
printed sentence's condition holds (recomputed here from the run's arrays), that its numbers
are the run's, and that it follows the convention in force. Regression tests pin the classes
of mistake issue 17 found: '0.0%' for a share that is not 0, ε written in the wrong place,
'1 steps', 'about' and 'as far as' where the numbers disagree, steps counted from 0.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adagrad_app import claims_formula as claims
from adagrad_app import claims_step, fmt
from adagrad_app import formula_run as fr
from adagrad_app import formula_view as fv
from adagrad_app.params import Param
from adagrad_core.surfaces import SURFACES

# as ../shared/tools/prose_metrics.py counts them
NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+−]?\d+)?(?![\w])", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(*A-Z0-9])")
SAME = 1e-3  # what the sentences' "0.1%" says, not read from the module under test
SIMILAR = 1.25
RUN_KEYS = ("run_on", "surface", "x0", "y0", "seed", "lr", "eps", "eps_at", "acc0", "lr_decay")


def _values(p: Param):
    """Every value of a setting, its minimum and maximum drawn often."""
    if p.kind == "choice":
        return st.sampled_from(p.options)
    if p.kind == "int":
        return st.one_of(st.sampled_from([int(p.lo), int(p.hi)]), st.integers(p.lo, p.hi))
    edges = [p.lo, p.hi, p.default]
    return st.one_of(st.sampled_from(edges), st.floats(p.lo, p.hi, allow_nan=False))


@st.composite
def page_settings(draw):
    """Settings of the formula page, from its schema (the surface decides the start)."""
    surface = draw(st.sampled_from(list(SURFACES)))
    schema = {p.key: p for p in fv.schema_for(surface)}
    values = {k: draw(_values(schema[k])) for k in RUN_KEYS if k != "surface"}
    values["surface"] = surface
    values["eps"] = float(values["eps"])
    values["steps"] = draw(_values(schema["steps"]))
    values["t"] = draw(_values(schema["t"]))
    return values


def _run(values: dict) -> fr.FormulaRun:
    return fr.simulate(**{k: v for k, v in values.items() if k != "t"})


def _steps(run: fr.FormulaRun, t: int) -> list[int]:
    return sorted({s for s in (1, 2, min(t, run.done), run.done) if 1 <= s <= run.done})


def _numbers(text: str) -> list[str]:
    return [n.replace("−", "-").rstrip(",") for n in NUMBER.findall(text)]


def _ratios(values) -> set[str]:
    """Every ratio and percentage difference between two of ``values``, as claims print them."""
    out = set()
    pool = [abs(float(v)) for v in values if np.isfinite(v) and v != 0]
    for a, b in itertools.permutations(pool, 2):
        r = max(a, b) / min(a, b)
        if np.isfinite(r):
            out.add(fmt.ratio(r).rstrip("×"))
            out.add(fmt.pct(abs(a / b - 1)).rstrip("%"))
    return out


def _allowed(sv: claims_step.StepView) -> set[str]:
    """The numbers a sentence about this step may print: the run's own, and fixed ones of the
    text (the 1 of 'step 1' and '1 + (t − 1)', the 0.1% tolerance, Keras 3, 2011, 10⁶)."""
    fixed = {"0", "1", "0.1", "2", "3", "10", "2011"}
    out = fixed | {str(sv.step), fmt.number(sv.step), fmt.number(sv.run.done)}
    out |= {fmt.number(c) for c in sv.grew()}
    row = [sv.at(k) for k in ("g", "update", "eff_lr", "G")] + [sv.other_rate()]
    pool = [v for arr in row for v in np.ravel(arr)] + list(np.ravel(sv.at("eff_lr", 1)))
    out |= _ratios(pool)
    out |= {fmt.number(v) for v in pool}
    return out


def _claims(sv: claims_step.StepView) -> dict[str, str | None]:
    return {
        "moves": claims_step.moves(sv),
        "rates": claims_step.rates(sv),
        "first_step": claims_step.first_step(sv),
        "counts": claims_step.counts(sv),
        "since_first": claims_step.since_first(sv),
        "zero_G": claims_step.zero_G(sv),
        "convention": claims_step.convention(sv),
    }


def _check_conditions(sv: claims_step.StepView, said: dict[str, str | None]) -> None:
    """Each printed sentence's condition, recomputed from the run's arrays."""
    g, u, eff, G = (np.abs(sv.at(k)) for k in ("g", "update", "eff_lr", "G"))
    lr = float(sv.at("lr")[0])
    order = sorted(range(len(g)), key=lambda i: g[i])
    a, b = order[0], order[-1]
    if text := said["moves"]:
        if "as far as" in text and "almost" not in text:
            assert abs(u[a] / u[b] - 1) <= SAME, text
        if "almost as far as" in text:
            assert 1 / SIMILAR <= u[a] / u[b] < 1, text
        if "farther than" in text and "similar size" not in text:
            assert u[a] > u[b], text
        if "less far" in text:
            assert u[a] < u[b] / SIMILAR, text
        if "similar size" in text:
            assert g[b] / g[a] <= SIMILAR, text
        if "stays put" in text:
            assert g[a] == 0 and u[a] == 0 and u[b] != 0, text
        if "nothing moves" in text:
            assert not g.any() and not u.any(), text
    if (text := said["rates"]) and "larger than" in text:
        assert eff.max() > eff.min() * (1 + SAME), text
    if text := said["first_step"]:
        moving = (g != 0) & (u != 0)
        assert sv.step == 1
        if "to within 0.1%" in text:
            assert np.all(np.abs(u[moving] / lr - 1) <= SAME), text
            assert np.all(sv.at("G_prev") == 0)
        if "the smaller gradient takes the shorter step" in text:
            assert u[a] < u[b] and g[a] < g[b], text
        if "shorter than η" in text or "less than η" in text:
            assert np.all(u[moving] < lr), text
    if text := said["counts"]:
        seen = sv.grew()
        assert f"grew in {fmt.number(seen[0])} " in text, text
        if "keeps the smaller G and the larger rate" in text:
            few = int(np.argmin(seen))
            assert G[few] < G[1 - few] and eff[few] > eff[1 - few], text
    if text := said["since_first"]:
        assert np.all(eff <= np.abs(sv.at("eff_lr", 1))), text  # "no rate can rise"
        if "lr_decay alone" in text:
            assert sv.run.lr_decay > 0
    if text := said["zero_G"]:
        idle = sv.at("G") == 0
        assert idle.any() and not g[idle].any() and not u[idle].any(), text
        if "huge" in text:
            assert eff[idle].min() >= claims_step.HUGE * lr, text
    if text := said["convention"]:
        alt = np.abs(sv.other_rate())
        moving = (g != 0) & (u != 0)
        if "less than 0.1%" in text:
            with np.errstate(divide="ignore", invalid="ignore"):
                assert np.all(np.abs(alt[moving] / eff[moving] - 1) <= SAME), text
        if "changes the rate but not the step" in text:
            assert np.any((g == 0) & (u == 0)), text


def _check_convention(run: fr.FormulaRun, texts: list[str]) -> None:
    """Every sentence writes the denominator and the rate as the run computes them."""
    wrong = "√(G + ε)" if run.eps_at == "outside" else "√G + ε"
    for text in texts:
        assert wrong not in text, text
        if run.lr_decay == 0:
            assert "ηₜ" not in text and "lr_decay" not in text, text
    if run.lr_decay > 0:
        assert "lr_decay" in claims.takeaway(run)


def _check_prose(text: str) -> None:
    assert not re.search(r"(?<![\d.])1 (steps|times)\b", text), text
    assert not re.search(r"(?<![\d.])0(\.0+)?%", text), text
    assert "e+" not in text and "nan" not in text.lower() and "inf" not in text, text
    for sentence in SENTENCE_END.split(text):
        assert len(_numbers(sentence)) <= 4, sentence


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(values=page_settings())
@example(values={**fr.simulate.__kwdefaults__, "t": 1})  # the default view
@example(  # the ε lesson
    values={**fr.simulate.__kwdefaults__, "eps": 1.0, "t": 1}
)
@example(  # the sparse run with rate decay, ε inside, at its last step
    values={
        **fr.simulate.__kwdefaults__,
        "run_on": "sparse",
        "eps_at": "inside",
        "lr_decay": 1.0,
        "steps": 200,
        "t": 200,
    }
)
@example(  # every setting at its maximum
    values={
        **fr.simulate.__kwdefaults__,
        "x0": 10.0,
        "y0": 10.0,
        "lr": 5.0,
        "eps": 1.0,
        "acc0": 10.0,
        "lr_decay": 1.0,
        "steps": 200,
        "t": 200,
        "seed": 9999,
    }
)
@example(  # and at its minimum
    values={
        **fr.simulate.__kwdefaults__,
        "x0": -10.0,
        "y0": -10.0,
        "lr": 0.001,
        "eps": 1e-10,
        "acc0": 0.0,
        "lr_decay": 0.0,
        "steps": 2,
        "t": 1,
        "seed": 0,
    }
)
def test_every_claim_holds_for_the_run_it_is_printed_under(values):
    run = _run(values)
    texts = [claims.takeaway(run), claims.rule_caption(run), claims.code_caption(run)]
    texts += [claims.run_intro(run, "Surface", "Its lesson."), claims.diverged(run) or ""]
    table = claims.sparse_table(run)
    if table:  # "count (share)": a share reads 0% only when the count is 0
        for cell in (table[name][1] for name in run.names):
            count, share = cell.rstrip(")").split(" (")
            assert (share == "0%") == (count == "0"), cell
    for step in _steps(run, values["t"]):
        sv = claims_step.StepView(run, step)
        said = _claims(sv)
        _check_conditions(sv, said)
        allowed = _allowed(sv)
        for name, text in said.items():
            if text is None:
                continue
            texts.append(text)
            for n in _numbers(text):
                assert n in allowed, (name, n, text)
        paragraphs = claims_step.step_paragraphs(sv)
        assert paragraphs[0].startswith(f"**Step {step}.**")
        texts += paragraphs
        table = claims_step.step_table(sv)
        assert len(table) == len(run.names) + 1
        assert table[run.names[0]][-1] == f"{fmt.number(sv.grew()[0])} of {step}"
    _check_convention(run, texts)
    for text in texts:
        _check_prose(text)


# --- regressions, one per class of mistake -----------------------------------------------------


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (0.001, "0.1%"),
        (0.0004, "0.04%"),
        (1 / 200, "0.5%"),
        (0.05, "5%"),
        (0.5, "50%"),
        (0.9996, "99.96%"),
        (0.0, "0%"),
        (1.0, "100%"),
    ],
)
def test_one_percent_format_that_never_reads_0_for_a_share_that_is_not(share, text):
    assert fmt.pct(share) == text


@given(st.floats(1e-12, 1 - 1e-12))
@settings(max_examples=200, deadline=None)
def test_no_share_strictly_between_0_and_1_reads_0_or_100(share):
    text = fmt.pct(share)
    assert text not in ("0%", "100%") and not re.fullmatch(r"0\.0+%", text)


def test_the_sparse_table_shows_a_rare_features_share_of_this_run():
    run = fr.simulate(run_on="sparse", steps=200, seed=3)
    on = int((run.terms["g"][:, 1] != 0).sum())
    assert claims.sparse_table(run)["rare"][1] == f"{on} ({fmt.pct(on / 200)})"


@pytest.mark.parametrize(
    ("a", "b", "text"),
    [
        (2.0, 1.0, "2× larger"),
        (1.0, 2.94, "2.9× smaller"),
        (1.0, 40.0, "40× smaller"),
        (2512.0, 1.0, "2,510× larger"),  # not "2.51e+03×"
        (3e7, 1.0, "3e7× larger"),
        (1.04, 1.0, "4% larger"),  # not "1×"
        (1.0005, 1.0, None),  # the same to within 0.1%
        (np.float64(1e300), np.float64(1e-300), None),  # overflows: no "inf×" in the prose
        (0.0, 1.0, None),
        (float("nan"), 1.0, None),
    ],
)
def test_how_much_is_always_a_readable_number(a, b, text):
    with np.errstate(over="raise"):
        assert claims_step.how_much(a, b) == text


def test_plurals():
    assert fmt.plural(1, "step") == "1 step" and fmt.plural(2, "step") == "2 steps"
    assert "1 steps" not in claims.beyond(5, 1)


def test_a_run_stopped_after_its_first_step_speaks_in_the_singular():
    run = fr.simulate(lr=5.0, steps=30)
    stopped = fr.FormulaRun(**{**run.__dict__, "diverged_at": 2})
    stopped = fr.FormulaRun(
        **{
            **stopped.__dict__,
            "terms": {k: v[:1] for k, v in run.terms.items()},
            "path": run.path[:2],
        }
    )
    text = claims.diverged(stopped)
    assert "at step 2" in text and "Only step 1 before it is shown." in text
    assert " 1 steps" not in text


@pytest.mark.parametrize("eps_at", fr.PLACEMENTS)
def test_each_sentence_writes_eps_where_it_sits(eps_at):
    run = fr.simulate(eps=1.0, eps_at=eps_at)
    texts = [claims.takeaway(run), claims.rule_caption(run), claims.code_caption(run)]
    texts += claims_step.step_paragraphs(claims_step.StepView(run, 1))
    right, wrong = ("√G + ε", "√(G + ε)") if eps_at == "outside" else ("√(G + ε)", "√G + ε")
    assert any(right in t for t in texts) and not any(wrong in t for t in texts)
    assert ("η·|g| / (|g| + ε)" in " ".join(texts)) == (eps_at == "outside")


def test_with_rate_decay_a_coordinate_whose_G_stands_still_still_slows():
    """lr_decay divides the rate by 1 + (t − 1)·lr_decay: the rare weight's G is 0 until step 8
    of the default stream, yet its rate falls; the sentence names the decay, not G."""
    run = fr.simulate(run_on="sparse", lr_decay=0.5)
    text = claims_step.since_first(claims_step.StepView(run, 5))
    assert "the rare weight's rate is 3× lower, through lr_decay alone" in text
    assert "has not moved" not in text
    assert "ηₜ/ε" in claims_step.zero_G(claims_step.StepView(run, 5))
    assert "1 + (t − 1)·d" in claims.rule_caption(run)


@pytest.mark.parametrize("eps", [0.01, 1e-4])
def test_about_eta_only_when_the_first_step_is_eta_to_within_a_tenth_of_a_percent(eps):
    """At ε = 0.01 and |g| = 1 the first step is η/1.01: 1% short, so not 'η to within 0.1%'.
    At ε = 1e-4 it is η/1.0001, and the sentence is true."""
    text = claims_step.first_step(claims_step.StepView(fr.simulate(eps=eps), 1))
    assert ("to within 0.1%" in text) == (eps < 1e-3)
    if eps > 1e-3:
        assert "the smaller gradient takes the shorter step" in text


def test_as_far_as_only_when_the_moves_agree():
    """ε = 1: x's first move is 0.5, y's 0.889 — 'less far', never 'as far as'."""
    text = claims_step.moves(claims_step.StepView(fr.simulate(eps=1.0), 1))
    assert text.endswith("and x moved 1.8× less far than y.")
    text = claims_step.moves(claims_step.StepView(fr.simulate(), 1))
    assert text.endswith("yet x moved as far as y.")


def test_steps_count_from_1():
    run = fr.simulate()
    assert claims_step.step_paragraphs(claims_step.StepView(run, 1))[0].startswith("**Step 1.**")
    with pytest.raises(ValueError, match="step 0"):
        claims_step.StepView(run, 0)
    with pytest.raises(ValueError, match="step 31"):
        claims_step.StepView(run, 31)
    assert (
        claims_step.first_step(claims_step.StepView(run, 2)) is None
    )  # the first update is step 1
    assert fv.schema_for("quadratic")[-3].lo == 1  # t in the URL: from 1


def test_terms_are_defined_where_they_are_used():
    run = fr.simulate()
    assert "where G is that coordinate's sum of squared gradients" in claims.takeaway(run)
    assert "c is a small constant" in claims.BRIDGE
    assert "moving average: each step keeps a share α" in claims.COMPARE_NOTES["rmsprop"]
    assert "(the bias correction)" in claims.COMPARE_NOTES["adam"]
    sparse = claims.run_intro(fr.simulate(run_on="sparse"))
    assert "linear regression" in sparse and "binary features (each 0 or 1)" in sparse

"""The formula page under AppTest: defaults, each switch, the step control, bad links, lock."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.proto.RootContainer_pb2 import RootContainer
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.testing.v1 import AppTest

from adagrad_app import claims_formula as claims
from adagrad_app import fmt, theme
from adagrad_app import formula_run as fr
from adagrad_app import formula_tex as ft
from adagrad_app import formula_view as fv
from adagrad_core.runner import run
from adagrad_core.surfaces import SURFACES
from tests.apptest import load

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = "pages/formula.py"


def _open(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = str(value)
    at.run()
    assert not at.exception
    at.switch_page(PAGE)
    load(at)
    assert not at.exception
    return at


def _tex(at) -> str:
    return "\n".join(x.value for x in at.latex)


def _values(at) -> str:
    """The three tables of this step's numbers (the only arrays on the page)."""
    return "\n".join(x.value for x in at.latex if r"\begin{array}" in x.value)


def _warnings(at) -> str:
    return "\n".join(w.value for w in at.warning)


def _reading(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def _texts(at) -> str:
    """Every sentence the page shows (markdown, captions, notes)."""
    kinds = ("markdown", "caption", "warning", "error", "info")
    return "\n".join(el.value for kind in kinds for el in at.get(kind))


def _table(at, i: int = -1) -> dict:
    """A table on the page as {column: [cells]}."""
    df = at.table[i].value
    return {str(c): [str(x) for x in df[c]] for c in df.columns}


@pytest.fixture(scope="module")
def default():
    return _open()


def test_default_view(default):
    at = default
    assert at.title[0].value.startswith("🔎")
    tex = _tex(at)
    for key in ("theta", "g", "G", "lr", "eps", "eff_lr", "update"):
        assert theme.TERM_COLORS[key] in tex, key
    assert ft.rule_tex("outside") in tex
    assert at.slider(key="t").value == 1
    assert (at.slider(key="t").min, at.slider(key="t").max) == (1, 30)  # 30 steps, from 1
    assert len(_values(at).split(r"\begin{array}")) == 4  # three tables
    # step 1 from (-5, -2) on the quadratic with lr = 1: both coordinates move by 1
    assert "The gradient of x is 8× smaller than that of y, yet x moved as far as y" in _reading(at)
    assert len(at.get("plotly_chart")) == 2
    assert not at.code  # the source is sent only once its expander is opened
    at.session_state["code_open"] = True
    at.run()
    assert not at.exception
    assert "def adagrad_update" in at.code[0].value
    assert "eps_placement" in at.code[0].value
    assert not at.warning and not at.error
    assert dict(at.query_params) == {}


def test_step_slider_changes_values_and_url():
    at = _open()
    before, reading0 = _values(at), _reading(at)
    at.slider(key="t").set_value(2).run()
    assert not at.exception
    assert _values(at) != before
    assert _reading(at).startswith("**Step 2.**") and _reading(at) != reading0
    assert at.query_params["t"] == ["2"] or at.query_params["t"] == "2"
    assert r"\colorbox" in _values(at)  # things changed since step 1
    at.slider(key="t").set_value(30).run()
    assert not at.exception
    assert _reading(at).startswith("**Step 30.**")


@pytest.mark.parametrize("t", [1, 2, 30])
def test_step_from_url(t):
    at = _open(t=t)
    assert at.slider(key="t").value == t
    assert _reading(at).startswith(f"**Step {t}.**")
    assert (r"\colorbox" in _values(at)) == (t > 1)


def test_an_old_link_with_t_0_opens_step_1_without_a_note():
    """Before steps were counted from 1, t = 0 was the first update (the ε lesson's link)."""
    at = _open(t=0, eps=1)
    assert at.slider(key="t").value == 1 and not at.warning
    assert _reading(at).startswith("**Step 1.**")
    assert "t" not in at.query_params  # the default, step 1, is not written
    assert _values(at) == _values(_open(t=1, eps=1))


def test_eps_switch_changes_formula_and_numbers():
    at = _open(eps="1")
    outside_tex, outside_values = _tex(at), _values(at)
    assert ft.rule_tex("outside") in outside_tex
    at.get("segmented_control")[0].set_value("inside").run()
    assert not at.exception
    assert ft.rule_tex("inside") in _tex(at)
    assert ft.rule_tex("outside") not in _tex(at)
    assert _values(at) != outside_values  # with eps = 1 the numbers differ visibly
    assert at.query_params["eps_at"] in ("inside", ["inside"])
    assert "'inside'" in next(c.value for c in at.caption if "adagrad_update" in c.value)


def test_compare_switch():
    at = _open()
    n = len(at.latex)
    at.toggle(key="compare").set_value(True).run()
    assert not at.exception
    assert len(at.latex) == n + 4
    rules = ft.compare_tex("outside")
    assert all(tex in _tex(at) for tex in rules.values())
    labels = [m.value for m in at.markdown]
    assert {"**SGD**", "**Adagrad**", "**RMSprop**", "**Adam**"} <= set(labels)


def test_surface_change_resets_start():
    at = _open(t=5)
    at.selectbox(key="surface").set_value("rosenbrock").run()
    assert not at.exception
    assert (at.number_input(key="x0").value, at.number_input(key="y0").value) == (-1.5, 2.5)
    assert at.slider(key="t").value == 1
    assert "Rosenbrock" in at.caption[0].value


def test_fewer_steps_clamps_the_step():
    at = _open(t=30)
    at.slider(key="steps").set_value(10).run()
    assert not at.exception
    assert at.slider(key="t").value == 10
    assert _reading(at).startswith("**Step 10.**")


def test_play_from_the_end_restarts():
    at = _open(t=30)
    at.toggle(key="play").set_value(True).run()
    assert not at.exception
    assert at.slider(key="t").value <= 2  # restarted (and possibly advanced one step)


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"t": "abc"}, "Step t: 'abc' is not a number; using 1"),
        ({"t": "2.5"}, "Step t: '2.5' is not a whole number; using 1"),
        ({"t": "-3"}, "Step t: -3 is below the minimum; using 1"),
        ({"lr_decay": "2"}, "Rate decay (lr_decay): 2 is above the maximum; using 1"),
        ({"lr": "-1"}, "Learning rate η: -1 is below the minimum; using 0.001"),
        ({"lr": "nan"}, "Learning rate η: 'nan' is not a finite number; using 1"),
        (
            {"surface": "moon"},
            "Surface: 'moon' is not one of Ill-conditioned quadratic 0.1x² + 2y² / Same "
            "quadratic, rotated 45° / …; using Ill-conditioned quadratic 0.1x² + 2y²",
        ),
        (
            {"eps": "-1"},
            "ε: '-1' is not one of 1e-10 / 1e-8 / 1e-6 / 1e-4 / 0.01 / 0.1 / 1; using 1e-10",
        ),
        (
            {"eps_at": "middle"},
            "Where ε sits: 'middle' is not one of outside √ (torch) / inside √ (d2l, Keras 3, "
            "optax); using outside √ (torch)",
        ),
        ({"run_on": "moon"}, "Run on: 'moon' is not one of a 2-D surface / two sparse features"),
        ({"steps": "100000"}, "Steps: 100000 is above the maximum; using 200"),
        ({"x0": "1e9"}, "Start x: 1e9 is above the maximum; using 10"),
        ({"seed": "-1"}, "Seed of the example stream: -1 is below the minimum; using 0"),
        (
            {"acc0": "11"},
            "Initial accumulator G₀: 11 is above the maximum; using 10",
        ),
        ({"compare": "maybe"}, "Show SGD, RMSprop and Adam beside it: 'maybe' is not on or off"),
        ({"bogus": "1"}, "'bogus' is not a setting of this page; ignored"),
    ],
)
def test_bad_url_values_give_notes_in_the_pages_words(query, note):
    at = _open(**query)
    assert note in _warnings(at).replace("\\", "")  # as shown: markdown's escapes removed
    assert _reading(at).startswith("**Step ")


def _widgets(at) -> dict[str, str]:
    """{key: label} of every keyed widget on the page (sidebar and main)."""
    found = {}

    def walk(node):
        for child in getattr(node, "children", {}).values():
            walk(child)
        if getattr(node, "key", None) and isinstance(getattr(node, "label", None), str):
            found[node.key] = node.label

    walk(at._tree)
    return found


@pytest.mark.parametrize("run_on", ["surface", "sparse"])
def test_every_note_names_the_setting_as_its_widget_does(run_on):
    labels = _widgets(_open(run_on=run_on))
    assert {"lr", "eps", "steps", "t", "play", "compare", "eps_at", "lr_decay"} <= labels.keys()
    for key, label in labels.items():
        if key in ("share_open", "code_open", "run_on"):
            continue  # not settings, and run_on=moon would change the view
        note = _warnings(_open(run_on=run_on, **{key: "moon"})).replace("\\", "")
        assert f"- {label}: 'moon' is not" in note, (key, label, note)


WIDGET_KINDS = ("slider", "select_slider", "selectbox", "radio", "toggle", "number_input")


def test_every_widget_is_drawn_from_its_one_declaration():
    """Label, range, format and help of every widget (sidebar and beside the formulas) come
    from formula_view's declarations: a link's note and the widget cannot name a setting
    differently. The step slider's range is the run's steps, its help the declaration's."""
    by_key = {p.key: p for p in fv.schema_for("quadratic")}
    seen = set()
    for query in ({}, {"run_on": "sparse"}):
        at, here = _open(**query), set()
        for kind in (*WIDGET_KINDS, "segmented_control"):
            for w in at.get(kind):
                p = by_key[w.key]
                assert w.label == p.label, (w.key, w.label, p.label)
                assert (w.help or "") == p.help, w.key
                if kind in ("slider", "number_input") and w.key != "t":
                    assert (w.min, w.max) == (p.lo, p.hi), w.key
                if kind == "number_input":
                    assert w.step == (p.step or 1), w.key
                if kind in ("selectbox", "radio", "segmented_control", "select_slider"):
                    options = [str(o) for o in w.options]
                    assert options == [p.show(o) for o in p.options], w.key
                here.add(w.key)
        sidebar = {
            w.key for kind in (*WIDGET_KINDS, "segmented_control") for w in at.sidebar.get(kind)
        }
        assert sidebar == {p.key for p in fv.sidebar(list(by_key.values()))} & here
        seen |= here
        assert (at.slider(key="t").min, at.slider(key="t").max) == (1, 30)  # the run's steps
    assert seen == set(by_key)  # every setting has a widget in one of these views


def test_step_beyond_the_run_is_clamped():
    at = _open(t=150, steps=20)
    assert not at.exception
    # a value from the link: its note stays with the link's notes (the first view's rerun too)
    (note,) = at.warning
    assert note.value.startswith("Some settings in the link were adjusted")
    assert "Step 150 is beyond this run's 20 steps: showing the last one" in note.value
    assert at.slider(key="t").value == 20
    assert _reading(at).startswith("**Step 20.**")
    at.run()
    assert at.warning[0].value == note.value

    # fewer steps than the step shown, chosen later: a note for that run only
    at.slider(key="steps").set_value(10).run()
    assert "Step 20 is beyond this run's 10 steps" in at.warning[-1].value
    assert at.warning[-1].value.startswith("Adjusted:")
    assert at.slider(key="t").value == 10
    at.run()
    assert [w.value for w in at.warning] == [note.value]


def test_locked_view_has_no_widgets():
    at = _open(lock=1, t=3, compare=1, eps_at="inside")
    for kind in ("slider", "toggle", "selectbox", "number_input", "select_slider"):
        assert len(at.get(kind)) == 0, kind
    assert len(at.get("segmented_control")) == 0
    assert ft.rule_tex("inside") in _tex(at)
    assert _reading(at).startswith("**Step 3.**")
    assert len(at.get("plotly_chart")) == 2
    assert at.query_params["lock"] in ("1", ["1"])


def test_sparse_run():
    at = _open()
    at.radio(key="run_on").set_value("sparse").run()
    assert not at.exception
    assert len(at.get("selectbox")) == 0  # no surface in this mode
    assert at.number_input(key="seed").value == 122
    assert r"\text{frequent:}" in _values(at) and r"\text{rare:}" in _values(at)
    intro = next(c.value for c in at.caption if c.value.startswith("**Two sparse features.**"))
    assert "linear regression" in intro and "squared loss" in intro  # the model it trains
    assert _table(at, 0)["rare"][:2] == ["5%", "2 (6.7%)"]  # by design, and in these 30 steps
    at.slider(key="t").set_value(8).run()  # the rare feature's first appearance
    assert "the rare weight moved 1.5× farther than the frequent weight" in _reading(at)
    assert at.query_params["run_on"] in ("sparse", ["sparse"])
    at.number_input(key="seed").set_value(5).run()
    assert not at.exception


def test_charts_are_plain_dicts_over_an_image(default):
    path_chart, series = default.get("plotly_chart")
    spec = json.loads(path_chart.proto.spec)
    # the contour lines are a background image: no contour trace for plotly.js to trace again
    assert [trace["type"] for trace in spec["data"]] == ["scatter"] * 3
    (image,) = spec["layout"]["images"]
    assert image["source"].startswith("data:image/png;base64,")
    assert image["layer"] == "below"
    assert spec["layout"]["xaxis"]["range"] == [image["x"], image["x"] + image["sizex"]]
    assert isinstance(spec["layout"]["template"], dict)  # resolved: plotly.js knows no names
    assert json.loads(path_chart.proto.config)["displaylogo"] is False
    panels = json.loads(series.proto.spec)
    assert len(panels["layout"]["annotations"]) == 5


def test_charts_are_sent_before_the_sidebar_and_code(monkeypatch):
    """A rerun sends elements in the order the script draws them, and the browser renders them
    in that order: the charts go before the sidebar's widgets and the code boxes."""
    at = _open()
    at.session_state["code_open"] = True
    at.run()
    sent = []
    enqueue = ForwardMsgQueue.enqueue

    def record(self, msg):
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            sent.append((msg.metadata.delta_path[0], msg.delta.new_element.WhichOneof("type")))
        enqueue(self, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", record)
    at.select_slider(key="eps").set_value("1e-8").run()
    assert not at.exception
    charts = [i for i, (_, kind) in enumerate(sent) if kind == "plotly_chart"]
    sidebar = [i for i, (root, _) in enumerate(sent) if root == RootContainer.SIDEBAR]
    code = [i for i, (_, kind) in enumerate(sent) if kind == "code"]
    assert len(charts) == 2 and sidebar and code
    assert max(charts) < min(sidebar) and max(charts) < min(code)
    assert at.select_slider(key="eps").value == "1e-8"
    assert at.query_params["eps"] in ("1e-8", ["1e-8"])


def test_eps_one_first_step_reading_follows_the_numbers():
    """The home page's ε lesson: with ε = 1 the first step is η·|g| / (|g| + 1), so the reading
    says the smaller gradient takes the shorter step instead of 'η whatever the size', and the
    table beside it holds the moves."""
    at = _open(eps="1", t=1)
    s = SURFACES["quadratic"]
    update = run("adagrad", s.grad, [-5.0, -2.0], 1, lr=1.0, eps=1.0).updates[0]
    assert all(ft.fmt(u) in _values(at) for u in update)  # the formula shows these moves
    text = _texts(at)
    assert "whatever the gradient's size" not in text
    assert "η·|g| / (|g| + ε)" in text and "the smaller gradient takes the shorter step" in text
    table = _table(at)
    assert table["x"][1] == fmt.number(update[0], 4)  # step Δθ, beside the sentences
    at.get("segmented_control")[0].set_value("inside").run()
    assert "η·|g| / √(g² + ε)" in _texts(at) and "whatever the gradient's size" not in _texts(at)
    assert "whatever the gradient's size" in _texts(_open(t=1))  # ε = 1e-10: η, rightly


def test_sparse_first_step_convention_note():
    """rare has G = 0 and g = 0 at step 1: the placement changes its rate (η/ε = 1e10 against
    η/√ε = 1e5) but not its step, and the note says so; the rates sit in the table."""
    at = _open(run_on="sparse")
    assert _reading(at).startswith("**Step 1.**") and "the rare weight stays put" in _reading(at)
    text = _texts(at)
    assert "The rare weight has a gradient of 0, so the placement changes the rate" in text
    table = _table(at)
    assert table["rare"][2] == "1e10" and table["rare"][4] == "1e5"
    assert "e+" not in text


def test_the_reading_says_yet_only_when_the_smaller_gradient_moved_as_far():
    """With ε = 1 the smaller gradient takes the shorter first step: 'and', not 'yet'."""
    reading = _reading(_open(eps=1, t=1))
    assert "and x moved 1.8× less far than y" in reading and "yet x moved" not in reading
    assert "yet x moved as far as y" in _reading(_open(t=1))  # ε tiny: both move η


def test_the_effective_rate_is_written_as_the_placement_computes_it():
    inside = _open(eps_at="inside")
    code = next(c.value for c in inside.caption if "`eff_lr` is" in c.value)
    assert code.endswith("`eff_lr` is η/√(G+ε).")
    spec = json.loads(inside.get("plotly_chart")[-1].proto.spec)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert "effective rate η/√(G+ε)" in titles and "effective rate η/(√G+ε)" not in titles
    text = _texts(inside)
    assert "√(G + ε)" in text and "√G + ε" not in text


def test_every_sentence_follows_the_rate_decay():
    """With lr_decay > 0 the rate of step t is ηₜ = η / (1 + (t − 1)·lr_decay): the rule, the
    opening, the code and the reading say so; a coordinate whose G has not grown still has a
    falling rate, and the reading does not say its rate 'has not moved'."""
    at = _open(run_on="sparse", lr_decay="0.5", t=5)
    assert r"\eta_t" in _tex(at)
    text = _texts(at)
    assert "1 + (t − 1)·lr_decay" in text and "lr_decay=0.5" in text
    assert "the rare weight's rate is 3× lower, through lr_decay alone" in text
    assert "While G is 0 the rate is ηₜ/ε" in text
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert "effective rate ηₜ/(√G+ε)" in [a["text"] for a in spec["layout"]["annotations"]]
    assert "ηₜ" not in _texts(_open(run_on="sparse", t=5))


def test_the_count_of_adjusting_steps_leaves_out_underflowed_gradients():
    """At lr 5, x lands on 0 at step 1; its later 'gradients' underflow (1e-10 ... 1e-321) and
    add nothing to G: x grew G in 1 step, not in the 33 where g != 0 in float64."""
    at = _open(lr=5, steps=200, t=200)
    assert "x's G grew in 1 and y's in 18" in _reading(at) or "x's G grew in 1 and y's in 18" in (
        _texts(at)
    )
    assert _table(at)["x"][-1] == "1 of 200"


def test_the_step_slider_says_how_its_count_meets_the_trajectories_page(default):
    (slider,) = [s for s in default.slider if s.label == "Step t"]
    assert "Step 1 is the first update" in slider.help and "Trajectories" in slider.help


def test_no_percentage_reads_zero_when_its_share_is_not():
    """A rare feature on in 1 step of 200 is 0.5%, never '0.0%' or '0%'."""
    at = _open(run_on="sparse", steps=200, seed=3)
    text = _texts(at) + str(_table(at, 0))
    assert "0.0%" not in text and "'0%" not in text.replace("'0%'", "")


def test_a_run_stopped_after_one_step_says_step_in_the_singular():
    message = claims.diverged(fr.simulate(surface="beale", x0=10, y0=10, lr=5, steps=30))
    assert message is None or " 1 steps" not in message


def test_the_page_opens_with_a_takeaway_and_links_its_references(default):
    first = default.markdown[0].value
    assert first.startswith("Adagrad gives each coordinate its own learning rate.")
    assert first.count(". ") <= 2  # at most 3 sentences
    text = _texts(default)
    assert "its own clock" in text and "η/√(s + c)" in text  # d2l.ai's bridge
    for url in (claims.DUCHI, claims.D2L, claims.TORCH):
        assert f"]({url})" in text


# --- readability, measured as ../shared/tools/prose_metrics.py measures it ----------------------

_NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+−]?\d+)?(?![\w])", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(*A-Z0-9])")


def _plain(markdown: str) -> str:
    text = re.sub(r"\$[^$\n]+\$", " FORMULA ", markdown)
    text = re.sub(r"`[^`]*`", " CODE ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_]{1,3}", "", text)


def _words(text: str) -> list[str]:
    return [w for w in text.split() if re.search(r"\w", w)]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"eps": "1", "t": "1"},  # the home page's ε lesson
        {"eps": "1", "t": "0"},  # its old form
        {"run_on": "sparse", "t": "8", "lr_decay": "0.5", "eps_at": "inside"},
        {"surface": "rosenbrock", "steps": "200", "t": "200", "compare": "1"},
    ],
)
def test_the_page_reads_within_the_limits(query):
    """Issue 17's limits: an opening of at most 3 sentences, no paragraph over 60 words, a mean
    sentence of at most 20 words, no sentence with more than 4 numbers."""
    at = _open(**query)
    kinds = ("markdown", "caption", "text", "info", "warning", "success", "error")
    texts = [el.value for kind in kinds for el in at.get(kind) if isinstance(el.value, str)]
    paragraphs = [
        " ".join(p.split())
        for t in texts
        for p in re.split(r"\n\s*\n", _plain(t))
        if len(_words(p)) >= 3
    ]
    sentences = [s for p in paragraphs for s in _SENTENCE_END.split(p) if _words(s)]
    opening = _plain(at.markdown[0].value)
    assert len(_SENTENCE_END.split(opening)) <= 3, opening
    assert max(len(_words(p)) for p in paragraphs) <= 60
    assert np.mean([len(_words(s)) for s in sentences]) <= 20
    for s in sentences:
        assert len(_NUMBER.findall(s)) <= 4, s

"""The formula page under AppTest: defaults, each switch, the step control, bad links, lock."""

import json
from pathlib import Path

import pytest
from streamlit.proto.RootContainer_pb2 import RootContainer
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.testing.v1 import AppTest

from adagrad_app import formula_tex as ft
from adagrad_app import theme
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


def _convention(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("With ε "))


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
    assert at.slider(key="t").value == 0
    assert at.slider(key="t").max == 29  # 30 steps
    assert len(_values(at).split(r"\begin{array}")) == 4  # three tables
    # step 0 from (-5, -2) on the quadratic with lr = 1: both coordinates move by 1
    assert "x's gradient (-1) is 8× smaller than y's (-8)" in _reading(at)
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
    at.slider(key="t").set_value(1).run()
    assert not at.exception
    assert _values(at) != before
    assert _reading(at).startswith("**Step 1.**") and _reading(at) != reading0
    assert at.query_params["t"] == ["1"] or at.query_params["t"] == "1"
    assert r"\colorbox" in _values(at)  # things changed since step 0
    at.slider(key="t").set_value(29).run()
    assert not at.exception
    assert _reading(at).startswith("**Step 29.**")


@pytest.mark.parametrize("t", [0, 1, 29])
def test_step_from_url(t):
    at = _open(t=t)
    assert at.slider(key="t").value == t
    assert _reading(at).startswith(f"**Step {t}.**")
    assert (r"\colorbox" in _values(at)) == (t > 0)


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
    assert at.slider(key="t").value == 0
    assert "Rosenbrock" in at.caption[0].value


def test_fewer_steps_clamps_the_step():
    at = _open(t=29)
    at.slider(key="steps").set_value(10).run()
    assert not at.exception
    assert at.slider(key="t").value == 9
    assert _reading(at).startswith("**Step 9.**")


def test_play_from_the_end_restarts():
    at = _open(t=29)
    at.toggle(key="play").set_value(True).run()
    assert not at.exception
    assert at.slider(key="t").value <= 1  # restarted (and possibly advanced one step)


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"t": "abc"}, "Step t: 'abc' is not a number; using 0"),
        ({"t": "2.5"}, "Step t: '2.5' is not a whole number; using 0"),
        ({"t": "-3"}, "Step t: -3 is below the minimum; using 0"),
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
            "Initial accumulator (G before step 0): 11 is above the maximum; using 10",
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
    assert {"lr", "eps", "steps", "t", "play", "compare", "eps_at"} <= labels.keys()
    for key, label in labels.items():
        if key in ("share_open", "code_open", "run_on"):
            continue  # not settings, and run_on=moon would change the view
        note = _warnings(_open(run_on=run_on, **{key: "moon"})).replace("\\", "")
        assert f"- {label}: 'moon' is not" in note, (key, label, note)


def test_step_beyond_the_run_is_clamped():
    at = _open(t=150, steps=20)
    assert not at.exception
    # a value from the link: its note stays with the link's notes (the first view's rerun too)
    (note,) = at.warning
    assert note.value.startswith("Some settings in the link were adjusted")
    assert "Step 150 is beyond this run's 20 steps: showing the last one" in note.value
    assert at.slider(key="t").value == 19
    assert _reading(at).startswith("**Step 19.**")
    at.run()
    assert at.warning[0].value == note.value

    # fewer steps than the step shown, chosen later: a note for that run only
    at.slider(key="steps").set_value(10).run()
    assert "Step 19 is beyond this run's 10 steps" in at.warning[-1].value
    assert at.warning[-1].value.startswith("Adjusted:")
    assert at.slider(key="t").value == 9
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
    assert at.caption[0].value.startswith("**Two sparse features.**")
    at.slider(key="t").set_value(7).run()
    assert "yet rare moved 1" in _reading(at)
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
    quotes both (different) moves instead of claiming 'about η whatever the size'."""
    at = _open(eps="1", t=0)
    s = SURFACES["quadratic"]
    update = run("adagrad", s.grad, [-5.0, -2.0], 1, lr=1.0, eps=1.0).updates[0]
    assert all(ft.fmt(u) in _values(at) for u in update)  # the table shows these moves
    moves = abs(update)
    text = _reading(at)
    assert "whatever the size" not in text
    assert "η·|g| / (|g| + ε)" in text and "the smaller the gradient, the shorter" in text
    assert f"x moved {ft._n(moves[0])} and y {ft._n(moves[1])}" in text
    at.get("segmented_control")[0].set_value("inside").run()
    assert "η·|g| / √(g² + ε)" in _reading(at) and "whatever the size" not in _reading(at)
    assert "whatever the size" in _reading(_open(t=0))  # ε = 1e-10: about η, rightly


def test_sparse_first_step_convention_note():
    """rare has G = 0 and g = 0 at step 0: the placement changes its rate (η/ε = 1e10 against
    η/√ε = 1e5) but not its step, and the note says so in one number format."""
    at = _open(run_on="sparse")
    assert _reading(at).startswith("**Step 0.**") and "rare stays put" in _reading(at)
    note = _convention(at)
    assert "the convention matters" not in note and "relative difference" not in note
    assert "On rare the gradient is 0 this step" in note
    assert "changes the rate, not the step" in note
    assert "rare: 1e5 (now 1e10)" in note
    assert "e+" not in note and "e+" not in _reading(at)


def test_the_reading_says_yet_only_when_the_smaller_gradient_moved_as_far():
    """With ε = 1 the smaller gradient takes the shorter first step: 'and', not 'yet'."""
    reading = _reading(_open(eps=1, t=0))
    assert "and x moved 0.5, 1.8× less than y" in reading and "yet x moved" not in reading
    assert "yet x moved" in _reading(_open(t=0))  # ε tiny: both move η


def test_the_effective_rate_is_written_as_the_placement_computes_it():
    inside = _open(eps_at="inside")
    code = next(c.value for c in inside.caption if "`eff_lr` is" in c.value)
    assert code.endswith("`eff_lr` is η/√(G+ε).")
    spec = json.loads(inside.get("plotly_chart")[-1].proto.spec)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert "effective rate η/√(G+ε)" in titles and "effective rate η/(√G+ε)" not in titles


def test_the_count_of_adjusting_steps_leaves_out_underflowed_gradients():
    """At lr 5, x lands on 0 at step 0; its later 'gradients' underflow (1e-10 ... 1e-321) and
    add nothing to G: x grew G in 1 step, not in the 33 where g != 0 in float64."""
    reading = _reading(_open(lr=5, steps=200, t=199))
    assert "x's in 1, y's in 18, had a gradient that grew G" in reading


def test_the_step_slider_says_how_its_count_meets_the_trajectories_page(default):
    (slider,) = [s for s in default.slider if s.label == "Step t"]
    assert "t = 0 is the first update" in slider.help and "step 1" in slider.help

"""The trajectories page through app.py with AppTest: defaults, surfaces, optimizers, URLs."""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adagrad_app import claims_trajectories as C
from adagrad_app.scenarios import SCENARIOS
from adagrad_core import SURFACES
from adagrad_core.racers import DEFAULT_RACERS, RACERS
from tests.apptest import load

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "pages/trajectories.py"


def open_page(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(PAGE)
    load(at)
    assert not at.exception
    return at


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning]
    return "\n".join(parts)


def number(at, label):
    return next(n for n in at.number_input if n.label == label).value


def test_default_view():
    at = open_page()
    assert len(at.get("plotly_chart")) == 5  # race, loss, eff. lr, accumulator, rotation
    assert not at.error and not at.warning
    assert at.sidebar.multiselect[0].value == list(DEFAULT_RACERS)
    assert dict(at.query_params) == {}  # defaults stay out of the URL
    body = texts(at)
    # the page opens with its takeaway, before any chart
    assert at.markdown[0].value.startswith(C.DEFINITION)
    assert "is closest to the minimum" in body
    assert "At step 1, SGD's step follows the gradient: it is 8× as long in y" in body
    # the run's numbers are in tables: the race (with SGD at its best rate), step 1,
    # the accumulators, the weakness, the rotation lesson
    tables = [t.value for t in at.table]
    assert len(tables) == 5
    race_table = tables[0]
    assert list(race_table.index) == [
        *(RACERS[k].label for k in DEFAULT_RACERS),
        "SGD, best lr (dashed)",
    ]
    assert race_table.loc["Adagrad", "steps to < 0.001"] == "17"
    assert race_table.loc["SGD, best lr (dashed)", "lr"] == "0.3"
    assert "Adagrad still gets there 47 steps sooner." in body
    assert list(tables[-1]["rotated"]) == ["78", "16"]
    # the effective-rate chart's caption names its dashed line, shown under that chart
    eff_lr = next(c.value for c in at.caption if "effective learning rate" in c.value)
    assert "The dashed line is the rate a constant gradient would give: ÷10 by step 100." in eff_lr
    assert "It falls like 1/√t." in eff_lr
    # and says when the rate fell: its chart drops in the first steps, then is flat
    assert re.search(
        r"it fell [\d.]+× in x and [\d.]+× in y, almost all of it in the first", eff_lr
    )
    assert "off the" not in eff_lr
    # the gap chart draws SGD at its best rate, dashed grey
    gap = charts(at)[1]
    assert any(t["name"] == "SGD, best lr = 0.3" for t in gap["data"])


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_rotation_lesson_keeps_full_matrix_step_1_off_the_rate_chart():
    at = open_page(surface="rotated", opts="adagrad,adagrad_full")
    title = "Effective learning rate (x solid, y dotted)"
    eff = next(c for c in charts(at) if c["layout"].get("title", {}).get("text") == title)
    lo, hi = eff["layout"]["yaxis"]["range"]
    full = [t for t in eff["data"] if t["legendgroup"] == "adagrad_full"]
    assert min(t["y"][0] for t in full) > 10**hi and 10**hi < 10  # step 1 only, clipped
    assert all(10**lo <= y <= 10**hi for t in full for y in t["y"][1:])
    caption = next(c.value for c in at.caption if "off the top of the chart" in c.value)
    assert "Full-matrix Adagrad's step 1" in caption and "single gradient" in caption


def test_plateau_step_1_ratio_is_written_in_plain_digits():
    at = open_page(surface="plateau", opts="sgd,momentum,adagrad")
    step1 = next(c.value for c in at.caption if c.value.startswith("At step 1"))
    assert "it is 4,510× as long in y as in x" in step1 and "e+" not in step1
    (rows,) = [t.value for t in at.table if "y ÷ x" in t.value.columns]
    assert rows.loc["SGD", "y ÷ x"] == "4,510"


@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface(surface):
    at = open_page(surface=surface)
    s = SURFACES[surface]
    assert at.sidebar.selectbox[0].value == surface
    # a link naming only the surface gets that surface's start and learning rates
    assert number(at, "Start x") == pytest.approx(s.start[0])
    assert number(at, "Start y") == pytest.approx(s.start[1])
    lr = next(sl for sl in at.sidebar.select_slider if sl.label == "Adagrad lr").value
    assert lr == RACERS["adagrad"].lr(surface)
    assert not at.error and s.label in texts(at)


@pytest.mark.parametrize("key", RACERS)
def test_every_optimizer_alone(key):
    at = open_page(opts=key)
    assert at.sidebar.multiselect[0].value == [key]
    assert len(at.get("plotly_chart")) == 5
    assert not at.error


def test_all_optimizers_together():
    at = open_page(opts=",".join(RACERS), steps="300")
    assert len(at.sidebar.multiselect[0].value) == len(RACERS)
    labels = {sl.label for sl in at.sidebar.select_slider}
    assert {f"{r.label} lr" for r in RACERS.values()} <= labels  # one lr per racer


def test_divergent_settings_name_the_optimizer():
    at = open_page(surface="rosenbrock", opts="sgd,adam", lr_sgd="1")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("SGD diverged")
    assert "step" in errors[0]
    assert "Adam" not in errors[0]


def test_out_of_range_url_values_are_clamped_with_a_note():
    at = open_page(steps="99999", lr_sgd="1e9", x0="abc", surface="nope", bogus="1")
    notes = "\n".join(w.value for w in at.warning)
    assert "Steps: 99999 is above the maximum; using 1000" in notes
    assert "'nope' is not one of" in notes and "not a number" in notes
    assert "bogus" in notes
    assert at.sidebar.slider[0].value == 1000
    assert next(sl for sl in at.sidebar.select_slider if sl.label == "SGD lr").value == 100.0


def test_values_between_slider_points_and_outside_the_plot_are_adjusted():
    at = open_page(lr_adagrad="0.4", x0="9", eps="3e-9")
    notes = "\n".join(w.value for w in at.warning)
    assert "Adagrad lr: 0.4 is not on the slider; using 0.5" in notes
    assert "Adagrad ε: 3e-9 is not on the slider; using 1e-08" in notes  # as the link has it
    assert "Start x: 9 is outside this surface's plot; using 6" in notes
    assert number(at, "Start x") == 6.0


def test_a_control_writes_the_url_and_a_new_session_restores_it():
    at = open_page()
    at.sidebar.slider[0].set_value(250)
    at.sidebar.select_slider[0].set_value(0.1)  # SGD's learning rate
    at.run()
    assert not at.exception
    query = dict(at.query_params)
    assert query["steps"] == "250" and query["lr_sgd"] == "0.1"

    again = open_page(**query)
    assert again.sidebar.slider[0].value == 250
    assert again.sidebar.select_slider[0].value == 0.1
    assert texts(again) == texts(at)


def test_a_link_on_another_surface_round_trips():
    at = open_page(surface="rosenbrock")
    assert dict(at.query_params) == {"surface": "rosenbrock"}  # its own defaults stay out
    sgd = next(sl for sl in at.sidebar.select_slider if sl.label == "SGD lr")
    sgd.set_value(RACERS["sgd"].lr("quadratic"))  # the default elsewhere, not here
    at.run()
    query = dict(at.query_params)
    assert query["lr_sgd"] == f"{RACERS['sgd'].lr('quadratic'):g}"
    again = open_page(**query)
    assert next(sl for sl in again.sidebar.select_slider if sl.label == "SGD lr").value == sgd.value
    assert texts(again) == texts(at)


def test_changing_the_surface_resets_start_and_learning_rates():
    at = open_page()
    at.sidebar.selectbox[0].set_value("plateau")
    at.run()
    assert not at.exception
    s = SURFACES["plateau"]
    assert number(at, "Start x") == pytest.approx(s.start[0])
    sgd = next(sl for sl in at.sidebar.select_slider if sl.label == "SGD lr").value
    assert sgd == RACERS["sgd"].lr("plateau")
    assert at.query_params["surface"] in ("plateau", ["plateau"])


def test_nesterov_without_momentum_is_a_message_not_an_exception():
    at = open_page(opts="nesterov", momentum="0")
    assert any("nesterov" in e.value.lower() for e in at.error)
    # in the words of the page's own controls: no 'dampening', which no control sets
    (error,) = [e.value for e in at.error]
    assert "raise it under ⚙️ Advanced" in error and "dampening" not in error


def test_no_optimizer_selected():
    at = open_page()
    at.sidebar.multiselect[0].set_value([])
    at.run()
    assert not at.exception
    assert any("at least one optimizer" in i.value for i in at.info)


def test_3d_view_is_off_by_default_and_on_by_toggle_or_link():
    at = open_page()
    assert len(at.get("plotly_chart")) == 5
    at.toggle[0].set_value(True)
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 6
    assert at.query_params["view3d"] in ("1", ["1"])
    assert len(open_page(view3d="1").get("plotly_chart")) == 6


def test_locked_view_has_no_widgets():
    at = open_page(lock="1", surface="saddle")
    assert not at.sidebar.slider and not at.sidebar.selectbox and not at.sidebar.select_slider
    assert not at.number_input and not at.toggle
    assert len(at.get("plotly_chart")) == 5
    assert "Saddle" in texts(at)


# --- custom surface ----------------------------------------------------------------------------

HOSTILE = {
    "import": "__import__('os')",
    "huge power": "9**9**9",
    "attribute": "x.__class__",
    "unknown name": "x + z",
    "syntax": "2x + y",
}


def test_a_custom_surface_from_the_url_is_drawn_and_round_trips():
    at = open_page(surface="custom", expr="x**2 + 3*sin(y)", box="3")
    assert not at.error
    assert "Your own surface:** `f(x, y) = x**2 + 3*sin(y)`" in texts(at)
    assert at.sidebar.text_input(key="expr").value == "x**2 + 3*sin(y)"
    # the start defaults to the custom box's own, so the link needs no x0/y0
    assert (number(at, "Start x"), number(at, "Start y")) == (-2.4, 1.8)
    assert dict(at.query_params) == {"surface": "custom", "expr": "x**2 + 3*sin(y)", "box": "3"}
    assert len(at.get("plotly_chart")) == 5
    # the default expression stays out of the link, like every default
    assert dict(open_page(surface="custom").query_params) == {"surface": "custom"}
    assert texts(open_page(**dict(at.query_params))) == texts(at)


def test_a_custom_f_with_no_minimum_in_the_plot_is_not_said_to_have_one():
    at = open_page(surface="custom", expr="x + y")
    text = texts(at)
    assert "It has no minimum in the plot" in text
    # every run went past the corner (-5, -5): the gaps are all at the floor, so no ranking
    assert "every optimizer is out of the plot, lower than anywhere in it." in text
    race_table = next(t.value for t in at.table if "f − f* at the end" in t.value.columns)
    assert set(race_table["f − f* at the end"]) == {"< 0"}
    assert "the minimum" not in text
    # a constant gradient: RMSprop's v has nothing to forget, and the caption does not say it did
    assert "Here it ends at its highest: the gradients have not shrunk yet." in text
    main, loss = (json.loads(c.proto.spec) for c in at.get("plotly_chart")[:2])
    star = next(t for t in main["data"] if t.get("marker", {}).get("symbol") == "star")
    assert star["name"] == "lowest point in the plot" and (star["x"], star["y"]) == ([-5], [-5])
    assert loss["layout"]["title"]["text"].startswith("Gap to the lowest point in the plot")
    # a minimum inside the plot keeps its words; the default f has two, both starred
    at = open_page(surface="custom")
    assert "closest to a minimum" in texts(at) and "It has no minimum" not in texts(at)
    main = json.loads(at.get("plotly_chart")[0].proto.spec)
    star = next(t for t in main["data"] if t.get("marker", {}).get("symbol") == "star")
    assert star["name"] == "minimum" and len(star["x"]) == 2
    assert "ended in the minimum at (0.00, 4.71), one of the two in the plot." in texts(at)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_refused_expression_in_the_url_is_named_and_the_default_surface_drawn(name):
    at = open_page(surface="custom", expr=HOSTILE[name], x0="1", steps="50")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("This f(x, y) cannot be used:")
    assert SURFACES["quadratic"].label in errors[0]
    assert "Your own surface" not in texts(at) and SURFACES["quadratic"].lesson in texts(at)
    assert len(at.get("plotly_chart")) == 5
    # nothing else changes: the typed text and the other settings stay as the link set them
    assert at.sidebar.text_input(key="expr").value == HOSTILE[name]
    assert at.sidebar.selectbox[0].value == "custom"
    assert at.query_params["expr"] in (HOSTILE[name], [HOSTILE[name]])
    assert number(at, "Start x") == 1.0 and at.sidebar.slider[0].value == 50


def test_the_parser_message_is_shown_literally():
    at = open_page(surface="custom", expr="__import__('os')")
    # markdown would make __import__ bold: the message is escaped, the text kept
    assert "function '\\_\\_import\\_\\_' is not allowed" in at.error[0].value
    at = open_page(surface="custom", expr="9**9**9")
    assert "exponent" in at.error[0].value and "too large" in at.error[0].value


def test_a_very_long_expression_in_the_url_is_refused_with_a_note():
    at = open_page(surface="custom", expr="x+" * 150 + "y")
    assert any("value is too long" in w.value for w in at.warning)
    assert not at.error and "Your own surface" in texts(at)  # the default expression


def test_typing_expressions_in_the_text_input():
    at = open_page()
    at.sidebar.selectbox[0].set_value("custom").run()
    assert not at.exception and not at.error
    assert "x**2 + 10*sin(y)" in texts(at)

    box = at.sidebar.text_input(key="expr")
    for bad in [*HOSTILE.values(), "x+" * 150 + "y"]:
        box.set_value(bad).run()
        assert not at.exception
        assert len(at.error) == 1 and "cannot be used" in at.error[0].value, bad
        assert len(at.get("plotly_chart")) == 5

    at.sidebar.text_input(key="expr").set_value("(x - 1)**2 + 3*y**2").run()
    assert not at.exception and not at.error
    assert "`f(x, y) = (x - 1)**2 + 3*y**2`" in texts(at)
    assert at.query_params["expr"] in ("(x - 1)**2 + 3*y**2", ["(x - 1)**2 + 3*y**2"])


def test_a_custom_surface_undefined_at_the_start_says_so():
    at = open_page(surface="custom", expr="log(x) + y**2")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "not defined at the start (-4, 3)" in errors[0]
    assert len(at.get("plotly_chart")) == 5
    assert "lower the learning rates" not in texts(at)  # nothing diverged: nothing could move


def test_changing_the_custom_range_moves_the_start_into_it():
    at = open_page(surface="custom")
    at.sidebar.number_input(key="box").set_value(2.0).run()
    assert not at.exception and not at.warning
    assert (number(at, "Start x"), number(at, "Start y")) == (-1.6, 1.2)


# --- exports -----------------------------------------------------------------------------------


def open_snippet(at: AppTest) -> AppTest:
    assert not at.code  # sent only once its expander is opened
    at.session_state["torch_open"] = True
    at.run()
    assert not at.exception
    return at


def test_downloads_and_the_pytorch_snippet_are_under_the_chart():
    at = open_snippet(open_page())
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["📄 Data (CSV)", "🌐 Chart (HTML)", "🔥 PyTorch (.py)"]
    assert any("Download plot as a PNG" in c.value for c in at.caption)
    code = [c for c in at.code if c.proto.language == "python"]
    assert len(code) == 1 and "torch.optim.Adagrad" in code[0].value
    assert "0.1 * x**2 + 2 * y**2" in code[0].value  # the page's surface
    caption = next(c.value for c in at.caption if "torch.optim in float64" in c.value)
    assert "SGD (`sgd`), Momentum (`sgd`), Adagrad (`adagrad`)" in caption


def test_the_snippet_follows_a_custom_surface_and_names_what_torch_lacks():
    at = open_snippet(
        open_page(surface="custom", expr="x**2 + 10*sin(y)", opts="adagrad,adagrad_full")
    )
    code = next(c.value for c in at.code if c.proto.language == "python")
    assert "return x**2 + 10*torch.sin(y)" in code
    assert "Not in torch.optim: Full-matrix Adagrad" in texts(at)


def test_locked_view_keeps_the_downloads_but_no_controls():
    at = open_page(lock="1", surface="custom", expr="x**2 + y**2")
    assert not at.text_input and not at.sidebar.selectbox and not at.number_input
    assert len(at.get("download_button")) == 3


def test_a_path_hidden_under_another_is_named():
    # Himmelblau's defaults: RMSprop's path lies under Adagrad's; the quadratic's part at once.
    assert "RMSprop's path lies under Adagrad's for all 100 steps" in texts(
        open_page(surface="himmelblau")
    )
    assert "path lies under" not in texts(open_page())


# --- issue 17: true sentences at the links that printed false ones, and readable views ----------


def test_every_racer_starting_below_the_threshold_is_said_to():
    body = texts(open_page(x0="0.001", y0="0.001"))
    assert "Every optimizer starts with f − f* below 0.001 already." in body
    assert "step 0" not in body and "First below" not in body


def test_eps_inside_the_root_and_lr_decay_are_named():
    body = texts(open_page(opts="sgd,adagrad", eps="1", eps_placement="inside", lr_decay="1"))
    assert "divides by √(G + ε)," in body and "√G + ε," not in body
    assert "times the lr decay's 1/(1 + (t − 1)·decay)" in body
    assert "÷√t" not in body


def test_rmsprop_alpha_0_with_the_smallest_rates_renders():
    at = open_page(
        surface="rosenbrock",
        opts="adagrad,rmsprop",
        alpha="0",
        lr_adagrad="0.0001",
        lr_rmsprop="0.0001",
    )
    assert not at.error and "path lies under" not in texts(at)


def test_the_forgets_lesson_claims_only_what_its_run_shows():
    at = open_page(surface="rosenbrock", opts="adagrad,rmsprop", steps="1000")
    body = texts(at)
    assert "well within" not in body and "for the first 96 steps" in body
    assert "climbed back" in body and "ends closer to the minimum" in body
    assert not at.get("page_link")  # already on the lesson: no link to it
    weakness = next(t.value for t in at.table if "lowest" in t.value.columns)
    assert list(weakness.index) == ["Adagrad", "Adagrad", "RMSprop", "RMSprop"]


NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+−]?\d+)?(?![\w])", re.I)


def prose(at) -> list[str]:
    """The paragraphs a student reads, as ../shared/tools/prose_metrics.py splits them."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [i.value for i in at.info]
    out = []
    for text in parts:
        text = re.sub(r"`[^`]*`", " CODE ", text)
        text = re.sub(r"[*_]{1,3}", "", text)
        out += [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.split()) >= 3]
    return out


LESSONS = [sc.query for sc in SCENARIOS if sc.page == PAGE]


@pytest.mark.parametrize("query", [{}, *LESSONS], ids=["default", *(q["surface"] for q in LESSONS)])
def test_default_view_and_lesson_links_are_readable(query):
    at = open_page(**query)
    paras = prose(at)
    assert paras[0].startswith(C.DEFINITION)  # the takeaway comes first
    assert len(re.split(r"(?<=[.!?])\s+", paras[0])) <= 3
    sentences = [s for p in paras for s in re.split(r"(?<=[.!?])\s+(?=[\"'(*A-Z0-9])", p)]
    lengths = [len(s.split()) for s in sentences]
    assert max(len(p.split()) for p in paras) <= 60
    assert sum(lengths) / len(lengths) <= 20
    assert max(len(NUMBER.findall(s)) for s in sentences) <= 4
    for term in ("float64", "preconditions", "bias correction", "well within"):
        assert term not in " ".join(paras)


# --- issue 19: one declaration per setting -----------------------------------------------------

WIDGET_KINDS = (
    "slider",
    "select_slider",
    "selectbox",
    "radio",
    "toggle",
    "number_input",
    "multiselect",
    "text_input",
)
# views that between them draw every widget: the default, a typed surface, every racer's lr
EVERY_WIDGET = ({}, {"surface": "custom"}, {"opts": ",".join(RACERS)})


def _drawn(at) -> dict:
    """{key: widget} of every setting's widget on the page (sidebar and main)."""
    return {w.key: w for kind in WIDGET_KINDS for w in at.get(kind)}


def test_every_widget_is_drawn_from_its_one_declaration():
    """Label, range, step, format, grid and help of every widget come from schema_for: a link's
    note and the widget cannot name a setting differently, nor disagree on its range."""
    from adagrad_app.trajectories_settings import schema_for

    by_key = {p.key: p for p in schema_for("quadratic")}
    seen = set()
    for query in EVERY_WIDGET:
        for key, w in _drawn(open_page(**query)).items():
            p = by_key[key]
            assert w.label == p.label, (key, w.label, p.label)
            assert (w.help or "") == p.help, key
            if w.type in ("slider", "number_input"):
                assert (w.min, w.max, w.step) == (p.lo, p.hi, p.step), key
                assert p.fmt is None or w.proto.format == p.fmt, key
            if w.type == "select_slider":
                assert list(w.options) == [p.fmt % g for g in p.grid], key
            if w.type in ("selectbox", "radio", "multiselect"):
                assert list(w.options) == [p._label(o) for o in p.options], key
            if w.type == "text_input":
                assert w.max_chars == p.hi, key
            seen.add(key)
    assert seen == set(by_key)  # every setting has a widget in one of these views


def _notes(at) -> str:
    return "\n".join(w.value for w in at.warning).replace("\\", "")  # markdown's escapes removed


def test_every_note_names_the_setting_as_its_widget_does():
    labels = {}
    for query in EVERY_WIDGET:
        labels |= {key: w.label for key, w in _drawn(open_page(**query)).items()}
    bad = {key: "x" * 201 if key == "expr" else "moon" for key in labels}  # any text is an
    # f(x, y): a too long one. All at once first; a setting whose note that view leaves out
    # (its widget hidden by another bad value) is then checked alone.
    together = _notes(open_page(**bad))
    alone = [key for key, label in labels.items() if f"- {label}: " not in together]
    assert len(alone) < len(labels) / 2, alone  # the batch did most of the work
    for key in alone:
        assert f"- {labels[key]}: " in _notes(open_page(**{key: bad[key]})), (key, labels[key])


def test_a_learning_rate_between_slider_points_snaps_to_the_nearer_in_ratio():
    # 0.00124 is nearer 0.001 on a line, nearer 0.0015 in ratio (as the slider spaces them);
    # 2e-11 is nearer 1e-12 on a line, nearer 1e-10 in ratio
    at = open_page(lr_adagrad="0.00124", eps="2e-11")
    assert "Adagrad lr: 0.00124 is not on the slider; using 0.0015" in _notes(at)
    assert "Adagrad ε: 2e-11 is not on the slider; using 1e-10" in _notes(at)
    assert next(sl for sl in at.select_slider if sl.label == "Adagrad lr").value == 0.0015
    assert dict(at.query_params)["lr_adagrad"] == "0.0015"

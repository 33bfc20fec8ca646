"""The sparse-features page under AppTest: default view, controls, URL parameters, locked view."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import load

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = "pages/sparse-features.py"


def open_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    at.switch_page(PAGE)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    load(at)
    assert not at.exception
    return at


def warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


def test_default_view_opens_with_its_takeaway_and_has_five_charts_with_tables():
    at = open_page()
    assert len(at.get("plotly_chart")) == 5
    assert at.markdown[0].value.startswith("A frequent feature's weight is adjusted often")
    assert "no single SGD rate" in at.markdown[0].value
    assert at.markdown[1].value.startswith("**The model:** linear regression")
    questions = [m.value for m in at.markdown if m.value.startswith("**") and "?**" in m.value]
    assert len(questions) == 2  # questions 2 and 3 (question 1 is the page's takeaway)
    assert len(at.dataframe) == 3  # beside charts ①, ③ and ⑤
    assert "SGD, best rate" in " ".join(at.dataframe[0].value["run"])
    assert not at.error
    assert dict(at.query_params) == {}  # defaults leave the URL clean


def test_moving_a_control_changes_the_text_and_the_url():
    at = open_page()
    before = [c.value for c in at.caption]
    at.select_slider(key="batch").set_value(64).run()
    assert not at.exception
    assert at.query_params["batch"] == "64"
    after = [c.value for c in at.caption]
    assert after != before
    assert any("A batch of 64 averages its examples" in m.value for m in at.markdown)


def test_url_restores_the_settings():
    at = open_page({"preset": "two_groups", "p_rare": "0.02", "batch": "32", "seed": "7"})
    assert at.selectbox(key="preset").value == "two_groups"
    assert at.slider(key="p_rare").value == pytest.approx(0.02)
    assert at.select_slider(key="batch").value == 32
    assert at.number_input(key="seed").value == 7
    assert "were adjusted" not in warnings(at)


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"features": "0"}, "Number of features: 0 is below the minimum; using 20"),
        ({"features": "100000"}, "Number of features: 100000 is above the maximum; using 1000"),
        ({"batch": "0"}, "Batch size B: 0 is below the minimum; using 1"),
        ({"batch": "5"}, "Batch size B: 5 is not on the slider; using 4"),
        ({"batch": "1e9"}, "Batch size B: 1e9 is above the maximum; using 256"),
        ({"preset": "custom", "p1": "0"}, "p of feature 1: 0 is below the minimum; using 0.001"),
        ({"preset": "custom", "p2": "1.5"}, "p of feature 2: 1.5 is above the maximum; using 1"),
        ({"examples": "abc"}, "Examples: 'abc' is not a number; using 4096"),
        ({"examples": "999999"}, "Examples: 999999 is above the maximum"),
        ({"preset": "bogus"}, "Features: 'bogus' is not one of Power law (Zipf) / Two groups"),
        ({"extra": "lbfgs"}, "Also train: nothing in 'lbfgs' is one of RMSprop / Adam"),
        ({"flip": "0.9", "model": "logistic"}, "Share of labels flipped: 0.9 is above the maximum"),
        ({"sgd_lr": "nan"}, "SGD learning rate: 'nan' is not a finite number; using 0.05"),
    ],
)
def test_bad_links_get_a_note_never_an_exception(query, note):
    at = open_page(query)
    assert note in warnings(at)
    assert len(at.get("plotly_chart")) == 5


def test_extreme_settings_are_explained():
    # Every feature always on: no rare group; SGD with a huge rate diverges and is named.
    query = {"preset": "custom", **{f"p{i}": "1" for i in range(1, 6)}, "sgd_lr": "2"}
    at = open_page(query)
    assert any("no rare group" in i.value for i in at.info)
    assert any("SGD diverged" in e.value for e in at.error)


@pytest.mark.parametrize(
    "query",
    [
        {"model": "logistic"},
        {"preset": "two_groups", "batch": "1"},
        {"extra": "rmsprop,adam"},
        {"examples": "512", "batch": "256"},
        {"preset": "zipf", "features": "20", "zipf_s": "2"},
    ],
)
def test_other_settings_run(query):
    at = open_page(query)
    assert len(at.get("plotly_chart")) == 5


def test_sweep_can_be_switched_off():
    at = open_page()
    at.toggle(key="sweep").set_value(False).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 4
    assert at.query_params["sweep"] == "0"


def test_preset_controls_follow_the_preset():
    at = open_page()
    at.selectbox(key="preset").set_value("custom").run()
    assert not at.exception
    keys = {s.key for s in at.slider}
    assert {"p1", "p5"} <= keys and "features" not in keys


def test_locked_view_has_charts_and_text_but_no_controls():
    at = open_page({"lock": "1", "batch": "16"})
    assert not at.slider and not at.select_slider and not at.selectbox and not at.toggle
    assert len(at.get("plotly_chart")) == 5
    assert any("A batch of 16 averages" in m.value for m in at.markdown)


def test_downloads_sit_under_the_charts_in_normal_and_locked_view():
    for query in (None, {"lock": "1"}):
        at = open_page(query)
        labels = [b.proto.label for b in at.get("download_button")]
        assert labels == ["📄 Data (CSV)", "🌐 Charts (HTML)"]
        caption = next(c.value for c in at.caption if "Download plot as a PNG" in c.value)
        assert "CSV: 20,100 rows" in caption  # 201 record points x 100 features


@pytest.mark.parametrize(
    ("examples", "after"), [("4096", "chart_errors"), ("16384", "chart_frequency")]
)
def test_a_short_sweep_runs_between_charts_one_and_two(monkeypatch, examples, after):
    """Charts that reach the browser together are redrawn together: a short sweep runs right
    after chart ①, so that ① goes out (and is redrawn) alone; a long one after chart ③."""
    from adagrad_app import ui
    from adagrad_core import sparse

    order = []
    sweep, chart = sparse.batch_sweep, ui.plotly_chart
    monkeypatch.setattr(
        sparse, "batch_sweep", lambda *a, **kw: order.append("sweep") or sweep(*a, **kw)
    )
    monkeypatch.setattr(
        ui, "plotly_chart", lambda *a, **kw: order.append(kw["key"]) or chart(*a, **kw)
    )
    at = open_page({"examples": examples, "seed": "4322"})  # a seed no other test uses
    assert order == [
        "chart_errors",  # a fresh load's first view: chart ① alone; then the whole page
        "chart_errors",
        *(["sweep"] if after == "chart_errors" else []),
        "chart_rates",
        "chart_accumulator",
        "chart_frequency",
        *(["sweep"] if after == "chart_frequency" else []),
        "chart_sweep",
    ]
    assert not at.error


def test_the_sweep_reuses_the_pages_own_run(monkeypatch):
    """At B = 1 the sweep's B = 1 row is the page's run, not a second run over the examples."""
    from adagrad_core import sparse

    made = []
    simulate = sparse.simulate
    monkeypatch.setattr(sparse, "simulate", lambda *a, **kw: made.append(kw) or simulate(*a, **kw))
    at = open_page({"batch": "1", "seed": "4321"})  # a seed no other test uses: no cache hit
    both = [kw for kw in made if kw.get("optimizers") != ("sgd",)]  # not the tuned SGD alone
    assert sorted(kw["batch_size"] for kw in both) == [1, 4, 16, 64, 256]
    assert len(at.get("plotly_chart")) == 5 and not at.error


def test_with_no_rare_group_charts_four_and_five_say_why_they_are_not_drawn(monkeypatch):
    from adagrad_core import sparse

    monkeypatch.setattr(sparse, "batch_sweep", lambda *a, **kw: pytest.fail("swept for a note"))
    at = open_page({"preset": "custom", **{f"p{i}": "0.5" for i in range(1, 6)}})
    assert len(at.get("plotly_chart")) == 3  # ①, ② and ③
    notes = [i.value for i in at.info]
    assert len(notes) == 2 and all("no rare group" in n for n in notes)
    assert at.markdown[0].value.startswith("Here every feature is about equally frequent")
    text = " ".join(m.value for m in at.markdown)
    assert "rare one's seldom" not in text and "catch up" not in text
    assert not at.error


def test_every_widget_is_drawn_from_its_one_declaration():
    """Label, range and help of each sidebar widget come from sparse_view.SCHEMA: the link's
    notes and the widget cannot name a setting differently."""
    from adagrad_app.sparse_view import SCHEMA

    by_key = {p.key: p for p in SCHEMA}
    seen = set()
    for query in (
        {},
        {"preset": "zipf"},
        {"preset": "custom", "model": "logistic", "extra": "adam"},
    ):
        at = open_page(query)
        for kind in ("slider", "select_slider", "selectbox", "radio", "toggle", "multiselect",
                     "number_input"):  # fmt: skip
            for w in at.sidebar.get(kind):
                p = by_key[w.key]
                assert w.label == p.label, (w.key, w.label, p.label)
                if kind == "slider":
                    assert (w.min, w.max) == (p.lo, p.hi), w.key
                seen.add(w.key)
    assert seen == set(by_key)  # every setting has a widget in one of these views

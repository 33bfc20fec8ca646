"""Sparse features: why rare features get bigger steps, and what mini-batches do to that."""

import numpy as np
import streamlit as st

from adagrad_app import claims_sparse as C
from adagrad_app import exports, lesson_ui, ui
from adagrad_app import fig_sparse as F
from adagrad_app.params import Param
from adagrad_core import OPTIMIZERS, sparse

PAGE = "sparse-features"
PAGE_FILE = f"pages/{PAGE}.py"
PRESET_LABELS = {
    "zipf": "Power law (Zipf)",
    "two_groups": "Two groups: frequent and rare",
    "custom": "A handful, one slider each",
}
EXTRAS = ("rmsprop", "adam")
EXTRA_LABELS = {n: OPTIMIZERS[n].label for n in EXTRAS}
CUSTOM_DEFAULTS = (0.8, 0.3, 0.1, 0.03, 0.01)
SWEEP_SIZES = (1, 4, 16, 64, 256)
QUICK_SWEEP_EXAMPLES = 8192  # a sweep of up to this many examples takes about 0.2 s


SCHEMA = [
    Param(
        "preset",
        "two_groups",
        "choice",
        options=sparse.PRESETS,
        label="Features",
        option_labels=PRESET_LABELS,
    ),
    Param(
        "features",
        100,
        "int",
        sparse.MIN_ZIPF_FEATURES,
        sparse.MAX_FEATURES,
        label="Number of features",
    ),
    Param("zipf_s", 1.0, "float", 0.5, 2.0, label="Power-law exponent s"),
    Param("p_freq", 0.5, "float", 0.05, 1.0, label="p of frequent features"),
    Param("p_rare", 0.01, "float", 0.001, 0.2, label="p of rare features"),
    Param("rare_share", 0.5, "float", 0.1, 0.9, label="Share of rare features"),
    *[
        Param(f"p{i + 1}", p, "float", 0.001, 1.0, label=f"p of feature {i + 1}")
        for i, p in enumerate(CUSTOM_DEFAULTS)
    ],
    Param("model", "linear", "choice", options=sparse.MODELS, label="Model"),
    Param("noise", 0.5, "float", 0.0, 2.0, label="Label noise (standard deviation)"),
    Param("flip", 0.0, "float", 0.0, 0.5, label="Share of labels flipped"),
    Param("examples", 4096, "int", 512, sparse.MAX_EXAMPLES, label="Examples"),
    Param("batch", 1, "int", 1, 256, label="Batch size B"),
    Param("sgd_lr", 0.05, "float", 0.001, 2.0, label="SGD learning rate"),
    Param("adagrad_lr", 0.5, "float", 0.001, 5.0, label="Adagrad learning rate"),
    Param("extra", [], "multi", options=EXTRAS, label="Also train", option_labels=EXTRA_LABELS),
    Param("extra_lr", 0.05, "float", 0.001, 1.0, label="RMSprop / Adam learning rate"),
    Param("seed", 0, "int", 0, 9999, label="Random seed"),
    Param("sweep", True, "bool", label="Batch-size sweep"),
]


# The caches are keyed by the example stream's settings, ``data_key`` = (probs as bytes,
# examples, model, noise, seed), and what each computes from the stream.


@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False)
def cached_data(data_key: tuple):
    # The example stream (up to 20 MB of booleans): shared, read-only, never copied.
    probs, examples, model, noise, seed = data_key
    p = np.frombuffer(probs)
    return sparse.make_data(p, n_examples=examples, model=model, noise=noise, seed=seed)


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_run(data_key: tuple, batch: int, hparams: tuple):
    hp = {name: dict(kw) for name, kw in hparams}
    return sparse.simulate(
        cached_data(data_key), batch_size=batch, optimizers=tuple(hp), hparams=hp
    )


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_sweep(data_key: tuple, sizes: tuple, hparams: tuple, _run: sparse.SparseRun):
    """The sweep; the page's own run (not part of the cache key) stands for its batch size."""
    hp = {name: dict(kw) for name, kw in hparams}
    return sparse.batch_sweep(cached_data(data_key), batch_sizes=sizes, hparams=hp, runs=(_run,))


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_rates(data_key: tuple, batch: int, sgd_lr: float) -> sparse.RateSweep:
    """Plain SGD at every rate of the grid, the page's rate and that rate × B."""
    lrs = sorted({*sparse.SGD_RATES, sgd_lr, sgd_lr * batch})
    return sparse.sgd_rate_sweep(cached_data(data_key), batch_size=batch, lrs=lrs)


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_run_figures(data_key: tuple, batch: int, hparams: tuple) -> tuple:
    """Charts ① to ④ of a run (with SGD at every rate), built once per settings."""
    run = cached_run(data_key, batch, hparams)
    rates = cached_rates(data_key, batch, run.hparams["sgd"]["lr"])
    summary = sparse.summarize(run)
    return (
        rates,
        F.error_figure(run, rates),
        F.rate_figure(rates, summary["adagrad"], run.hparams["sgd"]["lr"]),
        F.accumulator_figure(run),
        F.frequency_figure(run),
    )


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_sweep_figure(
    data_key: tuple, sizes: tuple, hparams: tuple, batch: int, _sweep: sparse.BatchSweep
):
    """Chart ⑤, built once per settings (read-only, shared); ``_sweep`` is those settings'."""
    return F.sweep_figure(_sweep, batch)


def controls() -> None:
    """The sidebar; every widget's key is its URL name, values come from session_state."""
    with st.sidebar:
        st.header("Data")
        st.selectbox("Features", sparse.PRESETS, format_func=PRESET_LABELS.get, key="preset")
        preset = st.session_state["preset"]
        hidden = {"persist_state": "page"}  # keep a value while its preset is not shown
        if preset != "custom":
            st.slider(
                "Number of features",
                sparse.MIN_ZIPF_FEATURES,
                sparse.MAX_FEATURES,
                step=10,
                key="features",
                **hidden,
            )
        if preset == "zipf":
            st.slider(
                "Power-law exponent s (p ∝ 1/rank^s, most frequent p = 0.5)",
                0.5,
                2.0,
                step=0.1,
                key="zipf_s",
                **hidden,
            )
        elif preset == "two_groups":
            st.slider("p of frequent features", 0.05, 1.0, step=0.05, key="p_freq", **hidden)
            st.slider(
                "p of rare features", 0.001, 0.2, step=0.001, format="%.3f", key="p_rare", **hidden
            )
            st.slider("Share of rare features", 0.1, 0.9, step=0.05, key="rare_share", **hidden)
        else:
            for i in range(len(CUSTOM_DEFAULTS)):
                st.slider(
                    f"p of feature {i + 1}",
                    0.001,
                    1.0,
                    step=0.001,
                    format="%.3f",
                    key=f"p{i + 1}",
                    **hidden,
                )
        st.radio("Model", sparse.MODELS, key="model", horizontal=True)
        if st.session_state["model"] == "linear":
            st.slider("Label noise (standard deviation)", 0.0, 2.0, step=0.1, key="noise", **hidden)
        else:
            st.slider("Share of labels flipped", 0.0, 0.5, step=0.01, key="flip", **hidden)
        st.slider("Examples", 512, sparse.MAX_EXAMPLES, step=512, key="examples")
        st.number_input("Random seed", 0, 9999, step=1, key="seed")
        st.header("Training")
        st.select_slider("Batch size B", sparse.SWEEP_BATCHES, key="batch")
        st.slider("SGD learning rate", 0.001, 2.0, step=0.001, format="%.3f", key="sgd_lr")
        st.slider("Adagrad learning rate", 0.001, 5.0, step=0.001, format="%.3f", key="adagrad_lr")
        st.multiselect("Also train", EXTRAS, format_func=EXTRA_LABELS.get, key="extra")
        if st.session_state["extra"]:
            st.slider(
                "RMSprop / Adam learning rate",
                0.001,
                1.0,
                step=0.001,
                format="%.3f",
                key="extra_lr",
                **hidden,
            )
        st.toggle("Batch-size sweep (chart ⑤)", key="sweep")
    S.widgets_drawn()  # after a server restart: rerun with the browser's values


def problem(v: dict) -> bytes:
    """Occurrence probabilities of the chosen preset, as bytes: a cache key that is quick to
    hash (a tuple of 1000 floats costs the caches ~10 ms per call)."""
    if v["preset"] == "zipf":
        p = sparse.feature_probs("zipf", n_features=v["features"], exponent=v["zipf_s"])
    elif v["preset"] == "two_groups":
        p = sparse.feature_probs(
            "two_groups",
            n_features=v["features"],
            p_frequent=v["p_freq"],
            p_rare=v["p_rare"],
            rare_share=v["rare_share"],
        )
    else:
        p = sparse.feature_probs(
            "custom", probs=[v[f"p{i + 1}"] for i in range(len(CUSTOM_DEFAULTS))]
        )
    return p.tobytes()


st.title("🧮 Sparse features")
S = ui.Settings(SCHEMA, PAGE)
# A value a slider cannot show (e.g. a typed link ?batch=5): use the nearest it can.
if (old := st.session_state["batch"]) not in sparse.SWEEP_BATCHES:
    new = min(sparse.SWEEP_BATCHES, key=lambda b: abs(b - old))
    S.adjust(f"Batch size {old} is not on the slider; using {new}.", batch=new)
v = S.sync()

probs = problem(v)
noise = v["noise"] if v["model"] == "linear" else v["flip"]
hparams = (("sgd", (("lr", v["sgd_lr"]),)), ("adagrad", (("lr", v["adagrad_lr"]),)))
hparams += tuple((name, (("lr", v["extra_lr"]),)) for name in EXTRAS if name in v["extra"])
data_key = (probs, v["examples"], v["model"], noise, v["seed"])

with st.spinner("Training…"):
    run = cached_run(data_key, v["batch"], hparams)
    rates, error_fig, rate_fig, accumulator_fig, frequency_fig = cached_run_figures(
        data_key, v["batch"], hparams
    )

sizes = tuple(sorted({*SWEEP_SIZES, v["batch"]}))
no_rare = C.no_rare_note(run)  # charts ④ and ⑤ compare rare and frequent features


def batch_sweep() -> sparse.BatchSweep | None:
    if not v["sweep"] or no_rare:  # with no rare group chart ⑤ is a note: nothing to sweep
        return None
    with st.spinner("Sweeping batch sizes…"):
        return cached_sweep(data_key, sizes, hparams[:2], run)


lesson = lesson_ui.active(PAGE_FILE)
if lesson is not None and not lesson_ui.ask(lesson):
    # Before the answer: the model and the settings, nothing of the run that gives it away.
    st.markdown(C.model_text(run, noise if v["model"] == "logistic" else 0.0))
    S.show_notes()
    if not S.locked:
        controls()
    st.stop()
if lesson is not None:
    evidence = (run, rates, batch_sweep() if lesson.key == "minibatch" else None)
    lesson_ui.result(
        lesson, C.lesson_key(lesson.key, *evidence), C.lesson_why(lesson.key, *evidence)
    )


st.markdown(C.takeaway(run, rates))
st.markdown(C.model_text(run, noise if v["model"] == "logistic" else 0.0))
S.show_notes()
for message in C.diverged_messages(run, rates):
    st.error(message, icon="💥")
if run.steps * run.batch_size < v["examples"]:
    st.info(
        f"{v['examples'] - run.steps * run.batch_size} examples do not fill a last batch of "
        f"{run.batch_size} and are left out.",
        icon="ℹ️",
    )

# (heading, figure, caption) of each chart: drawn here, and saved together as one HTML file.
sections = []


def texts(*paragraphs: str | None) -> None:
    for text in paragraphs:
        if text:
            st.markdown(text)


def chart(heading: str, name: str, spec: dict, caption: str, *, intro=(), table=None) -> None:
    """Heading, the idea in a sentence or two, the chart, its figures in a small table, and a
    caption that says where to look."""
    st.subheader(heading)
    texts(*intro)
    ui.plotly_chart(spec, config=ui.png_config(f"sparse-{name}"), key=f"chart_{name}")
    if table:
        st.dataframe(table, hide_index=True, width="content")
    st.caption(caption)
    sections.append((heading, spec, caption))


chart(
    C.error_heading(run, rates),
    "errors",
    error_fig,
    C.error_caption(run, F.baseline_drawn(run, rates)),
    intro=[C.q1_setup(run)],
    table=C.error_table(run, rates),
)
ui.stop_if_first_view(PAGE)  # on a fresh load, the rest once the browser has drawn chart ①
if not S.locked:
    controls()  # after chart ①: a rerun sends elements in the order they are drawn
# Charts that reach the browser together are redrawn together: a short sweep runs here, so
# that chart ① is redrawn alone (in half the time) while the server sweeps; a long one waits
# until the later charts are out.
quick_sweep = v["examples"] <= QUICK_SWEEP_EXAMPLES
sweep = batch_sweep() if quick_sweep else None
chart(
    "② SGD at every rate, on the same examples",
    "rates",
    rate_fig,
    C.rate_caption(rates),
    intro=[C.q1_bind(run, rates)],
)
texts(C.q1_batch(run, rates), C.q1_verdict(run, rates))
chart(
    "③ Where frequency hides: G grows only when the feature is present",
    "accumulator",
    accumulator_fig,
    C.accumulator_caption(run),
    intro=[*C.Q2_BRIDGE, C.q2_run(run)],
    table=C.accumulator_table(run),
)
if no_rare:
    st.subheader("④ At the end: G against the count, and the rate against frequency")
    st.info(no_rare, icon="ℹ️")
else:
    chart(C.frequency_heading(run), "frequency", frequency_fig, C.frequency_caption(run))
if not quick_sweep:
    sweep = batch_sweep()
heading = "⑤ Mini-batches: how often, and how much, a weight moves"
if v["sweep"] and no_rare:
    st.subheader(heading)
    st.info(no_rare, icon="ℹ️")
elif sweep is None:
    st.subheader(heading)
    texts(*C.q3_texts(run, None))
    if S.locked:
        st.info("The batch-size sweep is switched off in this link.", icon="ℹ️")
    else:
        st.info("Switch on the batch-size sweep in the sidebar to see this chart.", icon="👈")
else:
    for message in C.sweep_messages(sweep):
        st.warning(message, icon="💥")
    sweep_fig = cached_sweep_figure(data_key, sizes, hparams[:2], v["batch"], sweep)
    chart(
        heading,
        "sweep",
        sweep_fig,
        C.sweep_caption(sweep),
        intro=C.q3_texts(run, sweep),
        table=C.sweep_table(sweep),
    )


def export_area() -> None:
    """Downloads of this run: one compact row under the charts. Kept in the locked view too:
    they change nothing on the page (files are built only when clicked)."""
    title = f"Sparse features: {PRESET_LABELS[v['preset']]}, batch size B = {run.batch_size}"
    cols = st.columns([1, 1, 3], vertical_alignment="center")
    cols[0].download_button(
        "📄 Data (CSV)",
        data=lambda: exports.sparse_csv(run),
        file_name="sparse-features.csv",
        mime="text/csv",
        on_click="ignore",
    )
    cols[1].download_button(
        "🌐 Charts (HTML)",
        data=lambda: exports.figures_html(title, sections, ui.CHART),
        file_name="sparse-features.html",
        mime="text/html",
        on_click="ignore",
    )
    rows = len(exports.record_rows(len(run.record_steps), run.probs.size)) * run.probs.size
    cols[2].caption(
        f"CSV: {rows:,} rows, one per record point × feature (weights, effective rates, G). "
        "📷 PNG: hover over a chart and click its camera icon (Download plot as a PNG)."
    )


st.divider()
export_area()

S.share_box()

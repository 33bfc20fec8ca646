"""Sparse features: why rare features get bigger steps, and what mini-batches do to that.

Wiring only: settings (adagrad_app.sparse_view) -> cached runs -> figures (fig_sparse) and the
sentences that the runs bear out (claims_sparse) -> the page.
"""

import streamlit as st

import adagrad_app.preload  # noqa: F401 (first: every module of the app, once)
from adagrad_app import claims_frequency as Q
from adagrad_app import claims_sparse as C
from adagrad_app import exports, lesson_ui, ui
from adagrad_app import fig_sparse as F
from adagrad_app import sparse_view as V

st.title("🧮 Sparse features")
S = ui.Settings(V.SCHEMA, V.PAGE)
v = S.sync()
data_key, hparams = V.keys(v)
noise = v["flip"] if v["model"] == "logistic" else 0.0  # (label noise: no caveat needed)

with st.spinner("Training…"):
    run = V.cached_run(data_key, v["batch"], hparams)
    rates, error_fig, rate_fig, accumulator_fig, frequency_fig = V.cached_run_figures(
        data_key, v["batch"], hparams
    )
no_rare = C.no_rare_note(run)  # charts ④ and ⑤ compare rare and frequent features


def controls() -> None:
    """The sidebar, drawn from the settings' declarations."""
    if not S.locked:
        with st.sidebar:
            ui.widgets(V.SCHEMA, v)
        S.widgets_drawn()  # after a server restart: rerun with the browser's values


def batch_sweep():
    if not v["sweep"] or no_rare:  # with no rare group chart ⑤ is a note: nothing to sweep
        return None
    with st.spinner("Sweeping batch sizes…"):
        return V.cached_sweep(data_key, V.sweep_sizes(v["batch"]), hparams[:2], run)


lesson = lesson_ui.active(f"pages/{V.PAGE}.py")
if lesson is not None and not lesson_ui.ask(lesson):
    # Before the answer: the model and the settings, nothing of the run that gives it away.
    st.markdown(C.model_text(run, noise))
    S.show_notes()
    controls()
    ui.drawn_whole(V.PAGE)  # after the answer, the whole page comes in one run
    st.stop()
if lesson is not None:
    evidence = (run, rates, batch_sweep() if lesson.key == "minibatch" else None)
    lesson_ui.result(
        lesson, Q.lesson_key(lesson.key, *evidence), Q.lesson_why(lesson.key, *evidence)
    )

st.markdown(C.takeaway(run, rates))
st.markdown(C.model_text(run, noise))
S.show_notes()
for message in C.diverged_messages(run, rates):
    st.error(message, icon="💥")
if note := C.leftover_note(run, v["examples"]):
    st.info(note, icon="ℹ️")

sections = []  # (heading, figure, caption) of each chart: also saved together as one HTML file


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
ui.stop_if_first_view(V.PAGE)  # on a fresh load, the rest once the browser has drawn chart ①
controls()  # after chart ①: a rerun sends elements in the order they are drawn
# Charts that reach the browser together are redrawn together: a short sweep runs here, so
# that chart ① is redrawn alone (in half the time) while the server sweeps; a long one waits
# until the later charts are out.
quick_sweep = v["examples"] <= V.QUICK_SWEEP_EXAMPLES
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
    Q.accumulator_caption(run),
    intro=[*Q.Q2_BRIDGE, Q.q2_run(run)],
    table=Q.accumulator_table(run),
)
if no_rare:
    st.subheader("④ At the end: G against the count, and the rate against frequency")
    st.info(no_rare, icon="ℹ️")
else:
    chart(Q.frequency_heading(run), "frequency", frequency_fig, Q.frequency_caption(run))
if not quick_sweep:
    sweep = batch_sweep()
heading = "⑤ Mini-batches: how often, and how much, a weight moves"
if sweep is None:
    st.subheader(heading)
    texts(*Q.q3_texts(run, None))
    st.info(Q.sweep_off_note(run, v["sweep"], S.locked), icon="ℹ️")
else:
    for message in Q.sweep_messages(sweep):
        st.warning(message, icon="💥")
    sizes = V.sweep_sizes(v["batch"])
    sweep_fig = V.cached_sweep_figure(data_key, sizes, hparams[:2], v["batch"], sweep)
    chart(
        heading,
        "sweep",
        sweep_fig,
        Q.sweep_caption(sweep),
        intro=Q.q3_texts(run, sweep),
        table=Q.sweep_table(sweep),
    )

st.divider()
# Downloads of this run, kept in the locked view too (files are built only when clicked).
title = f"Sparse features: {V.PRESET_LABELS[v['preset']]}, batch size B = {run.batch_size}"
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
cols[2].caption(
    C.downloads_caption(run, exports.record_rows(len(run.record_steps), run.probs.size))
)
S.share_box()

"""Trajectories: optimizers racing on a 2-D loss surface, animated in the browser.

Wiring only: settings (trajectories_settings) and cached runs and figures (trajectories_view) ->
the sentences the runs bear out (claims_trajectories, claims_paths, claims_lessons_trajectories)
-> the page.
"""

import streamlit as st

import adagrad_app.preload  # noqa: F401 (first: every module of the app, once)
from adagrad_app import claims_lessons_trajectories as L
from adagrad_app import claims_paths as P
from adagrad_app import claims_trajectories as C
from adagrad_app import fig_common, instant, lesson_ui, ui
from adagrad_app import trajectories_view as V
from adagrad_app.trajectories_settings import CUSTOM, knobs_of, lr_key, schema_for

st.title("🏔️ Trajectories")
opening = st.container()  # the takeaway: filled once the run is known
how = st.container()  # how to read the chart: filled once it is known whether it has paths

S = ui.Settings(schema_for(V.current_surface(), V.current_box()), V.PAGE)
# A refused f(x, y) is named, and the page draws the default surface; every setting stays.
skey, refused = V.surface_key()
surface = V.surface_of(skey)
V.adjust_to_surface(S, surface, refused)

S.show_notes()
taught = lesson_ui.active(V.PAGE_FILE)  # the lesson in the link (?lesson=KEY), or None
lesson_box = st.container()  # its question now, its verdict once the run is known
with lesson_box:
    asking = taught is not None and not lesson_ui.ask(taught)
how.caption(L.question_caption() if asking else C.instructions())
if refused:
    st.error(V.refused_message(refused), icon="🚫")


def on_chart_click() -> None:
    points = st.session_state["chart"].selection.points
    if points:
        S.set(x0=round(float(points[0]["x"]), 2), y0=round(float(points[0]["y"]), 2))


v = S.sync()
keys = tuple(v["opts"])
lrs = tuple((k, v[lr_key(k)]) for k in keys)
knobs = knobs_of(v)
x0 = (v["x0"], v["y0"])
if refused:  # the fallback surface's plot: clamp the start for this run only
    x0 = V.onto_plot(x0, surface)
st.markdown(C.surface_intro(surface, custom=skey[0] == CUSTOM))
run_key = (skey, keys, lrs, knobs, x0, v["steps"])

if not keys:
    opening.markdown(C.DEFINITION)
    st.info("Choose at least one optimizer in the sidebar.", icon="👈")
    S.share_box()
    V.controls(S)
    st.stop()

try:
    runs = V.cached_race(*run_key)
    fig = V.cached_main_figure(*run_key)
    script = V.pytorch_script(*run_key)
except ValueError as err:  # e.g. Nesterov with momentum 0: the core names the setting
    opening.markdown(C.DEFINITION)
    st.error(V.run_error(err, keys, v["momentum"]), icon="🚫")
    S.share_box()
    V.controls(S)
    st.stop()

sweep, tuned = V.best_sgd(*run_key)
start_defined = C.start_defined(runs)
goal = fig_common.goal(surface)
if asking:
    # Before the answer: the settings and the surface, nothing of the run that gives it away
    # (no path, no table, no claim, no divergence message).
    opening.markdown(C.DEFINITION)
    ui.plotly_chart(
        V.cached_surface_figure(skey, x0),
        key="chart",
        on_select="ignore" if S.locked else on_chart_click,
        selection_mode="points",
        config={**ui.png_config("surface"), "scrollZoom": False},
    )
    ui.stop_if_first_view(V.PAGE)
    V.controls(S)
    st.stop()
if taught is not None:
    rotation = None
    if taught.key == "rotation":
        rotation = tuple(pair for _, pair in V.cached_rotation_lesson()[0])
    with lesson_box:
        lesson_ui.result(
            taught,
            L.lesson_key(taught.key, runs, sweep, rotation),
            L.lesson_why(taught.key, runs, sweep, rotation, goal=goal),
        )
if not start_defined:  # a typed f, off its domain
    opening.markdown(C.DEFINITION)
    st.error(C.undefined_start(x0), icon="🚫")
else:
    opening.markdown(C.takeaway(runs, sweep, goal=goal))
    for message in C.divergence_messages(runs):
        st.error(message, icon="💥")

ui.plotly_chart(
    fig,
    key="chart",
    on_select="ignore" if S.locked else on_chart_click,
    selection_mode="points",
    config={**ui.png_config("trajectories"), "scrollZoom": False},
)
# no race to tell when f is undefined at the start
race_text = (C.race_caption(runs, goal=goal) or "") if start_defined else ""
if race_text:
    st.markdown(race_text)
    V.table(C.race_rows(runs, tuned, goal=goal))
if start_defined and (text := C.sweep_caption(runs, sweep)):
    st.markdown(text)
if text := P.minima_caption(surface, runs):
    st.markdown(text)
if text := P.twin_caption(runs, surface.bounds):
    st.caption(text)
if text := P.step_ratio_caption(runs):
    st.caption(text)
    V.table(P.step1_rows(runs))
ui.stop_if_first_view(V.PAGE)  # on a fresh load, the rest once the browser has drawn the chart
V.controls(S)
if not S.locked:  # the paths one slider step away, redrawn in the browser as a slider moves
    instant.mount(V.cached_previews(*run_key))
S.share_box()  # below the chart: its code boxes load a highlighter the chart need not wait for
V.export_area(
    surface, runs, fig, race_text, script, lambda: V.torch_caption(keys, lrs, knobs, v["steps"])
)

loss_fig, eff_lr_fig, acc_fig = V.cached_linked_figures(*run_key)
if all(r.last < 1 for r in runs.values()):  # every racer stopped before its first step
    st.info(C.NO_STEP, icon="ℹ️")
cols = st.columns(3)
with cols[0]:
    ui.plotly_chart(loss_fig, config=ui.png_config("trajectories-gap"))
with cols[1]:
    ui.plotly_chart(eff_lr_fig, config=ui.png_config("trajectories-eff-lr"))
    if text := P.eff_lr_caption(runs):
        st.caption(text)
with cols[2]:
    ui.plotly_chart(acc_fig, config=ui.png_config("trajectories-accumulator"))
    if text := P.accumulator_caption(runs):
        st.caption(text)
        V.table(P.accumulator_rows(runs))

V.surface_3d(S, surface, runs)

if "adagrad" in keys:
    st.subheader("⚠️ Adagrad's weakness: it never forgets")
    st.markdown(P.WEAKNESS)
    link = not S.locked and not (skey[0] == V.FORGETS["surface"] and "rmsprop" in keys)
    if text := P.weakness_caption(runs, link=link):
        st.markdown(text)
        V.table(P.weakness_rows(runs, goal))
    if link:
        st.page_link(
            "pages/trajectories.py",
            label="See it on the Rosenbrock valley, Adagrad against RMSprop",
            icon="🐌",
            query_params=V.FORGETS,
        )

st.subheader("🔄 Rotation: where diagonal Adagrad loses its edge")
lesson, rotation_fig = V.cached_rotation_lesson()
ui.plotly_chart(rotation_fig, config=ui.png_config("rotation"))
V.table(L.rotation_rows(lesson[0][1], lesson[1][1]))
st.caption(L.rotation_caption(lesson[0][1], lesson[1][1]))

"""Instant paths: a slider move redraws a chart's lines in the browser, before the round trip.

On /trajectories, the main chart's paths:

A racer's path depends only on its own settings, so the paths one slider step away can be
computed with the run and sent with it: each racer's path at the learning rates one grid step
either side of its own, and every path run :data:`STEPS_AHEAD` steps further than the Steps
slider (the shorter runs are its prefixes). A small component in the page (components v2, no
iframe) watches the sidebar's sliders; when one of them moves to a value whose paths it holds,
it redraws those paths' SVG lines in the drawn chart at once. The round trip follows
as before and redraws the whole chart, the moving heads, the tables and every sentence for the
value drawn; until then only the faint paths have changed.

On /formula, the step marked on the path (:func:`segment_payload`): the Step t slider moves it
along the path the chart holds at once; the formulas and the terms chart follow on the round
trip.

The payload is built from the same runs and the same :func:`fig_trajectories.path_xy` as the
chart, so a preview is the path that the round trip then draws (tests/test_instant.py).
"""

from __future__ import annotations

import streamlit as st

from adagrad_app import fig_trajectories as F
from adagrad_app.fig_common import MAX_LINE_POINTS
from adagrad_app.trajectories_settings import LR_GRID, lr_key
from adagrad_core import racers

STEPS_AHEAD = 20  # two Steps-slider steps (of 10): two quick key presses stay instant
STEPS_KEY = "steps"  # the Steps slider's key, as in the page's schema
CHART_KEY = "chart"  # the main chart's key


def lr_neighbours(lr: float) -> tuple[int, dict[int, float]]:
    """The slider position of ``lr``, and the learning rates one grid step either side of it
    by their positions."""
    i = LR_GRID.index(racers.snap(lr, LR_GRID))
    return i, {j: LR_GRID[j] for j in (i - 1, i + 1) if 0 <= j < len(LR_GRID)}


def payload(surface, runs: dict, lrs: tuple, knobs: tuple, x0: tuple, steps: int) -> dict:
    """What the browser needs to redraw the paths of ``runs`` (the page's race, of ``steps``
    steps) one slider step away, keyed as the page's widgets are: ``{"chart": key, "here":
    {widget key: slider position}, "lr": {widget key: {slider position: {trace: [x, y]}}},
    "steps": {"key": key, "value": steps, "ahead": n, "paths": {trace: [x, y]}}}``. A slider
    moved back to ``here`` gets the path the chart drew. ``steps`` is None when the longer
    paths would be thinned for drawing, so that their prefixes would not be exact."""
    lr_of, knob_of = dict(lrs), dict(knobs)
    out: dict = {"chart": CHART_KEY, "here": {}, "lr": {}, "steps": None, "segment": None}
    for key in runs:
        here, near = lr_neighbours(lr_of[key])
        out["here"][lr_key(key)] = here
        out["lr"][lr_key(key)] = {
            str(position): {F.path_name(run): F.path_xy(run)}
            for position, lr in near.items()
            for run in [racers.race(surface, (key,), {key: lr}, knob_of, x0, steps)[key]]
        }
    longer = steps + STEPS_AHEAD
    if longer + 1 <= MAX_LINE_POINTS:
        ahead = racers.race(surface, tuple(runs), lr_of, knob_of, x0, longer)
        paths = {F.path_name(r): F.path_xy(r) for r in ahead.values()}
        out["steps"] = {"key": STEPS_KEY, "value": steps, "ahead": STEPS_AHEAD, "paths": paths}
    return out


def segment_payload(chart: str, key: str, path, prefix: str) -> dict:
    """For the slider ``key`` over a path's steps: the path (``(steps + 1, 2)``), so that the
    trace of chart ``chart`` whose name starts with ``prefix`` (the step marked: two points)
    is moved to step t, from point t - 1 to point t, as the slider moves to t."""
    xy = {"x": path[:, 0].tolist(), "y": path[:, 1].tolist()}
    segment = {"key": key, "prefix": prefix, **xy}
    return {"chart": chart, "here": {}, "lr": {}, "steps": None, "segment": segment}


# Runs in the page. A slider is a native range input whose value is its position (the grid
# index of a select_slider, the value of a slider). The paths are swapped on the key press
# itself (the slider shows its own new value 0.1-0.2 s later, so a second quick press counts
# from the first), and on any other change of the input's value (a drag, a tap) as it shows.
# Anything it cannot find (no chart yet, no such trace, a value it holds no paths for) it
# leaves to the round trip.
_JS = """
export default function ({ data }) {
  const g = (window.__instantPaths ||= {});
  g.data = data;
  g.shown = {};  // per slider: the value whose paths are drawn
  g.at = {};  // per slider: its value after the last key press, before it shows it
  if (!g.installed) {
    g.installed = true;
    install(g);
  }
  // Unmounted (another page, a view without the run): nothing is left to swap.
  return () => { if (g.data === data) g.data = null; };
}

function install(g) {
  const STEP = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 };
  const keyOf = (el) => {
    const box = el.closest('[class*="st-key-"]');
    const cls = box && [...box.classList].find((c) => c.startsWith("st-key-"));
    return cls ? cls.slice(7) : null;
  };
  // The chart's axes and its traces' drawn lines with their names (null: no chart drawn yet).
  const drawn = () => {
    const gd = document.querySelector(`.st-key-${g.data.chart} .js-plotly-plot`);
    const xa = gd && gd._fullLayout && gd._fullLayout.xaxis, ya = xa && gd._fullLayout.yaxis;
    if (!xa || !ya) return null;
    const traces = [...gd.querySelectorAll(".scatterlayer .trace")].map((group) => {
      const cd = group.__data__, name = cd && cd[0] && cd[0].trace && cd[0].trace.name;
      return { group, name, line: group.querySelector("path.js-line") };
    });
    return { xa, ya, traces: traces.filter((t) => t.line) };
  };
  // Redraws only the paths' SVG lines, in the chart's own pixel mapping (a Plotly.restyle
  // recomputes every trace, the chart's click grid included: 60-75 ms against about 1 ms).
  // A line keeps the path the chart drew (drawn) until the chart draws it again.
  const swap = (paths, back) => {
    const chart = drawn();
    if (!chart) return;
    for (const { name, line } of chart.traces) {
      if (!(back ? back.includes(name) : name in paths)) continue;
      const now = line.getAttribute("d");
      if (line.__instantSet !== now) line.__instantDrawn = now;  // the chart drew it since
      let d = line.__instantDrawn;
      if (!back) {
        const [x, y] = paths[name], { xa, ya } = chart;
        const pts = x.map((v, i) => `${xa.c2p(v).toFixed(2)},${ya.c2p(y[i]).toFixed(2)}`);
        d = pts.length ? `M${pts.join("L")}` : "";
      }
      line.setAttribute("d", d);
      line.__instantSet = line.getAttribute("d");
    }
  };
  // Moves the step marked (a two-point trace) to step v of the path: its line and its points.
  const segment = (seg, v) => {
    const chart = drawn();
    if (!chart || !(v >= 1 && v < seg.x.length)) return;
    const px = [v - 1, v].map((i) => [chart.xa.c2p(seg.x[i]), chart.ya.c2p(seg.y[i])]);
    for (const { group, name, line } of chart.traces) {
      if (!String(name).startsWith(seg.prefix)) continue;
      line.setAttribute("d", `M${px.map((p) => p.map((c) => c.toFixed(2)).join(",")).join("L")}`);
      group.querySelectorAll("path.point").forEach((point, i) => {
        if (px[i]) point.setAttribute("transform", `translate(${px[i][0]},${px[i][1]})`);
      });
    }
  };
  const show = (input, value) => {
    const key = keyOf(input), d = g.data;
    if (!key || !d || g.shown[key] === value) return;
    if (d.segment && key === d.segment.key) {
      g.shown[key] = value;
      segment(d.segment, value);
      return;
    }
    if (d.lr[key] && value === d.here[key]) {  // back where the chart's own run is
      g.shown[key] = value;
      swap(null, Object.keys(Object.values(d.lr[key])[0] || {}));
    } else if (d.lr[key] && d.lr[key][String(value)]) {
      g.shown[key] = value;
      swap(d.lr[key][String(value)]);
    } else if (d.steps && key === d.steps.key && value <= d.steps.value + d.steps.ahead) {
      g.shown[key] = value;
      const cut = {};
      for (const [name, [x, y]] of Object.entries(d.steps.paths)) {
        cut[name] = [x.slice(0, value + 1), y.slice(0, value + 1)];
      }
      swap(cut);
    }
  };
  document.addEventListener("keydown", (e) => {
    const input = e.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "range" || !(e.key in STEP)) return;
    const step = Number(input.step) || 1, lo = Number(input.min), hi = Number(input.max);
    const key = keyOf(input), from = key in g.at ? g.at[key] : Number(input.value);
    g.at[key] = Math.min(hi, Math.max(lo, from + STEP[e.key] * step));
    show(input, g.at[key]);
  }, true);
  new MutationObserver((records) => {
    for (const r of records) {
      const input = r.target;
      if (input instanceof HTMLInputElement && input.type === "range") {
        g.at[keyOf(input)] = Number(input.value);
        show(input, Number(input.value));
      }
    }
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["value"] });
}
"""
_component = st.components.v2.component("instant_paths", js=_JS)
COMPONENT_KEY = "_instant_paths"


def mount(data: dict) -> None:
    """Send this run's previews (:func:`payload`, :func:`segment_payload`) to the page's
    observer (in the sidebar: no gap in the page)."""
    with st.sidebar:
        _component(data=data, key=COMPONENT_KEY)

"""The thin streamlit layer every page uses: settings seeded from the URL and written back.

Usage in a page::

    S = ui.Settings(SCHEMA)              # seeds st.session_state from the URL, once per key
    if not S.locked:
        st.slider("Steps", 10, 500, key="steps")   # the key is the URL name; no value=
    v = S.sync()                         # current values; the URL now reproduces this view
    ui.plotly_chart(main_figure)         # the page's main chart, then:
    ui.stop_if_first_view(PAGE)          # on a fresh load, the rest once the chart is drawn
    S.share_box()                        # a copyable link (and its locked twin)
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

import plotly.graph_objects as go
import streamlit as st

from .params import Param, encode, parse
from .scenarios import BY_KEY


class PlainFigure(go.Figure):
    """A figure built as the plain dict plotly.js reads, sent exactly as built.

    The figure builders return plain dicts: building plotly's graph objects validates every
    property of every trace and frame, ~0.1 s for the trajectories chart's 150 frames, against
    ~5 ms for the dict. ``st.plotly_chart`` validates a dict it is given the same slow way, but
    takes a ``go.Figure`` as already valid and asks it for ``to_dict()``, as does everything in
    plotly.io that saves a figure: this one answers with its dict, untouched. (The tests build
    ``go.Figure(spec)`` from every builder's dict, so plotly's validation still checks them.)
    """

    def __init__(self, spec: dict):
        super().__init__(layout={"template": {}})  # an empty one: not a copy of the default
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def md_escape(text: str) -> str:
    """``text`` shown literally in markdown: each character markdown or KaTeX reads, escaped."""
    return "".join("\\" + c if c in "\\`*_[]<>#|~$" else c for c in text)


CHART = {"displaylogo": False}  # every chart's config (also for the offline HTML export)


def png_config(name: str) -> dict:
    """Chart config whose modebar camera downloads a PNG named after the chart (2x scale)."""
    return {**CHART, "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}}


def plotly_chart(spec: dict, **kwargs):
    """``st.plotly_chart`` for a figure builder's plain dict (see :class:`PlainFigure`)."""
    return st.plotly_chart(PlainFigure(spec), **kwargs)


def ensure_router() -> None:
    """Hand a page run to app.py's router if Streamlit skipped it.

    On a freshly started server, Streamlit decides once whether the app is a legacy multipage
    app by whether a ``pages/`` folder exists; until the router has called ``st.navigation``
    a deep link such as ``/formula`` runs the page file alone, with the legacy menu of file
    names. Clearing that decision and rerunning lets app.py route the same URL.
    """
    try:  # private API (tested with the pinned streamlit range in requirements.txt)
        from streamlit.runtime.pages_manager import PagesManager

        legacy = bool(PagesManager.uses_pages_directory)
    except (ImportError, AttributeError):  # moved: a first deep link may show the legacy menu
        return
    if legacy:
        PagesManager.uses_pages_directory = False
        st.rerun()


_RERUN_KEY = "_rerun_with_browser_values"


def _seed(values: dict) -> None:
    """Put settings read from the URL into ``st.session_state``, under the browser's values.

    A new session's first run seeds its settings from the URL. But after a server restart the
    browser reconnects to a new session still showing its widgets, and sends their values with
    that first run: one may be a slider the student has just moved. A value set in
    ``st.session_state`` beats the browser's, so that move would snap back. For a key whose value
    the browser sent, the URL's value is stored as the session's previous value instead: the
    page reads it until the widget is drawn, the widget then takes the browser's value, and
    :meth:`Settings.widgets_drawn` reruns the page once so that all of it uses that value.
    Streamlit has no public API for either step (the incoming widget states, whose ids end in
    the widget's key, and the previous state); should its internals change, every key is seeded
    as before, and tests/browser/test_faults.py fails.
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        from streamlit.runtime.state.common import is_element_id, user_key_from_element_id

        state = get_script_run_ctx().session_state._state
        sent = {user_key_from_element_id(i) for i in state._new_widget_state if is_element_id(i)}
        previous = state._old_state
    except Exception:  # noqa: BLE001 (internals moved: seed every key)
        sent, previous = set(), {}
    for key, value in values.items():
        if key in sent:
            previous[key] = value
        else:
            st.session_state[key] = value
    if sent & set(values):
        st.session_state[_RERUN_KEY] = True


# Runs in the page (components v2 have no iframe): waits until the browser has drawn a chart,
# lets that frame paint, then asks for a rerun. After 8 s it asks anyway, chart or not.
_FIRST_CHART_DRAWN_JS = """
export default function ({ setTriggerValue }) {
  const start = performance.now();
  const wait = () => {
    if (document.querySelector(".js-plotly-plot .main-svg") || performance.now() - start > 8000) {
      requestAnimationFrame(() => setTriggerValue("drawn", true));
    } else {
      requestAnimationFrame(wait);
    }
  };
  requestAnimationFrame(wait);
}
"""
_rerun_when_drawn = st.components.v2.component("first_chart_drawn", js=_FIRST_CHART_DRAWN_JS)
FIRST_VIEW_KEY = "_first_chart_drawn"  # its key (the browser tests look for it)


def first_view(page: str) -> bool:
    """Is this run a fresh load of ``page``: the session's first run of it?

    Charts that reach the browser before plotly.js has loaded are all drawn in one task, so a
    page's first chart would show only once its last one is drawn (1.0 s of drawing on
    /trajectories against 0.17 s for one chart; bench/browser.py). On a fresh load a page
    therefore sends its main view and calls :func:`stop_if_first_view`: the rest (the sidebar,
    the later charts) follows in a rerun that the browser asks for once the first chart is drawn.
    Not after a server restart, when the browser still shows the widgets (see :func:`_seed`).
    """
    return not st.session_state.get(f"_shown_{page}") and not st.session_state.get(_RERUN_KEY)


def stop_if_first_view(page: str) -> None:
    """End a fresh load's first run here (see :func:`first_view`); otherwise do nothing. Any
    later run, the browser's or one a click starts sooner, draws the whole page."""
    if not first_view(page):
        return
    st.session_state[f"_shown_{page}"] = True
    with st.sidebar:  # no gap in the main column; the sidebar's widgets come with the rest
        _rerun_when_drawn(key=FIRST_VIEW_KEY, on_drawn_change=lambda: None)
    st.stop()


def drawn_whole(page: str) -> None:
    """Say that this run draws ``page`` whole, sidebar included, with no first view to follow
    (a lesson's question has no chart to wait for): the next run then draws the whole page at
    once, and never drops the sidebar's widgets that this run drew."""
    st.session_state[f"_shown_{page}"] = True


def follow_link(page: str) -> None:
    """Notice a link from ``page`` to itself (a lesson's "Next lesson →" on the same page): the
    URL then differs from the one the page last wrote. The page's settings are read from the
    link again, as on arrival, and they win over the widget values the browser still shows."""
    last = st.session_state.get(f"_last_query_{page}")
    here = st.session_state.get("_settings_page") == page
    if here and last is not None and st.query_params.to_dict() != last:
        st.session_state.pop("_settings_page", None)
        st.session_state[f"_followed_{page}"] = True


def page_state(page: str):
    """``st.session_state`` if it holds ``page``'s settings, else an empty dict: read before
    :class:`Settings` to find the schema (a page's defaults may depend on a setting). Pages share
    key names (surface, steps), so a value left by another page must not count, nor one a
    followed link replaces (:func:`follow_link`)."""
    follow_link(page)
    return st.session_state if st.session_state.get("_settings_page") == page else {}


class Settings:
    def __init__(self, schema: Sequence[Param], page: str):
        ensure_router()
        follow_link(page)
        self.schema = list(schema)
        self.page = page
        self.locked = st.query_params.get("lock") == "1"
        self.followed = bool(st.session_state.pop(f"_followed_{page}", False))
        if st.session_state.get("_settings_page") != page:
            # Pages share key names (steps, eps, surface) with different ranges and types: a page
            # entered from another starts from its URL, never from the other page's values.
            for p in self.schema:
                st.session_state.pop(p.key, None)
            st.session_state["_settings_page"] = page
        missing = [p for p in self.schema if p.key not in st.session_state]
        self._notes_key = f"_notes_{page}"
        self.seeded = bool(missing)  # this run read the link
        if missing:
            query = {k: st.query_params.get_all(k) for k in st.query_params}
            values, notes = parse(self.schema, query)
            lesson = st.query_params.get("lesson")
            if lesson is not None and "lesson" not in self.flags():
                notes.append(f"{lesson[:30]!r} is not a lesson of this page; ignored")
            if self.followed:  # a link's values win over the widgets the browser still shows
                for p in missing:
                    st.session_state[p.key] = values[p.key]
            else:
                _seed({p.key: values[p.key] for p in missing})
            st.session_state[self._notes_key] = notes
        self.notes: list[str] = st.session_state.get(self._notes_key, [])
        self.run_notes: list[str] = []

    def values(self) -> dict:
        return {p.key: st.session_state[p.key] for p in self.schema}

    def sync(self) -> dict:
        """The current values, after writing them to the URL (non-defaults only)."""
        values = self.values()
        query = encode(self.schema, values)
        query.update(self.flags())
        if st.query_params.to_dict() != query or self.followed:
            # (after a followed link the browser shows the new URL only once it is written)
            st.query_params.from_dict(query)
        st.session_state[f"_last_query_{self.page}"] = query
        return values

    def flags(self) -> dict[str, str]:
        """The page-wide flags of the link that stay in it: lock=1, a lesson of this page
        (lesson=KEY) and reveal=1 with it. Anything else is dropped."""
        out = {"lock": "1"} if self.locked else {}
        lesson = BY_KEY.get(st.query_params.get("lesson") or "")
        if lesson is not None and lesson.page == f"pages/{self.page}.py":
            out["lesson"] = lesson.key
            if st.query_params.get("reveal") == "1":
                out["reveal"] = "1"
        return out

    def widgets_drawn(self) -> None:
        """Call once the page's widgets are drawn. In a run that seeded the URL's values under
        the browser's (see :func:`_seed`), the page read the URL's values until each widget was
        drawn: rerun once, so that it computes, draws and writes the URL with the browser's."""
        if st.session_state.pop(_RERUN_KEY, False):
            st.rerun()

    def set(self, **changes) -> None:
        """Change settings from code (e.g. a click on a chart), before widgets are drawn."""
        for key, value in changes.items():
            st.session_state[key] = value

    def adjust(self, note: str, **changes) -> None:
        """Change settings the page cannot use as they are (a value between a slider's points,
        a start off the plot), saying so in ``note``. In the run that read the link the note
        joins the link's notes, shown for the rest of the visit: a fresh load's first view is
        followed at once by a rerun (see :func:`first_view`), which must show it too. Later, it
        is shown in this run only."""
        self.set(**changes)
        if self.seeded:
            self.notes = st.session_state[self._notes_key] = [*self.notes, note]
        else:
            self.run_notes.append(note)

    def show_notes(self) -> None:
        """The notes on the link's values and on values adjusted in this run, as written: a
        value quoted from the link may hold markdown (``*``, ``[x](y)``, ``$``), escaped here so
        that it shows as typed. Call it after :meth:`adjust`."""
        for title, notes in (
            ("Some settings in the link were adjusted", self.notes),
            ("Adjusted", self.run_notes),
        ):
            if notes:
                items = "\n".join(f"- {md_escape(n)}" for n in notes)
                st.warning(f"{title}:\n\n{items}", icon="⚠️")

    def share_box(self) -> None:
        """A link that reproduces this view, and the same link locked for students."""
        if self.locked:
            return
        query = encode(self.schema, self.values())
        base = st.context.url or ""
        # Its content is sent only once opened: st.code's highlighter is 1.5 MB of JavaScript,
        # about 0.6 s of main-thread time when a page first loads (bench/browser.py).
        box = st.expander("🔗 Share this view", key="share_open", on_change="rerun")
        if not box.open:
            return
        with box:
            st.caption("Copy with the icon at the right of each box.")
            st.code(f"{base}?{urlencode(query)}".rstrip("?"), language=None)
            st.caption("Locked for students (charts and text, no controls):")
            st.code(f"{base}?{urlencode({**query, 'lock': '1'})}", language=None)


def widgets(schema: Sequence[Param], values: dict) -> None:
    """Draw each setting's widget as its Param declares it (label, range, step, format, help,
    sidebar section), in schema order; a setting whose ``show_if`` fails for ``values`` is not
    drawn, and keeps its value until it is drawn again. Consecutive settings that share a
    ``row`` sit side by side. Call inside ``st.sidebar``."""
    drawn = [p for p in schema if p.show_if is None or p.show_if(values)]
    section = None
    for i, p in enumerate(drawn):
        if p.section and p.section != section:
            st.header(p.section)
            section = p.section
        if p.row and i and drawn[i - 1].row == p.row:
            continue  # drawn with the first of its row
        row = [p]
        while p.row and len(row) + i < len(drawn) and drawn[i + len(row)].row == p.row:
            row.append(drawn[i + len(row)])
        if len(row) == 1:
            widget(p)
            continue
        for column, q in zip(st.columns(len(row)), row, strict=True):
            with column:
                widget(q)


def widget(p: Param, **extra) -> None:
    """One setting's widget, drawn where the caller is, as its Param declares it; ``extra``
    adds what only the page knows (``disabled``, an ``on_change`` that needs the page's state).
    To narrow a slider's range to the run's, pass ``dataclasses.replace(p, hi=...)``: the label
    and help stay the declaration's."""
    kw = {"key": p.key, "help": p.help or None, **extra}
    if p.on_change is not None:
        kw["on_change"] = p.on_change
    if p.show_if is not None:
        kw["persist_state"] = "page"  # keep the value while the widget is not drawn
    kind = p.widget or _DEFAULT_WIDGET.get(p.kind, "slider")
    labels = {"format_func": p._label} if p.option_labels else {}
    if kind == "slider":
        st.slider(p.label, p.lo, p.hi, step=p.step, format=p.fmt, **kw)
    elif kind == "select_slider":
        if p.fmt:  # the grid's numbers as the format writes them, e.g. "%g": 0.0001, 1e-08
            labels = {"format_func": lambda v: p.fmt % v}
        st.select_slider(p.label, p.grid or p.options, **labels, **kw)
    elif kind == "number":
        st.number_input(p.label, p.lo, p.hi, step=p.step, format=p.fmt, **kw)
    elif kind == "radio":
        st.radio(p.label, p.options, horizontal=True, **labels, **kw)
    elif kind == "select":
        st.selectbox(p.label, p.options, **labels, **kw)
    elif kind == "multiselect":
        st.multiselect(p.label, p.options, **labels, **kw)
    elif kind == "segmented":
        st.segmented_control(p.label, p.options, required=True, **labels, **kw)
    elif kind == "text":
        st.text_input(p.label, max_chars=int(p.hi) if p.hi else None, **kw)
    else:
        st.toggle(p.label, **kw)


_DEFAULT_WIDGET = {"bool": "toggle", "choice": "select", "multi": "multiselect", "text": "text"}

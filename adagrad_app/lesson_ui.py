"""A lesson on a page: ask first, then show the run, then "try it yourself".

Usage in a page, once its run is computed::

    lesson = lesson_ui.active(PAGE_FILE)          # the lesson in the link (?lesson=KEY), or None
    if lesson and not lesson_ui.ask(lesson):      # the question; False until it is answered
        ...draw what does not give the answer away (settings, the surface)...
        st.stop()
    if lesson:
        lesson_ui.result(lesson, C.lesson_key(lesson.key, ...), C.lesson_why(...))

``?reveal=1`` opens the lesson answered (a teacher's screen). Answers live in the session only:
nothing is stored on the server. The answer key comes from the page's claims module, computed
from the run; ``Key(None, why)`` says the settings make the question moot (a tie, a divergence),
and nobody is marked wrong.
"""

from __future__ import annotations

import streamlit as st

from .scenarios import BY_KEY, SCENARIOS, Key, Scenario, next_lesson

CHECK = "Check my answer"


def lesson_query(sc: Scenario) -> dict[str, str]:
    """The link that opens lesson ``sc``: its settings and its key."""
    return {**sc.query, "lesson": sc.key}


def active(page: str) -> Scenario | None:
    """The lesson the link names, if it belongs to ``page`` (the page file, pages/x.py)."""
    key = st.query_params.get("lesson")
    sc = BY_KEY.get(key or "")
    return sc if sc is not None and sc.page == page else None


def _answer_key(sc: Scenario) -> str:
    return f"_lesson_answer_{sc.key}"


def _revealed_key(sc: Scenario) -> str:
    return f"_lesson_revealed_{sc.key}"


def _nudge_key(sc: Scenario) -> str:
    return f"_lesson_nudge_{sc.key}"


def _check(sc: Scenario) -> None:
    """The Check button's callback: reveal once an answer is picked."""
    if st.session_state.get(_answer_key(sc)) is None:
        st.session_state[_nudge_key(sc)] = True
    else:
        st.session_state[_revealed_key(sc)] = True


def revealed(sc: Scenario) -> bool:
    return st.query_params.get("reveal") == "1" or bool(st.session_state.get(_revealed_key(sc)))


def ask(sc: Scenario) -> bool:
    """Draw the lesson's question; True once it is answered (or the link says reveal=1)."""
    n = [s.key for s in SCENARIOS].index(sc.key) + 1
    labels = dict(sc.choices)
    with st.container(border=True):
        st.markdown(f"**Lesson {n} of {len(SCENARIOS)}: {sc.title}**")
        st.radio(
            sc.question,
            list(labels),
            format_func=labels.get,
            index=None,
            key=_answer_key(sc),  # (never disabled: that would make it a new widget, unanswered)
        )
        if not revealed(sc):
            # A callback, not the button's return value: it runs before the script, so a rerun
            # the page asks for on its way (ui.ensure_router) cannot swallow the click.
            st.button(
                CHECK, key=f"_lesson_check_{sc.key}", type="primary", on_click=_check, args=(sc,)
            )
            if st.session_state.pop(_nudge_key(sc), False):
                st.warning("Pick an answer first.", icon="👆")
            else:
                st.caption("Answer first: the run that answers it is shown after you check.")
    return revealed(sc)


def result(sc: Scenario, key: Key, why: str | None) -> None:
    """The verdict, the run's own explanation, the "try it" prompt and the next lesson."""
    picked = st.session_state.get(_answer_key(sc))
    labels = dict(sc.choices)
    with st.container(border=True):
        if key.choice is None:
            st.info(f"No right answer on these settings: {key.why}", icon="⚖️")
        elif picked is None:
            st.info(f"The answer on this run: **{labels[key.choice]}**.", icon="💡")
        elif picked == key.choice:
            st.success(f"Right: **{labels[key.choice]}**.", icon="✅")
        else:
            st.error(
                f"Not on this run: the answer is **{labels[key.choice]}**, not “{labels[picked]}”.",
                icon="❌",
            )
        if why:
            st.markdown(why)
        st.markdown(f"**Try it yourself:** {sc.try_it}")
        nxt = next_lesson(sc.key)
        if nxt is not None:
            st.page_link(
                nxt.page,
                label=f"Next lesson → {nxt.title}",
                icon=nxt.icon,
                query_params=lesson_query(nxt),
            )
        else:
            st.page_link(
                "pages/home.py", label="That was the last lesson: back to the start", icon="🏠"
            )

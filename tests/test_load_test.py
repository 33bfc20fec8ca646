"""The load test's protocol client against real servers, without a browser.

The whole tool against the app (2 protocol students: each must open its page, get a chart, move
a slider and get a changed chart, with 0 errors), and the client against a tiny app built to
fail in each way the load test counts, so that a broken page cannot pass as a fast one.
"""

import re
import textwrap

import pytest

from tests.browser.harness import REPO_ROOT, Server, find_chromium, free_port
from tools import load_test
from tools.st_client import Session, SessionError, run_sync

TIMEOUT_S = 60


def test_two_protocol_students_open_move_and_report_no_errors(capsys):
    code = load_test.main(
        ["--sessions", "2", "--browser", "0", "--moves", "2", "--ramp", "0", "--think", "0"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "errors: 0" in out
    rows = {m[0].strip(): int(m[1]) for m in re.findall(r"^  (\S.*?\S)\s+(\d+)  median", out, re.M)}
    assert rows == {
        "open -> HTML + named files": 2,
        "open -> first chart": 2,
        "open -> run finished": 2,
        "move -> updated chart": 4,
        "move -> run finished": 4,
    }, out
    assert re.search(r"peak memory \(VmHWM\) \d+ MB", out), out
    for page in ("/trajectories", "/sparse-features"):  # students 0 and 1
        assert re.search(rf"{page} '[^']+' \(protocol\)", out), out


TINY_APP = """
import streamlit as st


@st.fragment
def part():
    t = st.slider("t", 0, 3, 0, key="t")
    st.plotly_chart({"data": [{"y": [t, 1]}]}, key="tchart")


def main():
    mode = st.query_params.get("mode", "ok")
    with st.sidebar:
        x = st.slider("x", 0, 10, 5)
    st.radio("unrelated", ["a", "b"], key="r")
    if mode == "raise" and x != 5:
        raise RuntimeError("boom on move")
    if mode == "warn" and x != 5:
        st.exception(RuntimeWarning("careful"))  # as Streamlit shows its own API warnings
    if mode != "nochart":
        st.plotly_chart({"data": [{"y": [1, x if mode != "static" else 5]}]})
    if mode == "fragment":
        part()


st.navigation([st.Page(main, title="Main", default=True)]).run()
"""


@pytest.fixture(scope="module")
def tiny_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    script = folder / "tiny_app.py"
    script.write_text(textwrap.dedent(TINY_APP))
    server = Server(script, folder / "streamlit.log")
    try:
        server.wait_healthy()
        yield server.url
    finally:
        server.stop()


async def _open_and_move(url: str, path: str) -> tuple[Session, list]:
    session = Session(url, path, TIMEOUT_S)
    runs = []
    try:
        runs.append(await session.open())
        runs.append(await session.move(session.first_slider()))
        runs.append(await session.move(session.first_slider()))
    finally:
        await session.close()
    return session, runs


def test_client_opens_with_the_xsrf_cookie_and_times_a_move(tiny_url):
    session, (opened, *moves) = run_sync(_open_and_move(tiny_url, "/?mode=ok"))
    assert REPO_ROOT.joinpath(".streamlit/config.toml").read_text().count("XsrfProtection = true")
    assert session.xsrf_cookie and session.xsrf_cookie.startswith("2|")
    # as a browser's first visit: the files the HTML names, and the plotly and slider chunks
    assert session.asset_files > 20 and session.asset_bytes > 2e6
    names = {url.split("/")[-1].split(".")[0] for url in session.fetched}
    assert {"PlotlyChart", "Slider", "Radio"} <= names
    assert opened.charts == 1 and 0 < opened.chart_s <= opened.done_s < TIMEOUT_S
    for run in moves:
        assert run.changed == 1 and 0 < run.chart_s <= run.done_s
    # 5 -> 6 -> 7 and the radio's value went with every rerun
    slider = session.first_slider()
    assert slider.label == "x" and list(session.widgets[slider.id].double_array_value.data) == [7]
    assert any(w.string_value == "a" for w in session.widgets.values())


def test_a_slider_in_a_fragment_reruns_only_the_fragment(tiny_url):
    async def go():
        session = Session(tiny_url, "/?mode=fragment", TIMEOUT_S)
        try:
            await session.open()
            t = next(s for s in session.sliders.values() if s.label == "t")
            assert t.fragment_id
            return await session.move(t)
        finally:
            await session.close()

    run = run_sync(go())
    assert run.charts == run.changed == 1  # the main chart was not sent again


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        ("raise", "exception"),
        ("warn", "streamlit warning"),
        ("nochart", "no chart"),
        ("static", "no updated chart"),
    ],
)
def test_every_failure_is_an_error_of_its_kind(tiny_url, mode, kind):
    with pytest.raises(SessionError) as caught:
        run_sync(_open_and_move(tiny_url, f"/?mode={mode}"))
    assert caught.value.kind == kind, caught.value


@pytest.mark.parametrize(
    ("where", "timeout_s", "kind"),
    [
        ("/nope", TIMEOUT_S, "page not found"),
        ("/?mode=ok", 0.001, "timeout"),
        ("no server", TIMEOUT_S, "connect"),
    ],
)
def test_a_missing_page_a_timeout_and_no_server_are_errors(tiny_url, where, timeout_s, kind):
    url = f"http://127.0.0.1:{free_port()}" if where == "no server" else tiny_url
    with pytest.raises(SessionError) as caught:
        run_sync(Session(url, where.replace("no server", "/"), timeout_s).open())
    assert caught.value.kind == kind, caught.value


def test_students_spread_over_pages_and_kinds():
    students = load_test.arrivals(30, 2, 15)
    assert [s.delay_s for s in students] == pytest.approx([i * 15 / 29 for i in range(30)])
    browsers = [s for s in students if s.kind == "browser"]
    assert len(browsers) == 2 and {s.path for s in browsers} == set(load_test.PAGES[:2])
    assert 0 < browsers[0].index < browsers[1].index < 29
    protocol = [s.path for s in students if s.kind == "protocol"]
    assert {p: protocol.count(p) for p in load_test.PAGES} == dict(
        zip(load_test.PAGES, [10, 9, 9], strict=True)
    )


@pytest.mark.browser
@pytest.mark.skipif(find_chromium() is None, reason="chromium not installed")
def test_a_browser_student_alongside_a_protocol_one(capsys):
    code = load_test.main(
        ["--sessions", "2", "--browser", "1", "--moves", "1", "--ramp", "0", "--think", "0"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 sessions (1 protocol, 1 browser)" in out and "errors: 0" in out
    assert re.search(r"^  open -> first chart drawn\s+1  median", out, re.M), out
    assert re.search(r"^  move -> chart redrawn\s+1  median", out, re.M), out

"""One Streamlit session without a browser: the websocket protocol a browser tab speaks, no drawing.

A tab (Streamlit 1.67's frontend) opens a page like this, and so does :class:`Session`:

0. The page's HTML and the static files it names (the entry script, its preloaded modules, the
   stylesheet, a font), 6 at a time as a browser does over HTTP/1.1; after the first run, the
   script chunk of each element type on the page (``PlotlyChart.*.js``, 4.7 MB, ...), named in
   the entry script. About 93 % of the 9.3 MB a first visit fetches; a browser's cache makes
   later visits free, so only :meth:`Session.open` fetches them (``assets=False``: none).
1. ``GET /_stcore/health`` and ``/_stcore/host-config``; the health answer sets the XSRF cookie
   ``_streamlit_xsrf`` (``server.enableXsrfProtection = true`` in .streamlit/config.toml).
2. A websocket to ``ws://host:port/_stcore/stream`` with the subprotocols ``["streamlit",
   <the cookie's value>]`` (the second entry is how the server receives the XSRF token), the
   cookies and the page's ``Origin``.

Cookies are kept as a browser keeps them: every ``Set-Cookie`` goes in the session's jar and
the jar goes with every later request, the websocket's included. Behind tools/serve_class.sh
that is what keeps a session on one replica (nginx sets a cookie on the first answer). The
first request goes alone (the page's HTML, or the health check without ``assets``), so that
every later one carries the cookie it set; ``replica`` is the ``X-Class-Replica`` header of the
health answer (None without a proxy).
3. A ``BackMsg.rerun_script`` whose ``ClientState`` has the URL's query string and the page's
   URL path as ``page_name`` (``page_script_hash`` empty: the server resolves the page).
4. ``ForwardMsg``s until ``script_finished`` with a status other than "finished early for a
   rerun" (a page may call ``st.rerun()``): deltas (elements, blocks), ``new_session`` (the
   main script's hash), ``navigation`` (with ``st.navigation``: the hash of the page that ran),
   ``page_info_changed`` (the query string the page wrote), ``ref_hash``
   (a large element the client said it already has).

Widget values are kept as the frontend keeps them: a widget's first appearance (or a value the
script set through ``st.session_state``) gives its value, a move changes it, and every rerun
sends the values of all widgets on the page, the page's script hash and query string, and the
hashes of the large messages already received (so the server sends unchanged charts by
reference, as it does to a browser). A slider inside a fragment reruns only that fragment.

Errors are raised as :class:`SessionError` with a ``kind``: "exception" (an exception element
on the page), "streamlit warning" (a warning element Streamlit itself adds, e.g. for a widget
misused), "page not found", "compile error", "timeout", "disconnect", "connect", "http" (an
answer other than 200), "no chart" (a run finished without a plotly chart), "no updated chart"
(a slider move redrew no chart differently), "no slider", "protocol" (a reference to a message
never received).

    session = Session("http://127.0.0.1:8501", "/trajectories?steps=50")
    opened = await session.open()          # opened.chart_s: request -> first chart delta
    moved = await session.move(session.first_slider())  # moved.chart_s: -> a changed chart
    await session.close()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import re
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput as NumberInputProto
from streamlit.proto.Slider_pb2 import Slider as SliderProto
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake


def run_sync(coro):
    """``asyncio.run(coro)`` on a thread of its own: it also works where this thread already
    runs an event loop (in a test process after playwright's sync API has been used)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


XSRF_COOKIE = "_streamlit_xsrf"
NO_XSRF_TOKEN = "PLACEHOLDER_AUTH_TOKEN"  # what the frontend sends when it has no cookie
STREAM_PATH = "/_stcore/stream"
SIDEBAR = 1  # root container of a delta path: 0 the main area, 1 the sidebar
CONNECTIONS = 6  # a browser's parallel HTTP/1.1 connections to one host
NAMED_ASSET = re.compile(r'(?:src|href)="(\./static/[^"]+)"')  # in the page's HTML
ENTRY_SCRIPT = re.compile(r'<script[^>]*src="(\./static/js/index\.[^"]+\.js)"')
CHUNK = re.compile(r"import\(`\./(([A-Z]\w*)\.[\w-]+\.js)`\)")  # lazy components, entry script
CHUNK_OF = {"code": "StreamlitSyntaxHighlighter"}  # element types whose chunk has another name
_STATUS = ForwardMsg.ScriptFinishedStatus
EARLY_FOR_RERUN = _STATUS.Value("FINISHED_EARLY_FOR_RERUN")
COMPILE_ERROR = _STATUS.Value("FINISHED_WITH_COMPILE_ERROR")
FRAGMENT_FINISHED = _STATUS.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")

ERROR_KINDS = (
    "exception",
    "streamlit warning",
    "page not found",
    "compile error",
    "timeout",
    "disconnect",
    "connect",
    "http",
    "no chart",
    "no updated chart",
    "no slider",
    "protocol",
)


class SessionError(Exception):
    """A session failed; ``kind`` is one of ERROR_KINDS, ``detail`` says what happened."""

    def __init__(self, kind: str, detail: str):
        assert kind in ERROR_KINDS, kind
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Run:
    """One script run as the client saw it, in seconds from the request.

    ``chart_s``: the first plotly chart delta (after a move: the first whose figure differs
    from the one shown at that place before); None if there was none. ``done_s``: the end of the
    run. ``charts``: chart deltas received; ``changed``: how many of them were new figures.
    """

    chart_s: float | None
    done_s: float
    charts: int
    changed: int
    received_bytes: int


@dataclass(frozen=True)
class Slider:
    """A slider on the page: ``st.slider`` (values are numbers) or ``st.select_slider``
    (values are the option labels)."""

    id: str
    label: str
    path: tuple[int, ...]
    fragment_id: str
    proto: SliderProto

    @property
    def is_select(self) -> bool:
        return self.proto.type == SliderProto.SELECT_SLIDER


def _initial_state(element: Element) -> WidgetState | None:
    """The value the frontend sends for a widget it has just drawn (None: it sends none, as for
    buttons, download buttons and charts until clicked)."""
    kind = element.WhichOneof("type")
    w = getattr(element, kind)
    state = WidgetState(id=w.id)
    if kind == "slider":
        if w.type == SliderProto.SELECT_SLIDER:
            labels = list(w.raw_value) if w.set_value else [w.options[int(i)] for i in w.default]
            state.string_array_value.data.extend(labels)
        else:
            state.double_array_value.data.extend(w.value if w.set_value else w.default)
    elif kind in ("selectbox", "radio"):
        if w.set_value and w.HasField("raw_value"):
            state.string_value = w.raw_value
        elif w.HasField("default") and 0 <= w.default < len(w.options):
            state.string_value = w.options[w.default]
        else:
            return None
    elif kind == "multiselect":
        labels = list(w.raw_values) if w.set_value else [w.options[i] for i in w.default]
        state.string_array_value.data.extend(labels)
    elif kind == "button_group":
        labels = list(w.raw_values) if w.set_value else [w.options[i].content for i in w.default]
        state.string_array_value.data.extend(labels)
    elif kind == "number_input":
        if w.set_value and w.HasField("value"):
            value = w.value
        elif w.HasField("default"):
            value = w.default
        else:
            return None
        if w.data_type == NumberInputProto.INT:
            state.int_value = int(value)
        else:
            state.double_value = value
    elif kind == "checkbox":  # also st.toggle
        state.bool_value = w.value if w.set_value else w.default
    elif kind == "text_input":
        if w.set_value and w.HasField("value"):
            state.string_value = w.value
        elif w.HasField("default"):
            state.string_value = w.default
        else:
            return None
    else:
        return None
    return state


def _pascal(element_type: str) -> str:
    return "".join(word.capitalize() for word in element_type.split("_"))


def _digest(chart) -> bytes:
    return hashlib.blake2b(chart.spec.encode() + b"\0" + chart.config.encode()).digest()


Response = tuple[int, dict[str, list[str]], bytes]  # status, headers (lower-case names), body


async def _read_response(reader: asyncio.StreamReader) -> Response:
    """One HTTP/1.1 response: status, headers, body (Content-Length or chunked)."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        body = bytearray()
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")  # no trailers from this server
        return status, headers, bytes(body)
    length = int(headers.get("content-length", ["0"])[0])
    return status, headers, await reader.readexactly(length)


async def http_get(base_url: str, paths: list[str], cookie: str = "") -> dict[str, Response]:
    """GET each path on CONNECTIONS keep-alive connections, as a browser fetches static files,
    with ``cookie`` as the Cookie header: path -> (status, headers, body). No proxy: the server
    is local."""
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port or 80
    todo, answers = list(dict.fromkeys(paths)), {}

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while todo:
                path = todo.pop(0)
                extra = f"Cookie: {cookie}\r\n" if cookie else ""
                request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n"
                writer.write(request.encode())
                await writer.drain()
                answers[path] = await _read_response(reader)
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(min(CONNECTIONS, len(todo)))))
    return answers


class Session:
    """One student's tab, without a browser. Not thread-safe; one coroutine at a time."""

    def __init__(self, base_url: str, path: str, timeout_s: float = 60, assets: bool = True):
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(path)
        self.page = parts.path.strip("/")
        self.query = parts.query  # as the page last wrote it
        self.timeout_s = timeout_s
        self.assets = assets
        self.ws: ClientConnection | None = None
        self.xsrf_cookie: str | None = None
        self.cookies: dict[str, str] = {}  # name -> value, as a browser's jar for this host
        self.replica: str | None = None  # X-Class-Replica (tools/serve_class.sh), if any
        self.page_hash = ""
        self.widgets: dict[str, WidgetState] = {}  # id -> the value the next rerun sends
        self._first_view = False  # the run drew ui.stop_if_first_view's component
        self.sliders: dict[tuple[int, ...], Slider] = {}  # delta path -> slider
        self.element_types: set[str] = set()
        self.fetched: set[str] = set()  # static files' URLs
        self.asset_files = 0
        self.asset_bytes = 0
        self.static_s: float | None = None  # open: the page's HTML and named files, seconds
        self._chunks: dict[str, str] = {}  # component (PlotlyChart) -> its script chunk's URL
        self._charts: dict[tuple[int, ...], bytes] = {}  # delta path -> digest of its figure
        self._cache: dict[str, ForwardMsg] = {}  # hash -> a large message already received
        self._seen_widgets: set[str] = set()
        self._seen_paths: set[tuple[int, ...]] = set()

    @property
    def url(self) -> str:
        return f"{self.base_url}/{self.page}" + (f"?{self.query}" if self.query else "")

    async def open(self) -> Run:
        """Open the page as a tab does; the run's times count from the first HTTP request."""
        t0 = time.monotonic()
        try:
            if self.assets:  # the HTML alone first: a proxy's sticky cookie comes with it
                html = (await self._get([self.url]))[self.url][2].decode()
                names = NAMED_ASSET.findall(html)
                entry = ENTRY_SCRIPT.search(html)
                got = await self._get(self._paths(names))
                if entry:
                    script = got[self._paths([entry.group(1)])[0]][2].decode()
                    base = urljoin(self.url, entry.group(1))
                    self._chunks = {c: urljoin(base, f) for f, c in CHUNK.findall(script)}
                self.static_s = time.monotonic() - t0
            health = f"{self.base_url}/_stcore/health"
            config = f"{self.base_url}/_stcore/host-config"
            if self.cookies:
                answer = (await self._get([health, config]))[health]
            else:  # the first request goes alone, as the HTML does with assets
                answer = (await self._get([health]))[health]
                await self._get([config])
            self.replica = answer[1].get("x-class-replica", [None])[0]
            cookie = self.cookies.get(XSRF_COOKIE)
            self.xsrf_cookie = cookie
            headers = {"Cookie": self._cookie_header()} if self.cookies else {}
            self.ws = await connect(
                "ws" + self.base_url.removeprefix("http") + STREAM_PATH,
                subprotocols=["streamlit", cookie or NO_XSRF_TOKEN],
                additional_headers=headers,
                origin=self.base_url,
                proxy=None,  # loopback, whatever the environment says
                open_timeout=self.timeout_s,
                ping_interval=None,  # a browser never drops a slow server on its own
                max_size=None,  # a chart can be several MB
                max_queue=None,
            )
        except TimeoutError as err:
            detail = f"{self.url}: no connection within {self.timeout_s:g} s"
            raise SessionError("timeout", detail) from err
        except (OSError, InvalidHandshake) as err:
            raise SessionError("connect", f"{self.url}: {type(err).__name__}: {err}") from err
        await self._send(self._client_state(page_name=self.page))
        run = await self._until_finished(t0, changed_only=False)
        if self._first_view:  # a fresh load's first view (adagrad_app/ui.py): the browser asks
            self._first_view = False  # for the rest of the page once it has drawn the chart
            await self._send(self._client_state())
            rest = await self._until_finished(t0, changed_only=False)
            run = Run(
                run.chart_s,
                rest.done_s,
                run.charts + rest.charts,
                run.changed + rest.changed,
                run.received_bytes + rest.received_bytes,
            )
        if not run.charts:
            raise SessionError("no chart", f"{self.url} finished without a plotly chart")
        if self.assets:  # a browser loads these while the run's elements arrive
            chunks = (self._chunks.get(CHUNK_OF.get(t, _pascal(t))) for t in self.element_types)
            await self._get(self._paths([c for c in chunks if c]))
        return run

    def _cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _keep_cookies(self, headers: dict[str, list[str]]) -> None:
        for line in headers.get("set-cookie", []):
            name, _, value = line.split(";")[0].strip().partition("=")
            if name:
                self.cookies[name] = value

    def _paths(self, names: list[str]) -> list[str]:
        """Absolute URLs of names relative to the page, as a browser resolves them."""
        return [urljoin(self.url, name) for name in names]

    async def _get(self, urls: list[str]) -> dict[str, Response]:
        """GET urls on this server (each static file once per session, as a browser's cache
        would), raising SessionError on a status other than 200."""
        paths = {}
        for url in urls:
            if url not in self.fetched:
                parts = urlsplit(url)
                paths[url] = parts.path + (f"?{parts.query}" if parts.query else "")
        if not paths:
            return {}
        try:
            answers = await asyncio.wait_for(
                http_get(self.base_url, list(paths.values()), self._cookie_header()),
                self.timeout_s,
            )
        except TimeoutError as err:
            detail = f"{self.url}: {len(paths)} GETs not answered within {self.timeout_s:g} s"
            raise SessionError("timeout", detail) from err
        except (OSError, EOFError, ValueError) as err:  # refused, cut short, malformed
            raise SessionError("connect", f"{self.url}: GET: {type(err).__name__}: {err}") from err
        got = {}
        for url, path in paths.items():
            status, headers, body = answers[path]
            self._keep_cookies(headers)
            if status != 200:
                raise SessionError("http", f"GET {path}: {status}")
            if "/static/" in path:
                self.fetched.add(url)
                self.asset_files += 1
                self.asset_bytes += len(body)
            got[url] = status, headers, body
        return got

    def first_slider(self) -> Slider | None:
        """The first enabled slider in page order (the sidebar comes first), as a student's
        Tab key would reach it."""
        enabled = [s for s in self.sliders.values() if not s.proto.disabled]
        return min(enabled, key=lambda s: (s.path[0] != SIDEBAR, s.path), default=None)

    async def move(self, slider: Slider | None) -> Run:
        """Move ``slider`` one step (right, or left at its maximum) and wait for the rerun."""
        if slider is None:
            raise SessionError("no slider", f"{self.url} has no enabled slider")
        state = WidgetState(id=slider.id)
        current = self.widgets.get(slider.id) or _initial_state(Element(slider=slider.proto))
        s = slider.proto
        if slider.is_select:
            labels = list(s.options)
            i = labels.index(current.string_array_value.data[0])
            state.string_array_value.data.append(labels[i + 1 if i + 1 < len(labels) else i - 1])
        else:
            x = current.double_array_value.data[0]
            x = x + s.step if x + s.step <= s.max + 1e-9 * abs(s.step) else x - s.step
            x = float(round(x)) if s.data_type == SliderProto.INT else round(x, 12)
            state.double_array_value.data.append(x)
        self.widgets[slider.id] = state
        t0 = time.monotonic()
        await self._send(self._client_state(fragment_id=slider.fragment_id))
        run = await self._until_finished(t0, changed_only=True)
        if not run.changed:
            raise SessionError(
                "no updated chart", f"moving {slider.label!r} on {self.url} redrew no chart"
            )
        return run

    async def drain(self) -> None:
        """Read (and drop) whatever the server sends until the connection closes, as an idle
        open tab does."""
        try:
            while True:
                await self.ws.recv()
        except ConnectionClosed:
            pass

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    def _client_state(self, page_name: str = "", fragment_id: str = "") -> ClientState:
        state = ClientState(
            query_string=self.query,
            page_script_hash=self.page_hash,
            page_name=page_name,
            fragment_id=fragment_id,
            cached_message_hashes=list(self._cache),
        )
        state.widget_states.widgets.extend(self.widgets.values())
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url, info.is_embedded, info.color_scheme = self.url, False, "light"
        return state

    async def _send(self, client_state: ClientState) -> None:
        message = BackMsg()
        message.rerun_script.CopyFrom(client_state)
        try:
            await self.ws.send(message.SerializeToString())
        except ConnectionClosed as err:
            raise SessionError("disconnect", f"{self.url}: {err}") from err

    async def _until_finished(self, t0: float, *, changed_only: bool) -> Run:
        deadline = t0 + self.timeout_s
        chart_s, charts, changed, received = None, 0, 0, 0
        while True:
            try:
                data = await asyncio.wait_for(self.ws.recv(), max(deadline - time.monotonic(), 0))
            except TimeoutError as err:
                raise SessionError(
                    "timeout", f"{self.url}: the run did not finish within {self.timeout_s:g} s"
                ) from err
            except ConnectionClosed as err:
                raise SessionError("disconnect", f"{self.url}: {err}") from err
            now = time.monotonic() - t0
            received += len(data)
            msg = ForwardMsg.FromString(data)
            path = tuple(msg.metadata.delta_path)
            if msg.WhichOneof("type") == "ref_hash":
                if msg.ref_hash not in self._cache:
                    raise SessionError("protocol", f"{self.url}: unknown reference {msg.ref_hash}")
                msg = self._cache[msg.ref_hash]
            elif msg.metadata.cacheable:
                self._cache[msg.hash] = msg
            kind = msg.WhichOneof("type")
            if kind == "new_session":  # a full run starts (fragment runs send none)
                self.page_hash = msg.new_session.page_script_hash
                self._seen_widgets, self._seen_paths = set(), set()
            elif kind == "navigation":  # st.navigation names the page actually run
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                raise SessionError("page not found", f"{self.url}: {msg.page_not_found.page_name}")
            elif kind == "session_event" and msg.session_event.HasField(
                "script_compilation_exception"
            ):
                raise SessionError("compile error", f"{self.url}: {msg.session_event}")
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                is_new_figure = self._element(path, msg.delta.new_element, msg.delta.fragment_id)
                if is_new_figure is not None:
                    charts += 1
                    changed += is_new_figure
                    if chart_s is None and (is_new_figure or not changed_only):
                        chart_s = now
            elif kind == "script_finished" and msg.script_finished != EARLY_FOR_RERUN:
                if msg.script_finished == COMPILE_ERROR:
                    raise SessionError("compile error", f"{self.url}: the script did not compile")
                if msg.script_finished != FRAGMENT_FINISHED:
                    self._forget_unseen()
                return Run(chart_s, now, charts, changed, received)

    def _forget_unseen(self) -> None:
        """After a full run, drop what it did not draw, as the frontend does."""
        self.widgets = {k: v for k, v in self.widgets.items() if k in self._seen_widgets}
        self.sliders = {k: v for k, v in self.sliders.items() if k in self._seen_paths}
        self._charts = {k: v for k, v in self._charts.items() if k in self._seen_paths}

    def _element(self, path: tuple[int, ...], element: Element, fragment_id: str) -> bool | None:
        """Note an element: its widget value, slider, figure. Returns None for anything but a
        plotly chart, else whether its figure differs from the one at that place before."""
        self._seen_paths.add(path)
        kind = element.WhichOneof("type")
        self.element_types.add(kind)
        self._first_view |= kind == "bidi_component"
        if kind == "exception":
            e = element.exception
            raise SessionError(
                "streamlit warning" if e.is_warning else "exception",
                f"{self.url}: {e.type}: {e.message[:300]}",
            )
        if kind == "plotly_chart":
            digest = _digest(element.plotly_chart)
            is_new = self._charts.get(path) != digest
            self._charts[path] = digest
            return is_new
        widget_id = getattr(getattr(element, kind), "id", "") if kind else ""
        if widget_id:
            self._seen_widgets.add(widget_id)
            if widget_id not in self.widgets or getattr(getattr(element, kind), "set_value", False):
                state = _initial_state(element)
                if state is not None:
                    self.widgets[widget_id] = state
        if kind == "slider":
            self.sliders[path] = Slider(
                element.slider.id, element.slider.label, path, fragment_id, element.slider
            )
        else:
            self.sliders.pop(path, None)
        return None

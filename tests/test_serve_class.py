"""tools/serve_class.sh: two replicas behind nginx, sticky by a cookie, all stopped on exit.

Starts the script on free loopback ports, checks health through the proxy, runs one Streamlit
session through it (open, a slider move), checks that fresh clients from 127.0.0.1 spread over
both replicas while one client's requests (its websocket included) all reach one, then stops
the script and checks that no process it started is left. Skipped only where nginx is missing
and CI is not set (CI installs it: the README's test command).
"""

import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tools.class_server import SCRIPT, ClassServer, alive, descendants, nginx_installed
from tools.st_client import Session, run_sync

pytestmark = pytest.mark.skipif(
    not nginx_installed() and not os.environ.get("CI"),
    reason="nginx not installed (apt-get install -y nginx); CI runs this",
)

COOKIE = "adagrad_replica"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


def get(url: str, cookie: str = "") -> tuple[str, str | None]:
    """GET url (with a Cookie header): (X-Class-Replica, the sticky cookie it set if any)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with OPENER.open(request, timeout=10) as response:
        assert response.status == 200
        set_cookies = response.headers.get_all("Set-Cookie") or []
        sticky = next((c.split(";")[0] for c in set_cookies if c.startswith(f"{COOKIE}=")), None)
        return response.headers["X-Class-Replica"], sticky


def listening_addresses(ports: set[int]) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) of sockets listening on ``ports``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.rsplit(":", 1)
            if state == "0A" and int(port, 16) in ports:  # 0A: LISTEN
                found.add(address)
    return found


def test_usage_errors_exit_2():
    for args in ([], ["0"], ["17"], ["x"], ["2", "port"]):
        result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, timeout=10)
        assert result.returncode == 2, (args, result.stderr)


def test_two_replicas_sticky_by_cookie_and_every_child_stopped(tmp_path):
    server = ClassServer(2, tmp_path, start_timeout_s=60)
    server.start()
    try:
        assert server.url == f"http://127.0.0.1:{server.port}"
        replicas = {f"127.0.0.1:{port}" for port in server.replica_ports}
        proxy_pids = server.proxy_pids()
        started = set(server.replica_pids) | set(proxy_pids)
        assert len(server.replica_pids) == 2 and len(proxy_pids) >= 2  # master and a worker
        # nothing listens beyond loopback
        ports = {server.port, *server.replica_ports}
        assert listening_addresses(ports) == {"0100007F"}

        # fresh clients (no cookie yet) from one address land on both replicas
        landed = [get(f"{server.url}/_stcore/health") for _ in range(24)]
        assert {replica for replica, _ in landed} == replicas
        assert all(sticky for _, sticky in landed)  # each got its cookie
        # one client, its cookie sent back: every request on its replica
        for replica, sticky in landed[:4]:
            for path in ("/", "/_stcore/health", "/_stcore/host-config", "/formula"):
                assert get(server.url + path, sticky) == (replica, None)

        # a Streamlit session through the proxy: page run, a slider move, one replica throughout
        async def session_through_proxy():
            session = Session(server.url, "/formula", timeout_s=60, assets=False)
            try:
                opened = await session.open()
                moved = await session.move(session.first_slider())
                return session, opened, moved
            finally:
                await session.close()

        session, opened, moved = run_sync(session_through_proxy())
        assert opened.charts and moved.changed
        assert session.replica in replicas and session.cookies.get(COOKIE)
        key = session.cookies[COOKIE]
        access_log = tmp_path / "access.log"
        deadline = time.monotonic() + 10
        while "/_stcore/stream" not in access_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)  # a websocket is logged when it closes
        mine = [line for line in access_log.read_text().splitlines() if f"key={key}" in line]
        assert any('"GET /_stcore/stream HTTP/1.1" 101' in line for line in mine), mine
        assert {re.search(r"upstream=(\S+)", line)[1] for line in mine} == {session.replica}
    finally:
        code = server.stop()
    assert code == 143  # stopped by SIGTERM, through its trap
    time.sleep(0.2)
    assert not [pid for pid in started if alive(pid)]
    assert not descendants(server.proc.pid)
    assert not _in_group(server.proc.pid)


def test_a_child_that_dies_stops_the_others(tmp_path):
    server = ClassServer(1, tmp_path, start_timeout_s=60)
    server.start()
    try:
        nginx = server.proxy_pids()
        os.kill(server.replica_pids[0], signal.SIGKILL)
        assert server.proc.wait(timeout=20) == 1
    finally:
        server.stop()
    assert not [pid for pid in nginx if alive(pid)]
    assert not _in_group(server.proc.pid)


def _in_group(pgid: int) -> list[int]:
    """Live processes in process group ``pgid`` (the script's: start_new_session)."""
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _group(p) == pgid]


def _group(proc: Path) -> int | None:
    try:
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[2]) if fields[0] != "Z" else None

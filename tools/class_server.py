"""tools/serve_class.sh from Python: start N replicas behind nginx on free loopback ports, find
their processes, stop them all. Used by tools/load_test.py (--replicas, --compare) and
tests/test_serve_class.py.

    with ClassServer(2, log_dir) as server:   # waits for the script's "ready" line
        server.url, server.replica_pids, server.replica_ports, server.proxy_pids()
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "serve_class.sh"
READY = re.compile(
    r"^serve_class: ready (?P<url>\S+) replicas=(?P<replicas>[\d,]+) nginx=(?P<nginx>\d+)"
    r" ports=(?P<ports>[\d,]+)$"
)


def nginx_installed() -> bool:
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ephemeral_low() -> int:
    """The lowest port the system hands out to a bind on port 0 (Linux's default: 32768)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_block(n: int, tries: int = 50) -> int:
    """The first of n consecutive free loopback ports (free when looked at), below the range
    the system hands out for port 0: another process asking for any free port (a test's app
    server, say) can then never be given one of them between this look and their use."""
    high = _ephemeral_low() - n
    for _ in range(tries):
        first = random.randint(min(20000, high), high)
        if all(_port_free(first + i) for i in range(n)):
            return first
    raise RuntimeError(f"no {n} consecutive free ports found")


def children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (a scan of /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    todo, found = [pid], []
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Is ``pid`` a running process (not a zombie)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class ClassServer:
    """``tools/serve_class.sh n`` on free loopback ports; its logs go to ``log_dir``."""

    def __init__(self, n: int, log_dir: Path, start_timeout_s: float = 120):
        self.n = n
        self.log_dir = Path(log_dir)
        self.port = free_port_block(n + 1)  # the proxy's, then the replicas'
        self.first_replica_port = self.port + 1
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.replica_pids: list[int] = []
        self.replica_ports: list[int] = []
        self.nginx_pid = 0
        self.output: list[str] = []  # the script's stdout and stderr lines

    def __enter__(self) -> ClassServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            CLASS_REPLICA_PORT=str(self.first_replica_port),
            CLASS_LOG_DIR=str(self.log_dir),
            CLASS_START_TIMEOUT=str(int(self.start_timeout_s)),
        )
        env.pop("CLASS_BIND", None)  # loopback only, whatever the environment says
        self.proc = subprocess.Popen(
            ["bash", str(SCRIPT), str(self.n), str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: a leftover can be found and killed
        )
        ready = threading.Event()

        def read() -> None:
            for line in self.proc.stdout:
                self.output.append(line.rstrip("\n"))
                match = READY.match(self.output[-1])
                if match:
                    self.url = match["url"]
                    self.replica_pids = [int(p) for p in match["replicas"].split(",")]
                    self.replica_ports = [int(p) for p in match["ports"].split(",")]
                    self.nginx_pid = int(match["nginx"])
                    ready.set()
            ready.set()  # the script ended

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(self.start_timeout_s + 10) or not self.url:
            self.stop()
            raise RuntimeError("serve_class.sh did not start:\n" + "\n".join(self.output[-30:]))

    def proxy_pids(self) -> list[int]:
        """nginx's master and its workers."""
        return [self.nginx_pid, *children(self.nginx_pid)] if self.nginx_pid else []

    def stop(self, timeout_s: float = 20) -> int | None:
        """SIGTERM to the script (it stops its children); SIGKILL to its group if it hangs.
        Returns the script's exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait()

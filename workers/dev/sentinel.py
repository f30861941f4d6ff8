"""A replicated Redis of our own: a master, a replica and three redis-sentinel processes on free loopback ports,
for the failover tests and the soak (benchmarks/soak.py). The sentinels fail over a second after the master stops
answering; a node started again after a kill comes back with its AOF and the sentinels make it a replica."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from workers.dev.embedded import PrivateRedis, _spawn, _stop, free_port, redis_server_binary

DOWN_AFTER_MS = 1000


class ReplicatedRedis:
    def __init__(self, password: str, sentinel_password: str | None = None, master_name: str = "newsflow") -> None:
        self.password, self.sentinel_password, self.master_name = password, sentinel_password, master_name
        # A replica that joins (or comes back) syncs at once, not after the default 5 s wait for others.
        auth = (f'masterauth "{password}"', "repl-diskless-sync-delay 0")
        first = PrivateRedis(appendonly=True, password=password, config=auth)
        self.nodes = [first, PrivateRedis(appendonly=True, password=password,
                                          config=(*auth, f"replicaof 127.0.0.1 {first.port}"))]  # fmt: skip
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.dir = Path(tempfile.mkdtemp(prefix="newsflow-sentinels-"))
        self.sentinels: list[subprocess.Popen[bytes] | None] = [None] * 3

    @property
    def url(self) -> str:
        first, *rest = (f"sentinel://127.0.0.1:{port}" for port in self.sentinel_ports)
        return ";".join([first.replace("://", f"://:{self.password}@") + "/0", *rest])

    def start(self, timeout_s: float = 30) -> ReplicatedRedis:
        for node in self.nodes:
            node.start()
        for index in range(3):
            self.start_sentinel(index)
        deadline = time.monotonic() + timeout_s
        while not self._settled():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sentinels did not see the master, its replica and each other; see {self.dir}")
            time.sleep(0.1)
        self.wait_for_replica(timeout_s)
        return self

    def start_sentinel(self, index: int) -> None:
        conf = self.dir / f"sentinel-{index}.conf"  # a file: sentinels rewrite their configuration
        lines = [f"port {self.sentinel_ports[index]}", "bind 127.0.0.1", "protected-mode no", f"dir {self.dir}",
                 f"logfile {self.dir / f'sentinel-{index}.log'}",
                 f"sentinel monitor {self.master_name} 127.0.0.1 {self.nodes[0].port} 2",
                 f'sentinel auth-pass {self.master_name} "{self.password}"',
                 f"sentinel down-after-milliseconds {self.master_name} {DOWN_AFTER_MS}",
                 f"sentinel failover-timeout {self.master_name} 5000",
                 *([f'requirepass "{self.sentinel_password}"'] if self.sentinel_password else [])]  # fmt: skip
        conf.write_text("".join(f"{line}\n" for line in lines))
        self.sentinels[index] = _spawn([redis_server_binary(), str(conf), "--sentinel"], stdout=subprocess.DEVNULL)

    def stop_sentinel(self, index: int) -> None:
        _stop(self.sentinels[index], timeout_s=5)
        self.sentinels[index] = None

    def sentinel_client(self, index: int) -> redis.Redis:
        return redis.Redis(port=self.sentinel_ports[index], password=self.sentinel_password, socket_timeout=1)

    def master(self) -> PrivateRedis:
        """The node the sentinels name as master now."""
        for index, process in enumerate(self.sentinels):
            if process is None:
                continue
            try:
                _, port = self.sentinel_client(index).sentinel_get_master_addr_by_name(self.master_name)  # type: ignore[misc]  # a sync client's answer
            except redis.RedisError:
                continue
            return next(node for node in self.nodes if node.port == int(port))
        raise RuntimeError("no sentinel answers")

    def wait_for_master(self, not_port: int, timeout_s: float = 30) -> PrivateRedis:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                master = self.master()
                if master.port != not_port and master.process is not None:
                    return master
            except (RuntimeError, StopIteration):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"no failover within {timeout_s} s")

    def wait_for_replica(self, timeout_s: float = 30) -> None:
        """Until the master has a replica online (again, after a failover: the killed node, started again and made a
        replica by the sentinels)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                master = self.master()
                info = redis.Redis(port=master.port, password=self.password, socket_timeout=1).info("replication")
                if info.get("role") == "master" and info.get("slave0", {}).get("state") == "online":
                    return
            except (redis.RedisError, RuntimeError, StopIteration):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"no replica online within {timeout_s} s")

    def _settled(self) -> bool:
        for index in range(3):
            try:
                state: dict = self.sentinel_client(index).sentinel_master(self.master_name)  # type: ignore[assignment]
            except redis.RedisError:
                return False
            if state.get("num-slaves", 0) < 1 or state.get("num-other-sentinels", 0) < 2:
                return False
        return True

    def stop(self) -> None:
        for index in range(3):
            self.stop_sentinel(index)
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> ReplicatedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        for node in self.nodes:
            shutil.rmtree(node.dir, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)

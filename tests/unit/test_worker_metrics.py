"""A worker's Prometheus endpoint has no authentication: it listens on loopback unless told otherwise."""

import socket

import httpx
import pytest

from config import Settings
from workers.dev.embedded import free_port
from workers.runtime.metrics import serve_worker_metrics


def this_hosts_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 80))  # no packet is sent: the kernel only picks the route's source address
        except OSError:
            pytest.skip("this host has no address besides loopback")
        return probe.getsockname()[0]


def test_worker_metrics_listen_on_loopback_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    port, elsewhere = free_port(), this_hosts_address()
    serve_worker_metrics(Settings().metrics_host, port)
    assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{elsewhere}:{port}/metrics", timeout=5)

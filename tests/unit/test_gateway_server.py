"""How the gateway is served: who is believed about the client's address, and how many connections fit."""

import resource

from pydantic import SecretStr

from config import Settings
from workers.api import server
from workers.api.server import SPARE_FILES, server_config

TOKEN = SecretStr("t" * 32)


def test_forwarded_headers_are_believed_only_from_the_configured_proxies():
    nobody = server_config(object(), Settings(gateway_token=TOKEN), "127.0.0.1", 8000)
    assert nobody.proxy_headers is False
    proxies = Settings(gateway_token=TOKEN, gateway_trusted_proxies="10.0.0.5, 172.16.0.0/12")
    trusted = server_config(object(), proxies, "127.0.0.1", 8000)
    assert trusted.proxy_headers is True and trusted.forwarded_allow_ips == ["10.0.0.5", "172.16.0.0/12"]


def test_the_open_files_limit_is_raised_to_hold_the_connections_or_the_cap_lowered(monkeypatch):
    raised: list[tuple[int, int]] = []
    monkeypatch.setattr(resource, "setrlimit", lambda _kind, limits: raised.append(limits))
    monkeypatch.setattr(resource, "getrlimit", lambda _kind: (1024, 100_000))
    assert server._connections_that_fit(4096) == 4096 and raised == [(4096 + SPARE_FILES, 100_000)]
    monkeypatch.setattr(resource, "getrlimit", lambda _kind: (1024, 2048))
    assert server._connections_that_fit(4096) == 2048 - SPARE_FILES

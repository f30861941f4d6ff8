"""How the gateway is served: uvicorn, with limits that idle, slow or many clients cannot get round.

uvicorn closes an idle keep-alive connection (``timeout_keep_alive``) but never one that has not sent a request
head: a client could hold every file descriptor the process has. Its ``limit_concurrency`` answers 503 to every
request once that many connections are open, the probes' included. So the protocol below closes a connection that
has not sent a whole request head within NEWSFLOW_GATEWAY_HEADER_TIMEOUT_S, and one beyond
NEWSFLOW_GATEWAY_MAX_CONNECTIONS at once; the process's open-files limit is raised to fit those. The body's own
deadline (NEWSFLOW_GATEWAY_BODY_TIMEOUT_S) is the app's (workers/api/app.py), which answers it with 408.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from config import Settings

log = logging.getLogger("newsflow.gateway")
# File descriptors the process needs besides its client connections: Redis connections, logs, the event loop.
SPARE_FILES = 256
FULL_WARNING_EVERY_S = 10.0


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int
    header_timeout_s: float


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head and a cap on open connections."""

    limits: ClassVar[ConnectionLimits]
    _head_timer: asyncio.TimerHandle | None = None
    _last_full_warning: ClassVar[float] = 0.0

    @classmethod
    def bound(cls, limits: ConnectionLimits) -> type[GuardedH11Protocol]:
        return type(cls.__name__, (cls,), {"limits": limits})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._warn_full()
            transport.abort()
            return
        self._await_head()

    def data_received(self, data: bytes) -> None:
        waiting_for = self.cycle
        super().data_received(data)
        if self.cycle is not waiting_for:  # a whole request head arrived
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        answered = self.cycle
        super().on_response_complete()
        if self.cycle is answered and not self.transport.is_closing():  # no pipelined request started meanwhile
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.header_timeout_s, self._head_late)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _warn_full(self) -> None:
        now = time.monotonic()
        if now - GuardedH11Protocol._last_full_warning >= FULL_WARNING_EVERY_S:
            GuardedH11Protocol._last_full_warning = now
            log.warning("%d connections are open, the most NEWSFLOW_GATEWAY_MAX_CONNECTIONS allows: closing new ones "
                        "at once", len(self.connections) - 1)  # fmt: skip


def server_config(app: Any, settings: Settings, host: str, port: int, **uvicorn_options: Any) -> uvicorn.Config:
    """uvicorn's configuration of the gateway: the same for `newsflow gateway` and for the tests."""
    limits = ConnectionLimits(
        _connections_that_fit(settings.gateway_max_connections), settings.gateway_header_timeout_s
    )
    trusted = list(settings.gateway_trusted_proxies)
    return uvicorn.Config(app, host=host, port=port, http=GuardedH11Protocol.bound(limits), ws="none",
                          timeout_keep_alive=int(max(1, settings.gateway_keepalive_s)), backlog=2048,
                          proxy_headers=bool(trusted), forwarded_allow_ips=trusted, server_header=False,
                          **uvicorn_options)  # fmt: skip


def _connections_that_fit(wanted: int) -> int:
    """Raise the open-files limit to hold ``wanted`` connections, as far as the hard limit lets; what fits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    fits = wanted if soft == resource.RLIM_INFINITY else min(wanted, soft - SPARE_FILES)
    if fits < wanted:
        log.warning("the open-files limit (%d) holds %d connections, not NEWSFLOW_GATEWAY_MAX_CONNECTIONS=%d", soft,
                    fits, wanted)  # fmt: skip
    return max(fits, 1)

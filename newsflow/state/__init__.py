"""Redis state: key names, the client, Lua scripts, stream entries, the in-flight ledger, ingest, dead letters,
the output stream and the deployment's figures. Nothing here knows Celery: queueing a message goes through a
``Dispatch`` that the caller's runtime provides."""

from __future__ import annotations

from typing import Protocol


class Dispatch(Protocol):
    def __call__(self, stage: str, message: object) -> None:
        """Queue ``message`` for ``stage`` (or for ingest); each stage hands its output to the next itself."""
        ...

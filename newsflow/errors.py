"""The one error tree. Retry policy names only these types.

    NewsflowError
    ├── NotConfigured              a setting the command or service needs is missing
    ├── NotFound                   no such dead letter, article or input (a CLI or API lookup)
    ├── InvalidSubmission          rejected at the ingest boundary, never queued
    │   ├── BodyTooLarge
    │   └── BatchTooLarge
    ├── QueueFull                  ingest's back-pressure: nothing was queued, try later
    │   └── InFlightBytesFull
    ├── TransientError             retried with bounded exponential back-off, then dead-lettered
    └── PermanentError(reason)     never retried: becomes a dead letter at once
        ├── EmptyExtraction
        ├── InputTooLarge
        └── MissingInput

Third-party exceptions are mapped onto these at the task adapter boundary (workers/runtime/policy.py).
"""

from __future__ import annotations


class NewsflowError(Exception):
    """Base of every error newsflow raises on purpose."""


class NotConfigured(NewsflowError):
    """A setting this command or service needs is not set; the message names it."""


class NotFound(NewsflowError, KeyError):
    """A lookup found nothing: no such dead letter, or its kept input has expired."""

    def __str__(self) -> str:  # KeyError's own quotes its message
        return str(self.args[0]) if self.args else ""


class InvalidSubmission(NewsflowError, ValueError):
    """A producer sent something that is not a valid raw article; the message says what is wrong."""


class BodyTooLarge(InvalidSubmission):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"article is {size:,} bytes with its fields; the limit is {limit:,} (NEWSFLOW_MAX_BODY_BYTES)")
        self.size, self.limit = size, limit


class BatchTooLarge(InvalidSubmission):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a batch of {size:,} articles is over the limit of {limit:,}")
        self.size, self.limit = size, limit


class QueueFull(NewsflowError):
    """A stage queue is over NEWSFLOW_MAX_QUEUE_DEPTH: the submission was not queued; try again later."""

    def __init__(self, queue: str, depth: int, limit: int) -> None:
        super().__init__(f"queue {queue} holds {depth:,} messages (limit {limit:,}); try again later")
        self.queue, self.depth, self.limit = queue, depth, limit


class InFlightBytesFull(QueueFull):
    """The articles in flight hold NEWSFLOW_MAX_QUEUE_BYTES: the submission was not queued; try again later."""

    def __init__(self, held: int, size: int, limit: int) -> None:
        NewsflowError.__init__(self, f"the articles in flight hold {held:,} bytes; {size:,} more is over the limit of "
                               f"{limit:,} (NEWSFLOW_MAX_QUEUE_BYTES); try again later")  # fmt: skip
        self.held, self.size, self.limit = held, size, limit


class TransientError(NewsflowError):
    """Might succeed later (a connection dropped, a service was busy)."""


class PermanentError(NewsflowError):
    """Will fail the same way every time; carries a reason for the dead letter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmptyExtraction(PermanentError):
    """Extraction found no article body worth passing on."""


class InputTooLarge(PermanentError):
    """The input is over a configured limit (bytes, HTML elements, HTML depth)."""


class MissingInput(PermanentError):
    """The message points at data that is gone (an expired body reference)."""

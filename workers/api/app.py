"""The HTTP ingest gateway, for feeds that push: a thin HTTP face over newsflow/state/ingest.py.

    newsflow gateway --host 0.0.0.0 --port 8000        (uvicorn; docs at /docs, schema at /openapi.json)

/v1/* needs `Authorization: Bearer <NEWSFLOW_GATEWAY_TOKEN>`; /healthz and /metrics are open, for the probes
and the Prometheus scraper inside the deployment's network. The story board at /stories is for a browser, which
cannot send a bearer token: it takes the same token as an HTTP Basic password (any user name).

A POST is refused whole with 413 when its body is larger than NEWSFLOW_GATEWAY_MAX_REQUEST_BYTES (read no further
than that), with 408 when it has not all arrived within NEWSFLOW_GATEWAY_BODY_TIMEOUT_S, and with 429 while a stage
queue is over NEWSFLOW_MAX_QUEUE_DEPTH or the articles in flight hold NEWSFLOW_MAX_QUEUE_BYTES; otherwise each item
gets its own result, so one bad article in a batch does not cost the others.

Redis is called from NEWSFLOW_GATEWAY_REDIS_THREADS worker threads, never on the event loop, each call within
NEWSFLOW_GATEWAY_REDIS_TIMEOUT_S: a stalled Redis answers each request with 503 in that time, whatever the others
are doing, and /healthz keeps answering. What a caller without a token learns: /healthz says ok or "redis unavailable", no address or error
text (those go to the log); /metrics gives the deployment's counts, no host, key or secret.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import orjson
import redis
from anyio import CapacityLimiter, to_thread
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, SecretStr
from starlette.requests import ClientDisconnect

from config import Settings
from newsflow.errors import BatchTooLarge, InvalidSubmission, NotConfigured, QueueFull, TransientError
from newsflow.schema import ArticleStatus, RawArticle, Story
from newsflow.stages import load_pipeline
from newsflow.state import tracking
from newsflow.state.client import connect
from newsflow.state.ingest import Ingest, parse_article, submissions
from newsflow.state.keys import Keys
from newsflow.state.stories import StoryIndex
from workers.api import board
from workers.api.metrics import GatewayMetrics
from workers.runtime.app import create_ingest

RETRY_AFTER_S = 5
REDIS_UNAVAILABLE = "redis unavailable"
log = logging.getLogger("newsflow.gateway")
T = TypeVar("T")


class ItemResult(BaseModel):
    index: int
    id: str | None = None
    status: Literal["queued", "updated", "duplicate", "invalid", "refused"]
    version: int | None = None
    error: str | None = None


class SubmitResponse(BaseModel):
    queued: int
    updated: int = Field(description="New versions of stories already seen under the same URL.")
    duplicates: int
    invalid: int
    refused: int
    results: list[ItemResult]


class Problem(BaseModel):
    detail: str


_SUBMISSION_SCHEMA = {
    "oneOf": [
        {"$ref": "#/components/schemas/RawArticle"},
        {"type": "array", "items": {"$ref": "#/components/schemas/RawArticle"}, "minItems": 1},
    ]
}


@dataclass(frozen=True)
class Deployment:
    """What the gateway talks to, opened when it starts serving and closed when it stops."""

    client: redis.Redis
    ingest: Ingest
    metrics: GatewayMetrics
    stages: tuple[str, ...]
    stories: StoryIndex


def create_api(settings: Settings) -> FastAPI:
    """The gateway's app. Its Redis client opens with the server (the lifespan), so building the app, and its
    OpenAPI document, needs no Redis."""
    if settings.gateway_token is None:
        raise NotConfigured("NEWSFLOW_GATEWAY_TOKEN is not set: the gateway does not run without authentication")

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        metrics = GatewayMetrics()
        client = connect(settings, settings.gateway_redis_timeout_s, on_master_change=metrics.redis_master_changes.inc)
        pipeline = load_pipeline(settings.pipeline)
        stages = pipeline.names
        metrics.read_deployment(client, Keys.from_settings(settings), pipeline.served)
        api.state.deployment = Deployment(client, create_ingest(settings, client), metrics, stages,
                                          StoryIndex(client, settings))  # fmt: skip
        yield
        client.close()

    # FastAPIOffline: /docs serves Swagger UI's files from the package, so it works where no CDN can be reached.
    api = FastAPIOffline(title="newsflow gateway", version="1", summary="Push news articles into the newsflow pipeline.",
                         lifespan=lifespan)  # fmt: skip
    api.openapi = _openapi_with_raw_article(api)  # type: ignore[method-assign]  # FastAPI's documented way to extend the document
    authorized = _bearer(settings.gateway_token)
    # Few threads: more only contend for the GIL (benchmarks/results/gateway.md); a stalled Redis holds them, and
    # each request still gets its 503 at its own deadline, waiting for a thread included.
    redis_threads = CapacityLimiter(settings.gateway_redis_threads)

    async def on_redis(call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` on a worker thread, answered with 503 past NEWSFLOW_GATEWAY_REDIS_TIMEOUT_S."""
        try:
            async with asyncio.timeout(settings.gateway_redis_timeout_s):
                return await to_thread.run_sync(call, *args, limiter=redis_threads)
        except TimeoutError:
            log.warning("redis did not answer within %g s (NEWSFLOW_GATEWAY_REDIS_TIMEOUT_S)",
                        settings.gateway_redis_timeout_s)  # fmt: skip
            raise HTTPException(503, REDIS_UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_S)}) from None

    @api.post(
        "/v1/articles",
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=[Depends(authorized)],
        responses={
            401: {"model": Problem},
            408: {"model": Problem},
            413: {"model": Problem},
            422: {"model": Problem},
            429: {"model": Problem, "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
            503: {"model": Problem, "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
        },
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": _SUBMISSION_SCHEMA}}}
        },
    )
    async def submit(request: Request) -> SubmitResponse:
        """Queue one article (a JSON object) or a batch (a JSON array); each item gets its id or its error."""
        body = await _read_limited(request, settings.gateway_max_request_bytes, settings.gateway_body_timeout_s)
        items = _items(body, settings.gateway_max_batch)
        deployment: Deployment = request.app.state.deployment
        metrics = deployment.metrics
        try:
            results = await on_redis(_submit_all, deployment.ingest, items)
        except QueueFull as exc:
            metrics.submitted.labels("refused").inc(len(items))
            raise HTTPException(429, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}) from None
        for result in results:
            metrics.submitted.labels(result.status).inc()
        counts = {
            kind: sum(r.status == kind for r in results)
            for kind in ("queued", "updated", "duplicate", "invalid", "refused")
        }
        return SubmitResponse(queued=counts["queued"], updated=counts["updated"], duplicates=counts["duplicate"],
                              invalid=counts["invalid"], refused=counts["refused"], results=results)  # fmt: skip

    @api.get("/v1/articles/{article_id}", dependencies=[Depends(authorized)],
             responses={401: {"model": Problem}, 404: {"model": Problem}})  # fmt: skip
    async def article_status(article_id: str, request: Request) -> ArticleStatus:
        """In flight (and in which stage), published (and where), or dead-lettered (and why)."""
        deployment: Deployment = request.app.state.deployment
        found = await on_redis(tracking.article_status, deployment.client, settings, deployment.stages, article_id)
        if found is None:
            raise HTTPException(404, f"no article {article_id} in flight, published or dead-lettered here")
        return found

    @api.get("/v1/stories", dependencies=[Depends(authorized)], response_model_exclude={"__all__": {"members"}},
             responses={401: {"model": Problem}})  # fmt: skip
    async def live_stories(
        request: Request,
        since: Annotated[
            float | None,
            Query(ge=0, allow_inf_nan=False, description="Unix seconds: only stories with an article since then."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[Story]:
        """Live stories, the latest first, without their articles (`/v1/stories/{story_id}` has them)."""
        deployment: Deployment = request.app.state.deployment
        return await on_redis(deployment.stories.live, since, limit)

    @api.get("/v1/stories/{story_id}", dependencies=[Depends(authorized)],
             responses={401: {"model": Problem}, 404: {"model": Problem}})  # fmt: skip
    async def story(story_id: str, request: Request) -> Story:
        """One live story with its latest articles, newest first."""
        deployment: Deployment = request.app.state.deployment
        found = await on_redis(deployment.stories.get, story_id)
        if found is None:
            raise HTTPException(404, f"no live story {story_id}")
        return found

    # A page for people, not an operation for API clients: the OpenAPI document leaves it out.
    @api.get("/stories", response_class=HTMLResponse, dependencies=[Depends(_basic(settings.gateway_token))],
             include_in_schema=False)  # fmt: skip
    async def story_board(request: Request) -> HTMLResponse:
        """The story board, a page for a browser: HTTP Basic auth, the gateway token as the password."""
        page = await on_redis(board.read_board, request.app.state.deployment.stories)
        return HTMLResponse(page, headers=board.HEADERS)

    @api.get("/healthz", responses={503: {"model": Problem}})
    async def healthz(request: Request) -> dict[str, str]:
        """Ready when Redis answers."""
        await on_redis(request.app.state.deployment.client.ping)
        return {"status": "ok"}

    @api.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    async def prometheus_metrics(request: Request) -> Response:
        """Prometheus text format: queue depths, dead letters, in-flight and published articles, submissions."""
        body, content_type = await on_redis(request.app.state.deployment.metrics.render)
        return Response(body, media_type=content_type)

    @api.exception_handler(redis.RedisError)
    async def _redis_down(request: Request, exc: redis.RedisError) -> JSONResponse:
        log.warning("%s %s: redis unavailable: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": REDIS_UNAVAILABLE}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})

    return api


# At module level: FastAPI resolves the (postponed) annotations below in this module's namespace.
_BEARER = HTTPBearer(auto_error=False)
_BASIC = HTTPBasic(auto_error=False, realm="newsflow")


def _bearer(secret: SecretStr) -> Callable[..., Awaitable[None]]:
    token = secret.get_secret_value().encode()

    # async: FastAPI would run a plain function on a worker thread, a hop per request for a string comparison
    async def authorized(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
    ) -> None:
        if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), token):
            _log_refusal(request, "no bearer token" if credentials is None else "a wrong bearer token")
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})

    return authorized


def _basic(secret: SecretStr) -> Callable[..., Awaitable[None]]:
    token = secret.get_secret_value().encode()

    async def authorized(
        request: Request, credentials: Annotated[HTTPBasicCredentials | None, Depends(_BASIC)]
    ) -> None:
        if credentials is None or not hmac.compare_digest(credentials.password.encode(), token):
            _log_refusal(request, "no password" if credentials is None else "a wrong password")
            raise HTTPException(401, "the gateway token is required as the HTTP Basic password",
                                headers=_BASIC.make_authenticate_headers())  # fmt: skip

    return authorized


def _log_refusal(request: Request, what: str) -> None:
    client = request.client.host if request.client else "?"
    log.warning("401 %s %s from %s: %s", request.method, request.url.path, client, what)


async def _read_limited(request: Request, limit: int, timeout_s: float) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"request body of {declared} bytes is over the limit of {limit}")
    body = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise HTTPException(413, f"request body is over the limit of {limit} bytes")
    except TimeoutError:
        raise HTTPException(408, f"the request body did not arrive within {timeout_s:g} s",
                            headers={"Connection": "close"}) from None  # fmt: skip
    except ClientDisconnect:
        # Nothing to answer: 499 is nginx's word for it, and stands in the access log.
        raise HTTPException(499, "the client went away before sending its whole body") from None
    return bytes(body)


def _items(body: bytes, max_batch: int) -> list[object]:
    try:
        return submissions(orjson.loads(body), max_batch)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(422, f"invalid JSON: {exc}") from None
    except BatchTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except InvalidSubmission as exc:
        raise HTTPException(422, str(exc)) from None


def _submit_all(ingest: Ingest, items: list[object]) -> list[ItemResult]:
    """A result for each item. After back-pressure refuses one, the rest are refused too, without trying; when
    it refuses the first, QueueFull (the whole request is refused)."""
    results: list[ItemResult] = []
    for index, item in enumerate(items):
        try:
            accepted = ingest.submit(parse_article(item))
        except InvalidSubmission as exc:
            results.append(ItemResult(index=index, status="invalid", error=str(exc)))
        except QueueFull as exc:
            if index == 0:
                raise
            refused = [ItemResult(index=index, status="refused", error=str(exc))]
            return results + refused + [ItemResult(index=i, status="refused") for i in range(index + 1, len(items))]
        except TransientError as exc:  # Redis went away during the batch
            results.append(ItemResult(index=index, status="refused", error=f"{exc}; send it again later"))
        else:
            results.append(ItemResult(index=index, id=accepted.id, status=accepted.status, version=accepted.version))
    return results


def _openapi_with_raw_article(api: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI's document, plus the RawArticle schema that the hand-parsed request body refers to."""
    original = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = original()
            schema = RawArticle.model_json_schema(ref_template="#/components/schemas/{model}")
            document.setdefault("components", {}).setdefault("schemas", {})["RawArticle"] = schema
            api.openapi_schema = document
        return api.openapi_schema

    return openapi

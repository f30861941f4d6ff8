"""The HTTP ingest gateway, for feeds that push: a thin HTTP face over newsflow/state/ingest.py.

    newsflow gateway --host 0.0.0.0 --port 8000        (uvicorn; docs at /docs, schema at /openapi.json)

/v1/* needs `Authorization: Bearer <NEWSFLOW_GATEWAY_TOKEN>`; /healthz and /metrics are open, for the probes
and the Prometheus scraper inside the deployment's network. The story board at /stories is for a browser, which
cannot send a bearer token: it takes the same token as an HTTP Basic password (any user name).

A POST is refused whole with 413 when its body is larger than NEWSFLOW_GATEWAY_MAX_REQUEST_BYTES (read no further
than that) and with 429 while a stage queue is over NEWSFLOW_MAX_QUEUE_DEPTH; otherwise each item gets its own
result, so one bad article in a batch does not cost the others.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import orjson
import redis
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, SecretStr

from config import Settings
from newsflow.errors import BatchTooLarge, BodyTooLarge, InvalidSubmission, NotConfigured, QueueFull, TransientError
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
        client = connect(settings, on_master_change=metrics.redis_master_changes.inc)
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

    @api.post(
        "/v1/articles",
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=[Depends(authorized)],
        responses={
            401: {"model": Problem},
            413: {"model": Problem},
            422: {"model": Problem},
            429: {"model": Problem, "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
        },
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": _SUBMISSION_SCHEMA}}}
        },
    )
    async def submit(request: Request) -> SubmitResponse:
        """Queue one article (a JSON object) or a batch (a JSON array); each item gets its id or its error."""
        items = _items(await _read_limited(request, settings.gateway_max_request_bytes), settings.gateway_max_batch)
        deployment: Deployment = request.app.state.deployment
        ingest, metrics = deployment.ingest, deployment.metrics
        try:
            ingest.check_backlog()
        except QueueFull as exc:
            metrics.submitted.labels("refused").inc(len(items))
            raise HTTPException(429, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}) from None
        results = [_submit_one(ingest, index, item) for index, item in enumerate(items)]
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
    def article_status(article_id: str, request: Request) -> ArticleStatus:
        """In flight (and in which stage), published (and where), or dead-lettered (and why)."""
        deployment: Deployment = request.app.state.deployment
        found = tracking.article_status(deployment.client, settings, deployment.stages, article_id)
        if found is None:
            raise HTTPException(404, f"no article {article_id} in flight, published or dead-lettered here")
        return found

    @api.get("/v1/stories", dependencies=[Depends(authorized)], response_model_exclude={"__all__": {"members"}},
             responses={401: {"model": Problem}})  # fmt: skip
    def live_stories(
        request: Request,
        since: Annotated[
            float | None,
            Query(ge=0, allow_inf_nan=False, description="Unix seconds: only stories with an article since then."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[Story]:
        """Live stories, the latest first, without their articles (`/v1/stories/{story_id}` has them)."""
        deployment: Deployment = request.app.state.deployment
        return deployment.stories.live(since, limit)

    @api.get("/v1/stories/{story_id}", dependencies=[Depends(authorized)],
             responses={401: {"model": Problem}, 404: {"model": Problem}})  # fmt: skip
    def story(story_id: str, request: Request) -> Story:
        """One live story with its latest articles, newest first."""
        deployment: Deployment = request.app.state.deployment
        found = deployment.stories.get(story_id)
        if found is None:
            raise HTTPException(404, f"no live story {story_id}")
        return found

    # A page for people, not an operation for API clients: the OpenAPI document leaves it out.
    @api.get("/stories", response_class=HTMLResponse, dependencies=[Depends(_basic(settings.gateway_token))],
             include_in_schema=False)  # fmt: skip
    def story_board(request: Request) -> HTMLResponse:
        """The story board, a page for a browser: HTTP Basic auth, the gateway token as the password."""
        index = request.app.state.deployment.stories
        found = (index.get(summary.id) for summary in index.live(limit=board.BOARD_STORIES))
        return HTMLResponse(board.render_board([s for s in found if s is not None]), headers=board.HEADERS)

    @api.get("/healthz", responses={503: {"model": Problem}})
    def healthz(request: Request) -> dict[str, str]:
        """Ready when Redis answers."""
        try:
            request.app.state.deployment.client.ping()
        except redis.RedisError as exc:
            raise HTTPException(503, f"redis unavailable: {exc}") from None
        return {"status": "ok"}

    @api.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    def prometheus_metrics(request: Request) -> Response:
        """Prometheus text format: queue depths, dead letters, in-flight and published articles, submissions."""
        body, content_type = request.app.state.deployment.metrics.render()
        return Response(body, media_type=content_type)

    @api.exception_handler(redis.RedisError)
    async def _redis_down(_request: Request, exc: redis.RedisError) -> JSONResponse:
        return JSONResponse({"detail": f"redis unavailable: {exc}"}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_S)})  # fmt: skip

    return api


# At module level: FastAPI resolves the (postponed) annotations below in this module's namespace.
_BEARER = HTTPBearer(auto_error=False)
_BASIC = HTTPBasic(auto_error=False, realm="newsflow")


def _bearer(secret: SecretStr) -> Callable[..., None]:
    token = secret.get_secret_value().encode()

    def authorized(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> None:
        if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), token):
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})

    return authorized


def _basic(secret: SecretStr) -> Callable[..., None]:
    token = secret.get_secret_value().encode()

    def authorized(credentials: Annotated[HTTPBasicCredentials | None, Depends(_BASIC)]) -> None:
        if credentials is None or not hmac.compare_digest(credentials.password.encode(), token):
            raise HTTPException(401, "the gateway token is required as the HTTP Basic password",
                                headers=_BASIC.make_authenticate_headers())  # fmt: skip

    return authorized


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"request body of {declared} bytes is over the limit of {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"request body is over the limit of {limit} bytes")
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


def _submit_one(ingest: Ingest, index: int, item: object) -> ItemResult:
    try:
        accepted = ingest.submit(parse_article(item))
    except (InvalidSubmission, BodyTooLarge) as exc:
        return ItemResult(index=index, status="invalid", error=str(exc))
    except (QueueFull, TransientError) as exc:  # the queue filled up, or Redis went away, during the batch
        return ItemResult(index=index, status="refused", error=f"{exc}; send it again later")
    return ItemResult(index=index, id=accepted.id, status=accepted.status, version=accepted.version)


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

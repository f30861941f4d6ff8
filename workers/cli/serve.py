"""Commands that serve: `worker` (Celery workers for chosen stages) and `gateway` (the HTTP ingest API)."""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from typing import Annotated

import typer

from newsflow.errors import NewsflowError
from newsflow.stages import INGEST, PIPELINE
from workers.cli.shell import ExitCode, configured, secure, stop

app = typer.Typer()


@app.command()
def worker(
    stages: Annotated[
        str, typer.Option(help=f"Comma-separated stages ({', '.join(PIPELINE.served)}), or `all`.")
    ] = "all",
    concurrency: Annotated[
        int | None,
        typer.Option(
            help="Pool processes (default: CPU count); for the threads pool, articles in hand at once "
            "(default: NEWSFLOW_TRANSLATE_ARTICLES_IN_FLIGHT)."
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Node name prefix; the node is NAME@host.")] = None,
    pool: Annotated[
        str | None,
        typer.Option(
            help="Celery pool (default: threads for a translate-only worker, else prefork). Keep prefork "
            "for extract: trafilatura is not thread-safe."
        ),
    ] = None,
    loglevel: Annotated[str, typer.Option()] = "INFO",
    quiet: Annotated[bool, typer.Option(help="No start-up banner.")] = False,
    prefetch: Annotated[
        int | None, typer.Option(help="Messages each pool process reserves (default: 1, or 4 for publish only).")
    ] = None,
) -> None:
    """Run Celery workers for the chosen stages against the configured Redis."""
    settings = secure(configured())
    if settings.metrics_port:
        # prometheus_client chooses its multiprocess mode when first imported (by the worker runtime): a fresh
        # folder for this worker's pool processes, named before that.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="newsflow-metrics-")
    from celery.exceptions import SecurityWarning

    from newsflow.stages import load_pipeline
    from newsflow.state.keys import Keys
    from workers.runtime import worker as runtime

    pipeline = load_pipeline(settings.pipeline)
    chosen = list(pipeline.served) if stages == "all" else [s.strip() for s in stages.split(",")]
    unknown = set(chosen) - set(pipeline.served)
    if unknown:
        raise typer.BadParameter(
            f"unknown stage(s) {', '.join(sorted(unknown))}; choose from {', '.join(pipeline.served)}"
        )
    serving = [pipeline[stage] for stage in chosen if stage != INGEST]
    if quiet:  # a local, embedded worker: the operator already knows it runs as whoever started it
        warnings.filterwarnings("ignore", category=SecurityWarning)
    pool = pool or runtime.pool(serving)
    if pool == "threads":
        concurrency = concurrency or settings.translate_articles_in_flight
    keys = Keys.from_settings(settings)
    argv = ["worker", "-Q", ",".join(keys.queue(stage) for stage in chosen), "-n", f"{name or '-'.join(chosen)}@%h",
            "-P", pool, "-l", loglevel, "--prefetch-multiplier", str(prefetch or runtime.prefetch(serving))]  # fmt: skip
    argv += ["-c", str(concurrency)] if concurrency else []
    if settings.metrics_port:
        from workers.runtime.metrics import serve_worker_metrics

        serve_worker_metrics(settings.metrics_host, settings.metrics_port)
    logging.getLogger().setLevel(loglevel.upper())  # the start-up model check logs before Celery sets up logging
    celery_app = runtime.create_worker_app(settings, pipeline)
    try:
        runtime.start(
            celery_app, serving, ["--quiet", *argv] if quiet else argv, in_this_process=pool in ("threads", "solo")
        )
    except NewsflowError as exc:
        raise stop(ExitCode.USAGE, f"[red]cannot start the worker[/red]: {exc}") from None


@app.command()
def gateway(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP ingest gateway (POST /v1/articles, GET /v1/articles/ID, /healthz, /metrics)."""
    import uvicorn

    from workers.api.app import create_api
    from workers.api.server import server_config

    settings = secure(configured())
    if settings.gateway_token is None:
        raise stop(ExitCode.USAGE, "[red]NEWSFLOW_GATEWAY_TOKEN is not set[/red]: the gateway does not run without "
                   "authentication")  # fmt: skip
    formatter = {"()": "workers.runtime.logs.JsonFormatter"} if settings.log_format == "json" else {
        "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}  # fmt: skip
    log_config = {"version": 1, "disable_existing_loggers": False, "formatters": {"line": formatter},
                  "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "line"}},
                  "root": {"handlers": ["default"], "level": "INFO"}}  # fmt: skip
    uvicorn.Server(server_config(create_api(settings), settings, host, port, log_config=log_config)).run()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def flower(ctx: typer.Context) -> None:
    """Serve Flower, Celery's monitor, on newsflow's app; every further option goes to Flower (`--port=5555`...)."""
    from workers.runtime.app import create_app

    settings = configured()
    try:
        _metrics_behind_auth()
    except ModuleNotFoundError:
        raise stop(ExitCode.USAGE, "[red]Flower is not installed[/red]: pip install 'newsflow[ops]'") from None
    create_app(settings).start(["flower", *ctx.args])


def _metrics_behind_auth() -> None:
    """Flower 2.0 serves /metrics to anyone, even with --basic-auth: its handler lacks the @authenticated its pages
    have. Give it the same check, so Flower's metrics sit behind the same auth as its pages."""
    from flower.views import monitor
    from tornado.web import authenticated

    if not getattr(monitor.Metrics.get, "__wrapped__", None):
        monitor.Metrics.get = authenticated(monitor.Metrics.get)

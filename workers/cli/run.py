"""Commands that put articles through the pipeline: `process` (the main job), `submit`, and the in-process
`extract`, `translate`, `tag`."""

from __future__ import annotations

import signal
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from config import get_settings
from newsflow.errors import InvalidSubmission, QueueFull
from newsflow.stages import PIPELINE
from workers.cli.files import NOTHING_FOUND, articles, read_inputs
from workers.cli.shell import ExitCode, Paths, configured, err, stop, write_json

app = typer.Typer()


@app.command()
def process(
    paths: Paths,
    out: Annotated[Path | None, typer.Option(help="Write enriched records here (JSONL); default stdout.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Pool processes for the local workers.")] = None,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Give up waiting after this many seconds.")] = 600,
    workers: Annotated[
        bool, typer.Option(help="Start local workers (off: a deployment's workers do the work).")
    ] = True,
    verbose: Annotated[bool, typer.Option(help="The local workers' warnings too, not only their errors.")] = False,
) -> None:
    """The main job: run every article under PATHS through the whole pipeline and print the enriched records."""
    from newsflow.state.client import connect
    from workers.cli.deployment import translation_notice
    from workers.cli.job import run_job
    from workers.cli.progress import JobProgress, print_summary
    from workers.dev.embedded import LocalWorkers, PrivateRedis
    from workers.runtime.app import create_ingest

    settings = get_settings()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(ExitCode.TERMINATED))  # unwinds the stack below, like Ctrl-C
    with ExitStack() as stack:
        private = None
        if settings.redis_url is None:
            private = stack.enter_context(PrivateRedis())
            err.print(f"No NEWSFLOW_REDIS_URL: started a private Redis at {private.url}")
            settings = settings.model_copy(update={"redis_url": SecretStr(private.url)})
        url = settings.redis_url.get_secret_value() if settings.redis_url else ""
        if workers or private:  # a private Redis has no other workers
            stack.enter_context(LocalWorkers(url, concurrency=concurrency, loglevel="WARNING" if verbose else "ERROR"))
            for line in translation_notice(settings):
                err.print(line)
        sink = stack.enter_context(out.open("wb")) if out else sys.stdout.buffer
        progress = stack.enter_context(JobProgress(err))
        client = connect(settings)
        summary = run_job(read_inputs(paths), create_ingest(settings, client), client, settings, on_record=lambda r: write_json(r, sink),
                          on_progress=progress.update, timeout_s=timeout_s)  # fmt: skip
    print_summary(err, summary)
    if summary.interrupted:
        raise stop(ExitCode.INTERRUPTED)
    raise stop(ExitCode.UNAVAILABLE if summary.pending else ExitCode.OK if summary.ok else ExitCode.FAILED)


@app.command()
def submit(paths: Paths) -> None:
    """Push articles to a running deployment; one line per article: id, `queued`, `updated` (a new version of a
    story already seen under its URL) or `duplicate`, origin."""
    from workers.runtime.app import create_ingest

    settings = configured()
    ingest, failed, found = create_ingest(settings), False, 0
    for item in articles(paths, on_skip=lambda reason: err.print(f"skipped {reason}")):
        found += 1
        try:
            if item.raw is None:
                raise InvalidSubmission(item.error or item.origin)
            accepted = ingest.submit(item.raw)
            print(f"{accepted.id}\t{accepted.status}\t{item.origin}")
        except InvalidSubmission as exc:
            failed = True
            err.print(f"[red]invalid[/red] {item.origin}: {exc}")
        except QueueFull as exc:
            raise stop(ExitCode.BACKPRESSURE, f"[yellow]try later[/yellow]: {exc}; {item.origin} and the rest were "
                       "not submitted") from None  # fmt: skip
    if not found:
        raise stop(ExitCode.FAILED, f"[red]nothing to submit[/red]: {NOTHING_FOUND}")
    raise stop(ExitCode.FAILED if failed else ExitCode.OK)


def _in_process(stage: str) -> Any:
    def command(
        paths: Paths,
        pretty: Annotated[bool, typer.Option(help="Indented JSON for reading, not JSONL.")] = False,
    ) -> None:
        from newsflow.stages import load_pipeline
        from workers.cli.local import run_stages

        settings = get_settings()
        ok = run_stages(settings, load_pipeline(settings.pipeline), paths, stage,
                        lambda record: write_json(record, pretty=pretty), err)  # fmt: skip
        raise stop(ExitCode.OK if ok else ExitCode.FAILED)

    command.__doc__ = f"Run the pipeline up to {stage} in this process, without Redis; print JSONL (debugging)."
    return command


for _stage in PIPELINE.names[:-1]:  # every stage but the last, which writes to Redis
    app.command(_stage)(_in_process(_stage))

"""`newsflow`: a thin shell over the same functions the workers run. One module per command group: run (process,
submit, in-process stages), serve (worker, gateway), ops (status, doctor, health, tail, schema), dlq, models.

Every command turns a newsflow error, an unreachable Redis, a bad setting or an unknown id into one line on stderr
and its exit code (workers/cli/shell.py lists them; so does `newsflow --help`), never a traceback.
"""

from __future__ import annotations

import os
import sys

# Before numpy loads OpenBLAS: one article per process, so a BLAS thread per core only contends (the tag stage's name
# head cost twice the CPU with 2 threads on 2 cores; benchmarks/results/pipeline-encoder.md). An operator's value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import redis
import typer
from kombu.exceptions import OperationalError
from pydantic import ValidationError

from config import unknown_variables
from newsflow.errors import NewsflowError, NotConfigured
from workers.cli import dlq, models, ops, run, serve
from workers.cli.shell import EXIT_CODES_HELP, ExitCode, err

cli = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Event-driven news processing: extract, translate, tag, publish.\n\n" + EXIT_CODES_HELP)  # fmt: skip
for group in (run, serve, ops):
    cli.add_typer(group.app)
cli.add_typer(dlq.app, name="dlq")
cli.add_typer(models.app, name="models")


def main() -> None:
    for line in unknown_variables(os.environ):
        err.print(f"[yellow]warning[/yellow]: {line}")
    try:
        cli()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(ExitCode.INTERRUPTED)
    except ValidationError as exc:  # the settings: name each problem, never the value (it may be a secret)
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]invalid settings[/red]: {problems}", markup=True, highlight=False)
        sys.exit(ExitCode.USAGE)
    except NotConfigured as exc:
        err.print(f"[red]not configured[/red]: {exc}")
        sys.exit(ExitCode.USAGE)
    except NewsflowError as exc:
        err.print(f"[red]{type(exc).__name__}[/red]: {exc}")
        sys.exit(ExitCode.FAILED)
    except (redis.ConnectionError, OperationalError) as exc:  # the second: kombu's word for it (`status` asks workers)
        err.print(f"[red]cannot reach Redis[/red]: {exc}")
        sys.exit(ExitCode.UNAVAILABLE)
    except redis.RedisError as exc:  # e.g. a malformed stream id
        err.print(f"[red]Redis refused the request[/red]: {exc}")
        sys.exit(ExitCode.USAGE)

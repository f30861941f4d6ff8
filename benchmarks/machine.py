"""What a benchmark ran on, for its results file: the processor decides which kernels blis and CTranslate2 use."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe() -> str:
    """For example 'x86_64, AMD EPYC (family 25, model 1), 2 cores, Python 3.11.7'."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    cpu = fields.get("model name") or platform.processor() or "unknown CPU"
    if "cpu family" in fields:
        cpu += f" (family {fields['cpu family']}, model {fields.get('model', '?')})"
    return f"{platform.machine()}, {cpu}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}"

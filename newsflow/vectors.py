"""An article's vector on the wire: float16, little-endian, base64 (768 bytes of 384 numbers in 1,024 characters)."""

from __future__ import annotations

import base64

import numpy as np

_WIRE = np.dtype("<f2")


def vector_text(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype=_WIRE).tobytes()).decode("ascii")


def vector_from(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=_WIRE).astype(np.float32)

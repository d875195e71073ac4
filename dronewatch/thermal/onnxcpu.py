"""One way to open an ONNX network for the detector: on the CPU, threads as asked, quiet.

Why one place: the centre network and the person refiner run side by side on the same
core, so they must be opened alike (one frame per core, no inter-op pool, no log noise
on the operator's console).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["cpu_session"]


def cpu_session(path: Path, threads: int) -> Any:
    """An onnxruntime ``InferenceSession`` of ``path`` on the CPU with ``threads`` intra-op
    threads. Raises ImportError without onnxruntime, and onnxruntime's own errors for a
    file it cannot load."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

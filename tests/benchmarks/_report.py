"""Shared output of the benchmarks: a readable table, and with --json one last JSON line."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping


def wants_json(argv: list[str] | None = None) -> bool:
    return "--json" in (sys.argv[1:] if argv is None else argv)


def report(title: str, rows: list[tuple[str, str]], figures: Mapping[str, float],
           *, as_json: bool) -> None:
    """Print the rows; the JSON line (exactly ``figures``) comes last when asked for."""
    print(title)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    if as_json:
        print(json.dumps(dict(figures)))

"""Hypothesis strategies that damage a real input file the ways real files are damaged.

Why: readers are written against the files we have; operators bring files cut short by
a full card, edited by hand, written by other tools' versions. Each strategy starts from
one good file and makes a few changes, so that most examples stay close enough to the
format to get past its first checks and reach the code behind them (a random file is
refused on its first byte and tests nothing). The tests check that a reader then either
reads the file or refuses it with its own error naming the file, never with Python's
``KeyError`` or ``TypeError`` from deep inside.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = ["ODD_JSON_VALUES", "damaged_bytes", "damaged_copy", "damaged_json", "damaged_text",
           "fuzzing"]

ODD_JSON_VALUES = (None, True, False, 0, -1, 2**70, 1e308, -1e308, math.nan, math.inf, -0.0,
                   1.5, "", "x", "12", [], {}, [1, 2], [[1, 2]], {"a": 1})
_ODD_TOKENS = ("nan", "inf", "-inf", "1e309", "", "x", "-1", "0", "99999999999", "1e-400",
               "3.4.5", "--", "NaN", "0x10", "\x00")


def fuzzing(examples: int) -> settings:
    """Hypothesis settings for these tests: derandomized, so that CI tries the same
    damaged files every run (a failure is a change in the code, not a new draw), and
    no deadline (decoding a video or a DEM takes what it takes)."""
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def damaged_copy(data: st.DataObject, sources: Sequence[Path], folder: Path) -> Path:
    """One of ``sources``, drawn, written damaged (:func:`damaged_bytes`) into ``folder``
    under its own suffix."""
    source = data.draw(st.sampled_from(sources))
    path = folder / f"damaged{source.suffix}"
    path.write_bytes(data.draw(damaged_bytes(source.read_bytes())))
    return path


def damaged_bytes(data: bytes) -> st.SearchStrategy[bytes]:
    """``data`` cut short, with bytes overwritten (anywhere, or in its first 4 KiB where
    the headers are), a run dropped, repeated, or foreign bytes put in."""
    n = len(data)

    def overwritten(edits: list[tuple[int, int]]) -> bytes:
        out = bytearray(data)
        for at, value in edits:
            out[at] = value
        return bytes(out)

    def anywhere(limit: int) -> st.SearchStrategy[bytes]:
        return st.lists(st.tuples(st.integers(0, limit - 1), st.integers(0, 255)),
                        min_size=1, max_size=8).map(overwritten)

    at, run = st.integers(0, n - 1), st.integers(1, 2000)
    return st.one_of(
        at.map(lambda i: data[:i]),
        anywhere(n), anywhere(min(n, 4096)),
        st.tuples(at, run).map(lambda t: data[:t[0]] + data[t[0] + t[1]:]),
        st.tuples(at, run).map(lambda t: data[:t[0]] + data[t[0]:t[0] + t[1]] + data[t[0]:]),
        st.tuples(at, st.binary(min_size=1, max_size=50)).map(
            lambda t: data[:t[0]] + t[1] + data[t[0]:]),
    )


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*path, i))
    return found


def _edited(doc: Any, edits: list[tuple[tuple, str, Any]]) -> Any:
    doc = copy.deepcopy(doc)
    for path, how, value in edits:
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            key = path[-1]
            if how == "replace":
                parent[key] = copy.deepcopy(value)
            elif how == "delete":
                del parent[key]
            elif how == "insert" and isinstance(parent, list):
                parent.insert(key, copy.deepcopy(value))
            else:  # "double" (or "insert" into an object): a type mix-up
                parent[key] = [parent[key], parent[key]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed what this one would change
    return doc


def damaged_json(doc: Any) -> st.SearchStrategy[Any]:
    """``doc`` with one to three of its values replaced by odd ones, deleted, doubled, or
    odd ones put in a list (an altitude in a position, a number in a list of objects).

    The value is drawn depth first (a depth, then a value at that depth), so that the
    few members that give a document its shape are hit as often as its many numbers.
    """
    by_depth: dict[int, list[tuple]] = {}
    for path in _paths(doc)[1:]:
        by_depth.setdefault(len(path), []).append(path)
    where = st.sampled_from(sorted(by_depth)).flatmap(lambda d: st.sampled_from(by_depth[d]))
    edit = st.tuples(where, st.sampled_from(("replace", "delete", "insert", "double")),
                     st.sampled_from(ODD_JSON_VALUES))
    return st.lists(edit, min_size=1, max_size=3).map(lambda edits: _edited(doc, edits))


def damaged_text(text: str) -> st.SearchStrategy[str]:
    """``text`` with a line dropped or repeated, a field of a line replaced by an odd
    token, or a character changed."""
    lines = text.splitlines()

    def edited(edit: tuple[int, str, int, str]) -> str:
        row, how, at, token = edit
        out = list(lines)
        if how == "drop":
            del out[row]
        elif how == "repeat":
            out.insert(row, out[row])
        elif how == "field" and out[row].split():
            fields = out[row].split()
            fields[at % len(fields)] = token
            out[row] = "\t".join(fields)
        elif out[row]:
            i = at % len(out[row])
            out[row] = out[row][:i] + token[:1] + out[row][i + 1:]
        return "\n".join(out) + "\n"

    return st.tuples(st.integers(0, len(lines) - 1),
                     st.sampled_from(("drop", "repeat", "field", "char")),
                     st.integers(0, 200), st.sampled_from(_ODD_TOKENS)).map(edited)

"""The house rules of ARCHITECTURE.md, checked over the import graph of the real tree.

Why a test: a rule nobody checks is broken by the next hurried change without anyone
noticing; read from the source with ``ast``, imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "dronewatch"


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names), at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(under: Path) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


def _offences(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(REPO)} imports {name}" for path in files
            for name in sorted(_imports(path))
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


def test_only_the_link_adapter_imports_pymavlink():
    files = [p for p in _files(PACKAGE) if p != PACKAGE / "link" / "_mavutil.py"]
    assert _offences(files, ("pymavlink",)) == []


@pytest.mark.parametrize(("package", "others"), [
    ("planning", ("dronewatch.link", "dronewatch.thermal")),
    ("link", ("dronewatch.planning", "dronewatch.thermal")),
    ("thermal", ("dronewatch.planning", "dronewatch.link")),
])
def test_planning_link_and_thermal_never_import_each_other(package, others):
    assert _offences(_files(PACKAGE / package), others) == []


@pytest.mark.parametrize("low", ["geo", "planning", "link", "thermal", "store"])
def test_dependencies_point_down_the_flow(low):
    """Lower layers know nothing of the workflows, the edges or the simulators."""
    forbidden = ("dronewatch.ops", "dronewatch.cli", "simulators")
    assert _offences(_files(PACKAGE / low), forbidden) == []


def test_simulators_are_reached_only_from_ops_and_the_cli_rehearsal():
    allowed = {PACKAGE / "ops", PACKAGE / "cli"}
    files = [p for p in _files(PACKAGE) if not any(a in p.parents for a in allowed)]
    assert _offences(files, ("simulators",)) == []


def test_training_libraries_stay_in_the_training_package():
    """PyTorch and onnx are the ``[train]`` extra: run time must never need them."""
    training = PACKAGE / "thermal" / "training"
    files = [p for p in _files(PACKAGE) if training not in p.parents]
    assert _offences(files, ("torch", "onnx", "onnxscript")) == []
    runtime_half = [training / "evaluate.py", training / "hituav.py"]
    assert _offences(runtime_half, ("torch",)) == []


def _private_link_names(path: Path) -> set[str]:
    """The link's private modules and private names a file imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("dronewatch.link.")
                         and any(p.startswith("_") for p in a.name.split(".")[2:]))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and (
                node.module == "dronewatch.link" or node.module.startswith("dronewatch.link.")):
            if any(p.startswith("_") for p in node.module.split(".")[2:]):
                found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names
                         if a.name.startswith("_"))
    return found


def test_the_link_is_sealed():
    """Outside the link, nobody imports its private modules or names (``_mavutil``,
    ``MavMessage`` through them): ops gets public values in degrees and metres."""
    link = PACKAGE / "link"
    offences = [f"{p.relative_to(REPO)} imports {name}" for p in _files(PACKAGE)
                if link not in p.parents for name in sorted(_private_link_names(p))]
    assert offences == []

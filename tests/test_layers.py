"""The layers hold: dashboard -> data -> indicators -> geo, and UI libraries only in dashboard/.

Read from the source with ``ast`` (every import, also those inside functions), so that a lazy
import cannot slip past; docs/architectuur.md describes the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("geo", "indicators", "data", "dashboard")  # each may import only those before it
UI = frozenset({"streamlit", "streamlit_folium", "folium", "plotly", "branca"})


def imported(path: Path, package: str) -> set[str]:
    """The top-level package of every module ``path`` (in ``package``) imports; a relative
    import is one of ``package`` itself."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(package if node.level else str(node.module).split(".")[0])
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", ORDER)
def test_no_package_imports_a_layer_above_it(package: str) -> None:
    above = set(ORDER[ORDER.index(package) + 1 :])
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path, package) & above)
        for path in modules(package)
    }
    assert modules(package)
    assert {k: v for k, v in wrong.items() if v} == {}


@pytest.mark.parametrize("package", ORDER[:3])
def test_ui_libraries_only_in_dashboard(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path, package) & UI)
        for path in modules(package)
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n    import streamlit\n    from data import db\n    from . import x\n"
    )
    assert imported(probe, "geo") == {"streamlit", "data", "geo"}

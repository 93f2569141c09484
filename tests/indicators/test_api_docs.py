"""The example in docs/api.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path


def test_api_example_runs() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "docs/api.md", "exec"), namespace)
    assert namespace["result"].effect < 0  # type: ignore[attr-defined]

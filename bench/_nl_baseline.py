"""The baseline of issue 11, measured in the same run: the national pipeline as it stood on
2026-11-28 (commit 3c92ef2: areas, assignment, the unprotected tables and the old disclosure
pass, 48.2 s on the machine of that day), run from a temporary git worktree of that commit with
its own benchmark script and its own input cache. The publication may take at most twice it.

A fixed number from another day's machine compares two machines as much as two programs; this
runs both programs on the machine of the run, minutes apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMIT = "3c92ef2"
STEPS = ("areas", "assign", "rates", "disclosure")


def run_baseline(root: Path, cache: Path, timeout: float) -> dict[str, object]:
    """The old pipeline's seconds (the sum of its four steps) and each step's, or the error."""
    began = time.perf_counter()
    known = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{COMMIT}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if known.returncode != 0:
        return {"step": "basislijn", "fout": f"commit {COMMIT} niet in deze git-geschiedenis"}
    with tempfile.TemporaryDirectory(prefix="wijkmonitor-basislijn-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(root), "worktree", "add", "--detach", "--quiet", str(tree), COMMIT],
            check=True,
            capture_output=True,
        )
        try:
            out = Path(tmp) / "uitkomst.json"
            command = [
                sys.executable,
                str(tree / "bench" / "national.py"),
                "--alleen",
                ",".join(STEPS),
                "--cache",
                str(cache / f"basislijn-{COMMIT}"),
                "--json",
                str(out),
            ]
            # the old packages first: the editable install points at this checkout
            env = {**os.environ, "PYTHONPATH": str(tree)}
            done = subprocess.run(
                command, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout
            )
            if done.returncode != 0 or not out.exists():
                tail = (done.stderr or done.stdout).strip().splitlines()[-4:]
                return {"step": "basislijn", "fout": " | ".join(tail)}
            steps = json.loads(out.read_text())["stappen"]
        finally:
            subprocess.run(
                ["git", "-C", str(root), "worktree", "remove", "--force", str(tree)],
                capture_output=True,
            )
    missing = [s for s in STEPS if "seconds" not in steps.get(s, {})]
    if missing:
        return {"step": "basislijn", "fout": f"oude stap(pen) mislukt: {', '.join(missing)}"}
    parts = {s: float(steps[s]["seconds"]) for s in STEPS}
    return {
        "step": "basislijn",
        "seconds": round(sum(parts.values()), 2),
        "parts": parts,
        "commit": COMMIT,
        "proces_s": round(time.perf_counter() - began, 1),
    }

"""Running the Node.js halves of the client tests from pytest (so `python -m pytest` runs them).

A test skips, saying which, only when Node.js or a folder's locked npm
packages are absent; .ci/run installs both (``npm ci``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def node_or_skip() -> str:
    """The ``node`` executable; skips the test when Node.js is not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (node not on PATH); .ci/run installs it with the npm packages")
    return node


def node_packages_or_skip(project: Path) -> None:
    """Skip unless ``npm ci`` installed ``project``'s locked packages (``.ci/run`` does)."""
    if not (project / "node_modules" / ".package-lock.json").is_file():
        pytest.skip(
            f"the npm packages of {project.relative_to(REPO_ROOT)} are not installed: "
            f"run `npm ci --prefix {project.relative_to(REPO_ROOT)}` (.ci/run does)"
        )


def run_node(script: Path, *, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a Node.js ES module from its package folder; fail the test with its output when it fails."""
    node = node_or_skip()
    completed = subprocess.run(
        [node, str(script)],
        cwd=script.parent,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(
            f"{script.relative_to(REPO_ROOT)} exited with {completed.returncode}\n"
            f"--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}",
            pytrace=False,
        )
    return completed

"""The layers of the house (README, "The layers"), checked on every run.

`lint-imports` holds the contracts of pyproject.toml (areas without cycles, routes over services
over models within an area, models and services importing no routes). What its wildcards cannot
say is said here: no area imports another area's routes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).parent.parent


def test_the_import_contracts_are_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def area(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["portal", "blueprints"] else None


def test_no_area_imports_another_areas_routes():
    graph = grimp.build_graph("portal", exclude_type_checking_imports=True)
    crossing = []
    for module in sorted(graph.modules):
        parts = module.split(".")
        if area(module) is None or "routes" not in parts[3:4]:
            continue
        for importer in graph.find_modules_that_directly_import(module):
            if area(importer) not in (None, area(module)):
                crossing.append(f"{importer} -> {module}")
    assert not crossing, crossing

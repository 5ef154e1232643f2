"""`make audit-deps` (ASVS 14.2.1) audits what production installs: the list it hands pip-audit holds
every runtime dependency pinned in pyproject.toml at that pin, and their dependencies, and no test or
lint tool; the audit fails when a package cannot be looked up rather than passing it."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for line in requirements:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line} is not pinned"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_the_audited_list_is_the_runtime_dependencies_at_their_pins() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _pins(project["dependencies"])
    dev = _pins(project["optional-dependencies"]["dev"])
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, str(ROOT / "scripts" / "runtime-requirements")],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    audited = dict(line.split("==", 1) for line in result.stdout.splitlines())
    for name, version in runtime.items():
        assert audited.get(name) == version, name
    # The transitive dependencies are audited too (Django's, WeasyPrint's).
    assert {"asgiref", "sqlparse", "pydyf"} <= set(audited)
    tools_only = set(dev) - set(runtime)
    assert {"pytest", "ruff", "pip-audit", "hypothesis"} <= tools_only
    assert not tools_only & set(audited)


def test_the_make_target_fails_on_what_it_could_not_audit() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^audit-deps:.*?(?=^\S|\Z)", makefile, re.MULTILINE | re.DOTALL)
    assert recipe is not None
    assert "scripts/runtime-requirements" in recipe.group(0)
    assert "pip-audit --strict" in recipe.group(0)

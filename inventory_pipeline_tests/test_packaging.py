"""Dependencies: every imported package is declared; requirements.lock pins each one with hashes."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "inventory_pipeline"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
# installed first with pip, CPU build; left out of the hashed lock (docs/development.md, "Install
# from the wheel")
NOT_LOCKED = {"torch"}


def _declared(extra: str | None = None) -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    lines = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


def _imported_top_level_modules() -> set[str]:
    modules = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"inventory_pipeline", "__future__"}


def _locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of requirements.lock."""
    text = (REPO / "requirements.lock").read_text()
    out = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)==([^ \\\n]+)", block)
        if match:
            out[canonicalize_name(match[1])] = (match[2], block.count("--hash=sha256:"))
    return out


def test_every_imported_package_is_declared() -> None:
    declared = _declared()
    providers = packages_distributions()
    missing = {}
    for module in sorted(_imported_top_level_modules()):
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        assert dists, f"no installed distribution provides the imported module {module!r}"
        if not dists & set(declared):
            missing[module] = sorted(dists)
    assert not missing, f"imported but not declared in pyproject.toml dependencies: {missing}"


def test_no_declared_package_goes_unused() -> None:
    assert "dagster-duckdb" not in _declared()


def test_lock_pins_every_declared_package_with_hashes() -> None:
    locked = _locked()
    for name, requirement in {**_declared(), **_declared("test")}.items():
        if name in NOT_LOCKED:
            assert name not in locked, f"{name} is installed before the lock, not from it"
            continue
        assert name in locked, f"{name} is declared but not in requirements.lock: run `make lock`"
        version, _ = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, pyproject.toml asks {requirement}: "
            "run `make lock`"
        )
    assert all(hashes > 0 for _, hashes in locked.values())
    assert not {n for n in locked if n.startswith("nvidia-")}, "CUDA packages in the lock"

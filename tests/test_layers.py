"""The package's layering (ARCHITECTURE.md): lower modules never import higher ones.

Every ``import`` of an edgelmk module anywhere in a module (lazy ones inside functions too,
``if TYPE_CHECKING:`` blocks excepted) must point into a group that the importing module's
group may use.
"""

import ast
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "edgelmk"

#: group of each module (first match of a dotted prefix, longest first)
GROUPS = {
    "edgelmk": "foundation", "edgelmk.errors": "foundation", "edgelmk.files": "foundation", "edgelmk.geometry": "foundation",
    "edgelmk.registry": "foundation", "edgelmk.optional": "foundation", "edgelmk.progress": "foundation",
    "edgelmk.viz": "foundation", "edgelmk.preprocess": "foundation", "edgelmk.architecture": "foundation",
    "edgelmk.targets": "foundation", "edgelmk.recipe": "foundation", "edgelmk.codecs": "foundation",
    "edgelmk.losses": "foundation", "edgelmk.scalars": "foundation", "edgelmk.backends": "foundation",
    "edgelmk.transfer": "foundation", "edgelmk.distill": "foundation", "edgelmk.processes": "foundation",
    "edgelmk.checkpoint": "checkpoint",
    "edgelmk.runtime": "runtime",
    "edgelmk.nn": "nn",
    "edgelmk.keras": "keras",
    "edgelmk.data": "data", "edgelmk.metrics": "data", "edgelmk.evaluation": "data",
    "edgelmk.engine": "engine", "edgelmk.validate": "engine", "edgelmk.backends.torch_engine": "engine",
    "edgelmk.backends.larq_engine": "engine", "edgelmk.backends.torch_distributed": "engine", "edgelmk.export": "engine",
    "edgelmk.calibrate": "engine",
    "edgelmk.cli": "cli", "edgelmk.__main__": "cli",
}
ALLOWED = {
    "foundation": {"foundation"},
    "checkpoint": {"foundation"},
    "runtime": {"foundation", "runtime"},
    "nn": {"foundation", "nn"},
    "keras": {"foundation", "keras", "checkpoint"},
    "data": {"foundation", "data"},
    "engine": {"foundation", "checkpoint", "runtime", "nn", "keras", "data", "engine"},
    "cli": set(GROUPS.values()),
}


def group_of(module: str) -> str:
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        prefix = ".".join(parts[:length])
        if prefix in GROUPS:
            return GROUPS[prefix]
    raise AssertionError(f"{module} belongs to no group: add it to GROUPS (and ARCHITECTURE.md)")


def module_name(path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def edgelmk_imports(tree: ast.AST):
    """Dotted edgelmk modules imported anywhere in a module, with their line, skipping TYPE_CHECKING blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if _is_type_checking(node):
            continue
        stack.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names if alias.name.startswith("edgelmk"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("edgelmk"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").is_file() or \
                    (PACKAGE.parent / candidate.replace(".", "/")).is_dir()
                yield (candidate if is_module else node.module), node.lineno


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_imports_run_downwards(path):
    importer = module_name(path)
    group = group_of(importer)
    wrong = [f"line {line}: {imported} ({group_of(imported)})"
             for imported, line in edgelmk_imports(ast.parse(path.read_text()))
             if group_of(imported) not in ALLOWED[group]]
    assert not wrong, f"{importer} ({group}) may import only {sorted(ALLOWED[group])}; it imports " + "; ".join(wrong)


def test_the_walk_sees_lazy_imports_and_skips_type_checking_blocks():
    code = textwrap.dedent("""
        from typing import TYPE_CHECKING
        from edgelmk import geometry
        if TYPE_CHECKING:
            from edgelmk.data.skeletons import Skeleton
        def later():
            import edgelmk.engine
    """)
    assert sorted(name for name, _ in edgelmk_imports(ast.parse(code))) == ["edgelmk.engine", "edgelmk.geometry"]
    assert group_of("edgelmk.backends.torch_engine") == "engine" and group_of("edgelmk.backends") == "foundation"


def test_importing_the_runtime_loads_no_framework_and_no_dataset_reader():
    code = ("import sys, edgelmk.runtime, edgelmk.runtime.annotate, edgelmk.runtime.bench\n"
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('torch', 'tensorflow', 'larq', 'keras')"
            " or m.startswith('edgelmk.data')]\n"
            "print(loaded)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

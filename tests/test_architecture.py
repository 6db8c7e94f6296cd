"""The package's layers (README.md, "Architecture"): what may import what, and where paths and rule logic live."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "workflow" / "scripts" / "trialrna"

#: Every module of trialrna by layer, bottom first. A module imports from its own layer or the layers below.
LAYERS = {
    "foundation": ["errors", "logs", "vocabulary", "layout", "plots", "tables"],
    "resources and inputs": ["annotation", "manifest", "gene_sets", "cell_signature", "ppi", "io", "validation",
                             "design", "contrasts", "cohort", "demo"],
    "statistics": ["nb_glm", "dispersion", "deseq2", "pydeseq2_route", "voom", "lmm", "moderation", "stagewise",
                   "symbols", "hubs"],
    "stages": ["de_plots", "de", "mixed", "routes", "composition", "robustness", "qc", "enrich", "network",
               "coexpression", "endpoints", "safety", "qlq_c30", "flow"],
    "report": ["report"],
}
LAYER_OF = {module: rank for rank, modules in enumerate(LAYERS.values()) for module in modules}


def package_imports(path: Path) -> set[str]:
    """trialrna modules imported anywhere in a file (lazy imports inside functions included)."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "trialrna":
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("trialrna."):
            imported.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("trialrna.")}
    return imported


def modules() -> list[str]:
    return sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")


def test_every_module_has_a_layer():
    assert sorted(LAYER_OF) == modules(), "add the new module to LAYERS here and to README.md, Architecture"


@pytest.mark.parametrize("module", modules())
def test_imports_go_down_the_layers(module):
    upward = {name for name in package_imports(PACKAGE / f"{module}.py") if LAYER_OF[name] > LAYER_OF[module]}
    assert not upward, f"{module} ({list(LAYERS)[LAYER_OF[module]]}) imports the higher layer(s) of {upward}"


def test_result_paths_are_spelled_only_in_the_layout():
    """Rules, shims and modules name result files through trialrna.layout, so a moved file moves everywhere."""
    literal = re.compile(r"""["']results/""")
    sources = [*ROOT.glob("workflow/**/*.py"), *ROOT.glob("workflow/rules/*.smk"), ROOT / "Snakefile"]
    spelled = [str(path.relative_to(ROOT)) for path in sources
               if path.name != "layout.py" and literal.search(path.read_text())]
    assert not spelled


def test_rule_scripts_are_shims():
    """Rule scripts read inputs, call trialrna and write outputs: no functions or classes of their own."""
    for script in (ROOT / "workflow" / "scripts").glob("*.py"):
        tree = ast.parse(script.read_text())
        own = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.ClassDef)]
        assert not own, f"{script.name} defines {own}: move them into trialrna"
        assert len(script.read_text().splitlines()) <= 25, f"{script.name}: keep the logic in trialrna"


def test_package_never_touches_the_snakemake_object():
    for path in PACKAGE.glob("*.py"):
        assert not re.search(r"\bsnakemake\.(input|output|params|log|threads|wildcards)\b", path.read_text()), path

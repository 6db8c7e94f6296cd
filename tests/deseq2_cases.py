"""Hand a design fit to R DESeq2 and read its results: used by the tests, their fixture script and the benchmark.

Each case folder holds ``counts.tsv.gz`` (genes x samples, already filtered), ``design.tsv``, ``contrasts.tsv``
and, for the likelihood-ratio test, ``reduced.tsv``; ``tests/fixtures/deseq2_reference.R`` fits the same model
matrices with DESeq2 and writes ``r_{contrast}.tsv.gz`` and ``r_lrt.tsv.gz``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd

from trialrna.contrasts import Contrast

R_SCRIPT = Path(__file__).resolve().parent / "fixtures" / "deseq2_reference.R"


def export_case(directory: str | Path, *, counts: pd.DataFrame, design: pd.DataFrame,
                contrasts: list[Contrast], reduced: pd.DataFrame | None = None) -> Path:
    """Write one case folder for :data:`R_SCRIPT`; ``counts`` should already be filtered."""
    case = Path(directory)
    case.mkdir(parents=True, exist_ok=True)
    counts[design.index].to_csv(case / "counts.tsv.gz", sep="\t")
    design.to_csv(case / "design.tsv", sep="\t")
    pd.DataFrame([contrast.vector(list(design.columns)) for contrast in contrasts],
                 index=[contrast.name for contrast in contrasts], columns=design.columns).to_csv(
        case / "contrasts.tsv", sep="\t")
    if reduced is not None:
        reduced.to_csv(case / "reduced.tsv", sep="\t")
    return case


def run_r_deseq2(case: str | Path) -> None:
    """Fit a case folder with R DESeq2 (needs Debian's r-bioc-deseq2)."""
    subprocess.run(["Rscript", str(R_SCRIPT), str(case)], check=True, capture_output=True, text=True)


def load_case(directory: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, list[Contrast], pd.DataFrame | None]:
    """Read a case folder: counts, design, contrasts and the reduced design (or None)."""
    case = Path(directory)
    counts = pd.read_csv(case / "counts.tsv.gz", sep="\t", index_col=0)
    design = pd.read_csv(case / "design.tsv", sep="\t", index_col=0)
    weights = pd.read_csv(case / "contrasts.tsv", sep="\t", index_col=0)
    contrasts = [Contrast(name, {column: value for column, value in row.items() if value != 0}, "")
                 for name, row in weights.iterrows()]
    reduced = pd.read_csv(case / "reduced.tsv", sep="\t", index_col=0) if (case / "reduced.tsv").exists() else None
    return counts, design, contrasts, reduced


def fit_case(directory: str | Path, *, n_cpus: int) -> tuple[dict[str, pd.DataFrame], object]:
    """Fit a case folder with trialrna as the workflow does; returns ``{contrast or "lrt": table}`` and the fit."""
    from trialrna.de import fit_design, likelihood_ratio_test, wald_test_contrasts

    counts, design, contrasts, reduced = load_case(directory)
    genes = pd.DataFrame({"gene_id": counts.index, "symbol": counts.index})
    dds = fit_design(counts, design, n_cpus=n_cpus)
    tables = wald_test_contrasts(dds, contrasts, genes=genes, alpha=0.05)
    if reduced is not None:
        tables["lrt"] = likelihood_ratio_test(dds, reduced, genes=genes, alpha=0.05, report=contrasts[-1])
    return tables, dds

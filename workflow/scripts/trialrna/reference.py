"""Hand a design fit to R DESeq2 and read its results: used by the test fixtures and the benchmark.

Each case folder holds ``counts.tsv.gz`` (genes x samples, already filtered), ``design.tsv``, ``contrasts.tsv``
and, for the likelihood-ratio test, ``reduced.tsv``; ``tests/fixtures/deseq2_reference.R`` fits the same model
matrices with DESeq2 and writes ``r_{contrast}.tsv.gz`` and ``r_lrt.tsv.gz``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd

from trialrna.contrasts import Contrast

R_SCRIPT = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "deseq2_reference.R"


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

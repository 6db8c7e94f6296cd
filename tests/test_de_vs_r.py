"""Agreement with R DESeq2 1.38 on fixtures made by tests/fixtures/make_deseq2_fixtures.py.

Required by the DE issue: log2FoldChange Pearson >= 0.999 on genes with baseMean >= 10, and the sets of
padj < 0.05 genes agree (Jaccard >= 0.98), for Wald contrasts and the LRT, on a small cohort (4 patients x 2
visits, residual df <= 3) and a larger one (16 x 3), each with a paired and a nested design.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deseq2_cases import fit_case, load_case
from pydeseq2.dds import DeseqDataSet

from trialrna.de import dispersion_prior_variance_by_simulation

FIXTURES = Path(__file__).parent / "fixtures/deseq2"
REQUIRED_CASES = ["small_paired", "small_nested", "large_paired", "large_nested"]


@pytest.fixture(scope="module")
def fitted():
    """Our results for every fixture case: {case: ({contrast or 'lrt': table}, dds)}."""
    return {case.name: fit_case(case, n_cpus=2) for case in sorted(FIXTURES.iterdir()) if case.is_dir()}


def agreement(ours: pd.DataFrame, r: pd.DataFrame) -> tuple[float, float]:
    """(Pearson of log2FoldChange on baseMean >= 10, Jaccard of the padj < 0.05 sets)."""
    merged = ours.merge(r, on="gene_id", suffixes=("", "_r"))
    expressed = merged[merged["baseMean_r"] >= 10].dropna(subset=["log2FoldChange", "log2FoldChange_r"])
    pearson = float(np.corrcoef(expressed["log2FoldChange"], expressed["log2FoldChange_r"])[0, 1])
    ours_set = set(merged.loc[merged["padj"] < 0.05, "gene_id"])
    r_set = set(merged.loc[merged["padj_r"] < 0.05, "gene_id"])
    jaccard = 1.0 if not ours_set | r_set else len(ours_set & r_set) / len(ours_set | r_set)
    return pearson, jaccard


def r_table(case: str, name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / case / f"r_{name}.tsv.gz", sep="\t")


@pytest.mark.parametrize("case", REQUIRED_CASES)
def test_wald_and_lrt_agree_with_r(fitted, case):
    tables, _ = fitted[case]
    for name, table in tables.items():
        pearson, jaccard = agreement(table, r_table(case, name))
        assert pearson >= 0.999, (case, name, pearson)
        assert jaccard >= 0.98, (case, name, jaccard)


def test_nested_cases_include_the_lrt(fitted):
    assert "lrt" in fitted["small_nested"][0] and "lrt" in fitted["large_nested"][0]


@pytest.mark.parametrize("case", REQUIRED_CASES)
def test_size_factors_and_dispersions_match_r(fitted, case):
    _, dds = fitted[case]
    r_sizes = pd.read_csv(FIXTURES / case / "r_size_factors.tsv", sep="\t").set_index("sample")
    np.testing.assert_allclose(dds.obs["size_factors"], r_sizes.loc[dds.obs_names, "size_factor"], rtol=1e-6)
    r_disp = pd.read_csv(FIXTURES / case / "r_dispersions.tsv.gz", sep="\t").set_index("gene_id")
    log_ratio = np.log(dds.var["dispersions"]) - np.log(r_disp.loc[dds.var_names, "dispersion"])
    assert np.median(np.abs(log_ratio)) < 1e-3
    assert float(dds.uns["prior_disp_var"]) == pytest.approx(r_sizes["prior_variance"].iat[0], abs=0.02)


def test_monte_carlo_prior_variance_closes_the_gap_with_r(fitted):
    """Residual df = 2 and widely scattered dispersions: R's simulated prior variance is 0.76.

    Stock pydeseq2 keeps its MAD-minus-trigamma estimate (0.40 here, floored at 0.25), which the MAD
    underestimates at so few degrees of freedom; ours matches R's simulation. A few low-count genes with
    within-patient zeros still differ in their fitted means (boundary GLM fits), so this case is held to a
    looser set agreement than the required cases.
    """
    case = "small_nested_scattered"
    tables, dds = fitted[case]
    r_prior = pd.read_csv(FIXTURES / case / "r_size_factors.tsv", sep="\t")["prior_variance"].iat[0]
    assert r_prior > 0.5
    assert float(dds.uns["prior_disp_var"]) == pytest.approx(r_prior, abs=0.05)
    counts, design, _, _ = load_case(FIXTURES / case)
    stock = DeseqDataSet(counts=counts[design.index].T, metadata=pd.DataFrame(index=design.index), design=design,
                         quiet=True, n_cpus=1)
    stock.fit_size_factors()
    stock.fit_genewise_dispersions()
    stock.fit_dispersion_trend()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stock.fit_dispersion_prior()
    assert abs(float(stock.uns["prior_disp_var"]) - r_prior) > 0.2
    for name, table in tables.items():
        pearson, jaccard = agreement(table, r_table(case, name))
        assert pearson >= 0.999 and jaccard >= 0.9, (name, pearson, jaccard)


def test_prior_variance_simulation_recovers_a_known_variance():
    rng = np.random.default_rng(0)
    df = 3
    residuals = np.log(rng.chisquare(df, 20_000) / df) + rng.normal(0, 1.0, 20_000)
    assert dispersion_prior_variance_by_simulation(residuals, df=df) == pytest.approx(1.0, abs=0.15)

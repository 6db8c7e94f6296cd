"""The vectorised DESeq2 engine against dense linear algebra, pydeseq2's per-gene code and trialrna's pydeseq2 route.

R agreement of the whole engine is in tests/test_de_vs_r.py (unchanged from the pydeseq2 route's days).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deseq2_cases import load_case
from pydeseq2.utils import irls_solver, nbinomFn, nbinomGLM

from trialrna import deseq2, pydeseq2_route
from trialrna.de import likelihood_ratio_test, wald_test_contrasts
from trialrna.dispersion import line_search_dispersion
from trialrna.nb_glm import DesignBlocks, Posterior, irls, line_search

FIXTURES = Path(__file__).parent / "fixtures/deseq2"


@pytest.fixture(scope="module")
def nested_case():
    return load_case(FIXTURES / "large_nested")


@pytest.mark.parametrize("columns", [slice(None), slice(0, 3)])
def test_block_factor_matches_dense_algebra(nested_case, columns):
    """Nested design (14 disjoint patient columns + 6 dense) and a dense-only design, with a per-gene ridge."""
    _, design, _, _ = nested_case
    matrix = design.to_numpy(float)[:, columns]
    blocks = DesignBlocks.from_matrix(matrix)
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.01, 50, size=(9, len(matrix)))
    ridge = rng.uniform(0, 1, size=(9, matrix.shape[1]))
    factor = blocks.factor(weights, ridge)
    dense = np.einsum("gi,ik,il->gkl", weights, matrix, matrix) + np.stack([np.diag(r) for r in ridge])
    rhs = rng.normal(size=(9, matrix.shape[1]))
    np.testing.assert_allclose(factor.log_determinant(), np.linalg.slogdet(dense)[1], rtol=1e-12)
    np.testing.assert_allclose(factor.solve(rhs), np.linalg.solve(dense, rhs[:, :, None])[:, :, 0], rtol=1e-9,
                               atol=1e-12)
    leverages = np.einsum("ik,gkl,il->gi", matrix, np.linalg.inv(dense), matrix)
    np.testing.assert_allclose(factor.leverages(), leverages, rtol=1e-9, atol=1e-14)
    assert (len(blocks.sparse), len(blocks.dense)) == ((14, 6) if columns == slice(None) else (0, 3))


def test_line_search_follows_the_per_gene_port(nested_case):
    """Every gene's search, run together, ends where the per-gene port of DESeq2's C++ loop ends."""
    counts, design, _, _ = nested_case
    matrix = design.to_numpy(float)
    y = counts.to_numpy(float)[:200]
    mu = np.maximum(y.mean(axis=1, keepdims=True), 0.5) * np.ones_like(y)
    start = np.log(np.clip(y.var(axis=1) / np.maximum(y.mean(axis=1), 1) ** 2, 1e-3, 5))
    together = line_search(Posterior(y, mu, DesignBlocks.from_matrix(matrix)), start, min_log_alpha=np.log(1e-9))
    for gene in range(len(y)):
        position, iterations, initial, last = line_search_dispersion(y[gene], mu[gene], matrix, log_alpha=start[gene],
                                                                    min_log_alpha=np.log(1e-9))
        assert together.log_alpha[gene] == pytest.approx(position, abs=1e-5), gene
        assert together.initial[gene] == pytest.approx(initial, rel=1e-12)
        assert together.last[gene] == pytest.approx(last, rel=1e-9)


def test_irls_matches_pydeseq2_per_gene(nested_case):
    counts, design, _, _ = nested_case
    matrix = design.to_numpy(float)
    y = counts.to_numpy(float)[:150]
    factors = deseq2.size_factors(counts.to_numpy())
    dispersions = np.random.default_rng(1).uniform(0.01, 1.0, len(y))
    fit = irls(y, factors, DesignBlocks.from_matrix(matrix), dispersions, min_mu=0.5, beta_tol=1e-8)
    for gene in range(len(y)):
        beta, mu, hat, _ = irls_solver(y[gene], factors, matrix, dispersions[gene], min_mu=0.5, beta_tol=1e-8)
        np.testing.assert_allclose(fit.beta[gene], beta, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(fit.hat[gene], hat, rtol=1e-6, atol=1e-10)


@pytest.fixture(scope="module")
def both_routes(nested_case):
    """The engine and trialrna's pydeseq2 route on the 16-patient nested fixture (Wald contrasts and LRT)."""
    counts, design, contrasts, reduced = nested_case
    genes = pd.DataFrame({"gene_id": counts.index, "symbol": counts.index})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dds = pydeseq2_route.fit_design(counts, design, n_cpus=2)
        old = pydeseq2_route.wald_test_contrasts(dds, contrasts, genes=genes, alpha=0.05, n_cpus=2)
        old["lrt"] = pydeseq2_route.likelihood_ratio_test(dds, reduced, genes=genes, alpha=0.05, n_cpus=2,
                                                          report=contrasts[-1])
    fit = deseq2.fit(counts, design, n_cpus=2)
    new = wald_test_contrasts(fit, contrasts, genes=genes, alpha=0.05)
    new["lrt"] = likelihood_ratio_test(fit, reduced, genes=genes, alpha=0.05, report=contrasts[-1])
    return old, new, dds, fit


def _relative(new: pd.Series, old: pd.Series) -> np.ndarray:
    both = new.notna() & old.notna()
    assert (new.isna() == old.isna()).all()
    return (np.abs(new[both] - old[both]) / np.maximum(np.abs(old[both]), 1e-300)).to_numpy()


def test_engine_reproduces_the_pydeseq2_route(both_routes):
    """Same tables within 1e-6 relative, but for genes whose dispersion search ends on a float tie.

    Near a flat optimum two evaluations of the log-posterior can differ by 1e-11 in the last bits (the engine
    sums the Cox-Reid determinant by blocks, pydeseq2 by LU), which flips one Armijo decision and moves the
    dispersion by up to a few 1e-6: under 1 % of genes, and their p-values agree to 1e-4. Every other gene's
    dispersion agrees to 1e-9.
    """
    old, new, dds, fit = both_routes
    disp = np.abs(np.log(fit.dispersions) - np.log(dds.var["dispersions"].to_numpy()))
    tied = set(dds.var_names[disp > 1e-9])
    print(f"{len(tied)} of {len(disp)} genes tied, largest |log dispersion difference| {disp.max():.1e}")
    assert len(tied) <= 0.01 * len(disp) and disp.max() < 1e-4
    for name, table in old.items():
        ours = new[name].set_index("gene_id").loc[table["gene_id"]]
        theirs = table.set_index("gene_id")
        assert _relative(ours["log2FoldChange"], theirs["log2FoldChange"]).max() < 1e-6, name
        assert _relative(ours["baseMean"], theirs["baseMean"]).max() < 1e-12, name
        untied = ~theirs.index.isin(tied)
        for column in ("lfcSE", "stat", "pvalue"):
            assert _relative(ours.loc[untied, column], theirs.loc[untied, column]).max() < 1e-6, (name, column)
            assert _relative(ours[column], theirs[column]).max() < 1e-4, (name, column)
        assert set(ours.index[ours["padj"] < 0.05]) == set(theirs.index[theirs["padj"] < 0.05]), name


def test_apeglm_map_is_at_least_as_good_as_pydeseq2(both_routes, nested_case):
    """Shrinkage finds an equal or higher posterior than pydeseq2's L-BFGS-B on every gene tested.

    pydeseq2 stops L-BFGS-B at a relative tolerance of a scaled objective and starts it once; where the
    Cauchy prior makes the posterior bimodal the engine compares both modes. Most genes agree closely.
    """
    _, new, _, fit = both_routes
    counts, design, contrasts, _ = nested_case
    genes = np.arange(0, len(fit.genes), 7)
    for contrast in contrasts:
        vector = contrast.vector(list(design.columns))
        test = fit.wald([vector])[0]
        reparametrised, index, basis = deseq2.reparametrised(design.to_numpy(float), vector)
        scale = min(np.sqrt(deseq2.apeglm_prior_variance(test["estimate"], test["se"])), 1.0)
        ours = deseq2.apeglm_map(fit.counts[genes], fit.size_factors, DesignBlocks.from_matrix(reparametrised),
                                 fit.dispersions[genes], index=index, prior_scale=scale,
                                 mle=fit.beta[genes] @ basis.T, mle_se=test["se"][genes])
        offset = np.log(fit.size_factors)
        differences = []
        for row, gene in enumerate(genes):
            size = 1 / fit.dispersions[gene]
            theirs, _, _ = nbinomGLM(reparametrised, fit.counts[gene], size, offset, 15, scale, shrink_index=index)
            value = nbinomFn(ours[row], reparametrised, fit.counts[gene], size, offset, 15, scale, index)
            reference = nbinomFn(theirs, reparametrised, fit.counts[gene], size, offset, 15, scale, index)
            assert value <= reference + 1e-6, (contrast.name, gene)
            differences.append(abs(ours[row, index] - theirs[index]) / np.log(2))
        assert np.quantile(differences, 0.9) < 0.05, contrast.name
        shrunk = new[contrast.name]["log2FoldChange_shrunk"]
        assert shrunk.notna().all()
        assert (shrunk.abs() <= new[contrast.name]["log2FoldChange"].abs() + 1e-6).mean() > 0.95


def test_results_do_not_depend_on_threads_and_barely_on_chunks(nested_case):
    """Threads share out fixed chunks, so the thread count never changes a number. The chunk size may, in the
    last bits (BLAS picks kernels by matrix shape), which the line search's 1e-6 tolerance can carry to 1e-4."""
    counts, design, contrasts, _ = nested_case
    subset = counts.iloc[:400]
    vector = contrasts[-1].vector(list(design.columns))
    one = deseq2.fit(subset, design, n_cpus=1, chunk_size=64)
    two = deseq2.fit(subset, design, n_cpus=2, chunk_size=64)
    np.testing.assert_array_equal(one.dispersions, two.dispersions)
    np.testing.assert_array_equal(one.beta, two.beta)
    np.testing.assert_array_equal(one.wald([vector])[0]["pvalue"], two.wald([vector])[0]["pvalue"])
    whole = deseq2.fit(subset, design, n_cpus=1, chunk_size=4096)
    np.testing.assert_allclose(whole.dispersions, one.dispersions, rtol=1e-3)
    np.testing.assert_allclose(whole.wald([vector])[0]["pvalue"], one.wald([vector])[0]["pvalue"], rtol=1e-3)


def test_reparametrised_design_makes_the_contrast_one_coefficient(nested_case):
    _, design, contrasts, _ = nested_case
    matrix = design.to_numpy(float)
    interaction = next(c for c in contrasts if c.name.startswith("interaction_")).vector(list(design.columns))
    beta = np.random.default_rng(3).normal(size=matrix.shape[1])
    reparametrised, index, basis = deseq2.reparametrised(matrix, interaction)
    np.testing.assert_allclose(reparametrised @ (basis @ beta), matrix @ beta)
    assert (basis @ beta)[index] == pytest.approx(interaction @ beta)


def test_too_few_samples_for_the_design():
    counts = pd.DataFrame(np.arange(1, 13).reshape(4, 3), index=list("abcd"), columns=["s1", "s2", "s3"])
    design = pd.DataFrame(np.eye(3), index=counts.columns, columns=["x", "y", "z"])
    with pytest.raises(ValueError, match="3 columns for 3 samples: no residual degrees of freedom"):
        deseq2.fit(counts, design)


def test_real_dataset_agrees_with_r():
    """airway (four cell lines before and after dexamethasone; tests/data/airway), fitted as a paired design."""
    from deseq2_cases import fit_case
    from test_de_vs_r import agreement, r_table

    tables, fit = fit_case(FIXTURES / "airway", n_cpus=2)
    table = tables["time_on_treatment_dexamethasone"]
    pearson, jaccard = agreement(table, r_table("airway", "time_on_treatment_dexamethasone"))
    assert pearson >= 0.9999 and jaccard >= 0.99, (pearson, jaccard)
    r_sizes = pd.read_csv(FIXTURES / "airway/r_size_factors.tsv", sep="\t").set_index("sample")
    np.testing.assert_allclose(fit.size_factors, r_sizes.loc[fit.obs_names, "size_factor"], rtol=1e-6)
    assert (table["padj"] < 0.05).sum() > 2000  # dexamethasone changes thousands of genes in these cells


@pytest.mark.parametrize("case", ["small_nested", "airway"])
def test_variance_stabilising_transformation_matches_r(case):
    """DESeq2's blind VST (network and co-expression stages) against R's varianceStabilizingTransformation."""
    counts, _, _, _ = load_case(FIXTURES / case)
    ours = deseq2.variance_stabilising_transformation(counts, n_cpus=2)
    theirs = pd.read_csv(FIXTURES / case / "r_vst.tsv.gz", sep="\t", index_col=0).loc[ours.index, ours.columns]
    assert np.abs(ours.to_numpy() - theirs.to_numpy()).max() < 1e-4

"""The mixed-model DE route (trialrna.mixed): R references, a closed-form case, and degenerate cohorts.

Against R (tests/fixtures/mixed, made by tests/fixtures/make_mixed_fixtures.py: 16 patients x 3 visits with missed
visits and one patient seen once, 42 samples, 457 genes; limma 3.54 voom, lme4 1.1-31 + lmerTest 3.1-3 gene by
gene, and variancePartition's eBayes steps), measured for each of the nine contrasts, with and without
moderation: the t statistics rank the genes identically (Spearman 1.0; required >= 0.99) and the padj < 0.05 sets
are identical (Jaccard 1.0, required >= 0.9; sets of 7 to 226 genes). More finely: log2 fold changes within 7e-6,
standard errors within 4.2e-5 and Satterthwaite df within 1.3e-4 (relative), p-values within 2.7e-4 (relative),
theta within 1e-4, sigma within 2.2e-5 (relative), rdf within 5e-4, the same 21 singular fits (theta = 0), the
moderation prior within 2e-7 (relative), voom weights within 7e-10 (relative).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, spearmanr
from scipy.stats import t as student_t

from trialrna.contrasts import Contrast, plan_contrasts
from trialrna.de import RESULT_COLUMNS
from trialrna.demo import demo_genes, simulate_clinical, simulate_counts
from trialrna.design import sample_metadata
from trialrna.errors import InputError
from trialrna.lmm import fit_random_intercept
from trialrna.mixed import MixedPlan, fit_mixed, plan_mixed, run_mixed
from trialrna.voom import voom

FIXTURES = Path(__file__).parent / "fixtures" / "mixed"
TIMEPOINTS = ["baseline", "on_treatment", "end_of_treatment"]
LRT = "lrt_time_by_response"


# --- R references ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixture_case():
    counts = pd.read_csv(FIXTURES / "counts.tsv.gz", sep="\t", index_col=0)
    design = pd.read_csv(FIXTURES / "design.tsv", sep="\t", index_col=0)
    patients = pd.read_csv(FIXTURES / "samples.tsv", sep="\t", dtype=str).set_index("sample")["patient"]
    weights = pd.read_csv(FIXTURES / "contrasts.tsv", sep="\t", index_col=0)
    contrasts = [Contrast(name, {column: value for column, value in row.items() if value}, "")
                 for name, row in weights.iterrows()]
    return counts, MixedPlan(design, patients.reindex(design.index), contrasts, [])


@pytest.fixture(scope="module", params=[False, True], ids=["lmerTest", "moderated"])
def fitted(request, fixture_case):
    counts, plan = fixture_case
    return request.param, fit_mixed(counts, plan, moderate=request.param, n_cpus=1, chunk_size=200)


def r_table(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"r_{name}.tsv.gz", sep="\t")


def test_voom_weights_match_limma(fixture_case):
    counts, plan = fixture_case
    _, weights = voom(counts.to_numpy(dtype=float), plan.design.to_numpy())
    expected = pd.read_csv(FIXTURES / "r_voom_weights.tsv.gz", sep="\t", index_col=0)[plan.design.index]
    np.testing.assert_allclose(weights, expected.to_numpy(), rtol=1e-8)


def test_every_contrast_agrees_with_lmertest(fixture_case, fitted):
    _, plan = fixture_case
    moderate, fit = fitted
    prefix = "mod_" if moderate else ""
    padj_ours = false_discovery_control(fit["pvalue"], axis=0)
    for position, contrast in enumerate(plan.contrasts):
        r = r_table(contrast.name)
        rho = spearmanr(fit["stat"][:, position], r[f"{prefix}stat"])[0]
        ours = set(np.flatnonzero(padj_ours[:, position] < 0.05))
        theirs = set(np.flatnonzero(r[f"{prefix}padj"].to_numpy() < 0.05))
        jaccard = len(ours & theirs) / len(ours | theirs)
        assert rho >= 0.99 and jaccard >= 0.9, (contrast.name, moderate, rho, jaccard)
        assert theirs, contrast.name  # the fixture has significant genes in every contrast
        # Closer than the requirement: the same estimates, standard errors and degrees of freedom.
        np.testing.assert_allclose(fit["estimate"][:, position], r["log2FoldChange"], atol=1e-4)
        np.testing.assert_allclose(fit["se"][:, position], r[f"{prefix}lfcSE"], rtol=1e-3)
        np.testing.assert_allclose(fit["df"][:, position], r[f"{prefix}df"], rtol=1e-3)
        np.testing.assert_allclose(fit["pvalue"][:, position], r[f"{prefix}pvalue"], rtol=1e-3)


def test_variance_parameters_and_prior_match_r(fitted):
    moderate, fit = fitted
    r = pd.read_csv(FIXTURES / "r_fit.tsv.gz", sep="\t")
    np.testing.assert_allclose(fit["theta"], r["theta"], atol=1e-3)
    np.testing.assert_allclose(fit["sigma"], r["sigma"], rtol=1e-4)
    np.testing.assert_allclose(fit["residual_df"], r["rdf"], atol=1e-2)
    if moderate:
        prior = pd.read_csv(FIXTURES / "r_moderation.tsv", sep="\t").iloc[0]
        assert fit["prior_df"] == pytest.approx(prior["prior_df"], rel=1e-4)
        assert fit["prior_variance"] == pytest.approx(prior["prior_variance"], rel=1e-4)


def test_fixture_design_is_the_planners(annotation, fixture_case):
    """The saved design is what plan_mixed builds from the fixture cohort (script and module stay in step)."""
    sys.path.insert(0, str(FIXTURES.parent))
    try:
        from make_mixed_fixtures import cohort
    finally:
        sys.path.remove(str(FIXTURES.parent))
    _, metadata = cohort()
    plan = plan_mixed(metadata, covariates=["arm"])
    _, saved = fixture_case
    pd.testing.assert_frame_equal(plan.design, saved.design, check_names=False)
    assert plan.contrast_names == saved.contrast_names


# --- closed form: a balanced random-intercept design -------------------------------------------------------------

def balanced_case(*, per_group: int = 4, visits: int = 3, genes: int = 6, seed: int = 4):
    """Unit weights, cell means per group and visit, every patient at every visit."""
    rng = np.random.default_rng(seed)
    patients = np.repeat(np.arange(2 * per_group), visits)
    group = patients // per_group
    visit = np.tile(np.arange(visits), 2 * per_group)
    design = np.stack([((group == g) & (visit == v)).astype(float) for g in range(2) for v in range(visits)], axis=1)
    y = (design @ rng.normal(0, 1, design.shape[1]) + rng.normal(0, 2.0, (genes, 2 * per_group))[:, patients]
         + rng.normal(0, 1, (genes, len(patients))))
    return y, design, patients, group, visit


def anova(y: np.ndarray, patients: np.ndarray, group: np.ndarray, visit: np.ndarray):
    """Mean squares of patients within groups and of the residual, with their degrees of freedom."""
    def means(labels: np.ndarray) -> np.ndarray:  # each sample's mean over the samples sharing its label
        _, codes = np.unique(labels, axis=0, return_inverse=True)
        indicator = (codes.ravel()[:, None] == np.arange(codes.max() + 1)).astype(float)
        return y @ indicator @ (indicator / indicator.sum(axis=0)).T

    cell, patient, group_mean = means(np.c_[group, visit]), means(patients), means(group)
    m, visits = len(np.unique(patients)), len(np.unique(visit))
    df_patient, df_error = m - 2, (m - 2) * (visits - 1)
    ms_patient = ((patient - group_mean) ** 2).sum(axis=1) / df_patient
    ms_error = ((y - patient - cell + group_mean) ** 2).sum(axis=1) / df_error
    return ms_patient, df_patient, ms_error, df_error


def test_balanced_design_has_the_anova_closed_form():
    """Balanced: REML gives sigma^2 = MS_error, sigma_b^2 = (MS_patient - MS_error) / T, and Satterthwaite's df
    are the classical ones: df_error for within-patient contrasts (time, interaction) and
    (MS_P + (T-1) MS_E)^2 / (MS_P^2 / df_P + ((T-1) MS_E)^2 / df_E) for the between-patient response contrast."""
    per_group, visits = 4, 3
    y, design, patients, group, visit = balanced_case(per_group=per_group, visits=visits)
    ms_p, df_p, ms_e, df_e = anova(y, patients, group, visit)
    assert (ms_p > ms_e).all()  # interior REML solutions
    # Cells: (g0, v0), (g0, v1), (g0, v2), (g1, v0), ...; group 1 plays the responders.
    response = np.array([-1, 0, 0, 1, 0, 0.0])
    time = np.array([0, 0, 0, -1, 1, 0.0])
    interaction = np.array([1, -1, 0, -1, 1, 0.0])
    fit = fit_random_intercept(y, np.ones_like(y), design, patients, contrasts=np.stack([response, time,
                                                                                          interaction]))
    np.testing.assert_allclose(fit["sigma"] ** 2, ms_e, rtol=1e-6)
    np.testing.assert_allclose((fit["theta"] * fit["sigma"]) ** 2, (ms_p - ms_e) / visits, rtol=1e-6)
    between = (ms_p + (visits - 1) * ms_e) / visits
    expected_var = np.stack([between * 2 / per_group, ms_e * 2 / per_group, ms_e * 4 / per_group], axis=1)
    np.testing.assert_allclose(fit["unscaled_variance"] * fit["sigma"][:, None] ** 2, expected_var, rtol=1e-6)
    satterthwaite = (ms_p + (visits - 1) * ms_e) ** 2 / (ms_p ** 2 / df_p + ((visits - 1) * ms_e) ** 2 / df_e)
    np.testing.assert_allclose(fit["df"], np.stack([satterthwaite, np.full_like(ms_e, df_e),
                                                    np.full_like(ms_e, df_e)], axis=1), rtol=1e-6)
    cells = y @ design / design.sum(axis=0)
    np.testing.assert_allclose(fit["estimate"], cells @ np.stack([response, time, interaction]).T, atol=1e-10)


def test_no_patient_variance_is_a_boundary_fit_with_least_squares_df():
    """Patient means equal to their group's mean: theta = 0 (lme4's singular fit) and every df is n - p."""
    y, design, patients, group, visit = balanced_case(genes=3, seed=5)
    frame = pd.DataFrame(y.T).assign(patient=patients, group=group)
    y = y - frame.groupby("patient").transform("mean").drop(columns="group").to_numpy().T \
        + frame.groupby("group").transform("mean").drop(columns="patient").to_numpy().T
    contrasts = np.array([[-1, 0, 0, 1, 0, 0.0], [0, 0, 0, -1, 1, 0.0]])
    fit = fit_random_intercept(y, np.ones_like(y), design, patients, contrasts=contrasts)
    assert (fit["theta"] == 0).all()
    n, p = design.shape
    np.testing.assert_allclose(fit["df"], n - p)
    residual = y - y @ (design @ np.linalg.pinv(design)).T
    np.testing.assert_allclose(fit["sigma"] ** 2, (residual ** 2).sum(axis=1) / (n - p), rtol=1e-10)
    np.testing.assert_allclose(fit["residual_df"], n - p, rtol=1e-10)


# --- the route on small cohorts, and degenerate ones -------------------------------------------------------------

@pytest.fixture(scope="module")
def small(annotation):
    """10 patients x 3 visits x 300 genes from the demo generator."""
    samples, clinical = simulate_clinical(n_patients=10, seed=3, timepoints=TIMEPOINTS, missed_visit_rate=0)
    clinical["best_response"] = ["PR", "SD", "CR", "PD", "PR", "SD", "PD", "CR", "PR", "PD"]
    samples = pd.DataFrame([(f"{p}_{v}", p, v) for p in clinical["patient"] for v in TIMEPOINTS],
                           columns=["sample", "patient", "timepoint"])
    genes = demo_genes(annotation, n_genes=300, seed=3)
    counts, _ = simulate_counts(samples, clinical, genes=genes, seed=3, timepoints=TIMEPOINTS)
    return counts, samples, clinical, genes


def metadata_of(samples: pd.DataFrame, clinical: pd.DataFrame, visits=TIMEPOINTS) -> pd.DataFrame:
    return sample_metadata(samples, clinical, rule="orr", timepoints=visits)


def run(counts, metadata, genes, **options):
    return run_mixed(counts, metadata, genes=genes, covariates=["arm"], n_cpus=1, min_count=10, min_samples=3,
                     **options)


def assert_same_plan_as_deseq2(metadata: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> None:
    planner = plan_contrasts(metadata, covariates=["arm"])
    assert list(tables) == planner.contrast_names
    assert plan_mixed(metadata, covariates=["arm"]).skipped == [(name, reason) for name, reason in planner.skipped
                                                                if name != LRT]


def test_result_tables_have_the_deseq2_columns_and_signs(small):
    """A gene raised four-fold in responders on treatment: positive log2FC (first named group higher) in
    response_on_treatment, time_on_treatment_responders and interaction_on_treatment."""
    counts, samples, clinical, genes = small
    metadata = metadata_of(samples, clinical)
    raised = counts.copy()
    columns = metadata.loc[(metadata["group"] == "responders") & (metadata["timepoint"] == "on_treatment"), "sample"]
    gene = (raised.mean(axis=1) - 2000).abs().idxmin()  # well expressed, far from taking the library over
    raised.loc[gene, columns] *= 4
    tables = run(raised, metadata, genes)
    assert_same_plan_as_deseq2(metadata, tables)
    for table in tables.values():
        assert list(table.columns) == RESULT_COLUMNS
        assert table["log2FoldChange_shrunk"].isna().all() and (table["baseMean"] > 0).all()
        assert np.allclose(table["stat"], table["log2FoldChange"] / table["lfcSE"])
    for name in ("response_on_treatment", "time_on_treatment_responders", "interaction_on_treatment"):
        row = tables[name].set_index("gene_id").loc[gene]
        assert 1.2 < row["log2FoldChange"] < 2.8 and row["pvalue"] < 0.01, (name, row)
    change = {name: tables[name]["log2FoldChange"].to_numpy() for name in tables}
    np.testing.assert_allclose(change["interaction_on_treatment"], change["time_on_treatment_responders"]
                               - change["time_on_treatment_non_responders"], atol=1e-10)


def test_one_response_group_fits_its_time_contrasts_only(small):
    counts, samples, clinical, genes = small
    clinical = clinical.assign(best_response="PR")
    metadata = metadata_of(samples, clinical)
    tables = run(counts, metadata, genes)
    assert sorted(tables) == ["time_end_of_treatment_responders", "time_on_treatment_responders"]
    assert_same_plan_as_deseq2(metadata, tables)


def test_single_visit_is_weighted_least_squares(small):
    """One visit: no patient has two samples, so the model has no random intercept and equals voom + lmFit."""
    counts, samples, clinical, genes = small
    samples = samples[samples["timepoint"] == "baseline"]
    metadata = metadata_of(samples, clinical, visits=["baseline"])
    tables = run(counts, metadata, genes, moderate=False)
    assert list(tables) == ["response_baseline"]
    assert_same_plan_as_deseq2(metadata, tables)
    plan = plan_mixed(metadata, covariates=["arm"])
    expressed = counts.loc[tables["response_baseline"]["gene_id"], plan.design.index].to_numpy(dtype=float)
    design = plan.design.to_numpy()
    expression, weights = voom(expressed, design)
    contrast = plan.contrasts[0].vector(list(plan.design.columns))
    n, p = design.shape
    for row in (0, 7, 42):
        gram = design.T @ (weights[row][:, None] * design)
        beta = np.linalg.solve(gram, design.T @ (weights[row] * expression[row]))
        variance = (weights[row] * (expression[row] - design @ beta) ** 2).sum() / (n - p)
        stat = contrast @ beta / np.sqrt(variance * contrast @ np.linalg.solve(gram, contrast))
        assert tables["response_baseline"]["stat"].iat[row] == pytest.approx(stat, rel=1e-9)
        assert tables["response_baseline"]["pvalue"].iat[row] == pytest.approx(2 * student_t.sf(abs(stat), n - p),
                                                                               rel=1e-9)


def test_patients_seen_once_are_kept_and_the_skips_match_the_planner(small):
    counts, samples, clinical, genes = small
    once = ["P001", "P002", "P003"]
    samples = samples[~samples["patient"].isin(once) | (samples["timepoint"] == "baseline")]
    metadata = metadata_of(samples, clinical)
    tables = run(counts, metadata, genes)
    assert_same_plan_as_deseq2(metadata, tables)
    assert set(once) <= set(plan_contrasts(metadata, covariates=["arm"]).dropped_patients)
    assert set(once) <= set(plan_mixed(metadata, covariates=["arm"]).patients)


def test_covariate_confounded_with_response_is_an_input_error(small):
    counts, samples, clinical, genes = small
    metadata = metadata_of(samples, clinical)
    responders = metadata["group"] == "responders"
    metadata["arm"] = np.where(responders, "eribulin_bevacizumab", "eribulin")
    with pytest.raises(InputError, match="not full rank"):
        run(counts, metadata, genes)


def test_no_patient_with_a_response_group_tests_nothing(small):
    counts, samples, clinical, genes = small
    metadata = metadata_of(samples, clinical.assign(best_response="NE"))
    assert run(counts, metadata, genes) == {}
    assert_same_plan_as_deseq2(metadata, {})


def test_results_do_not_depend_on_chunks_or_threads(fixture_case):
    counts, plan = fixture_case
    one = fit_mixed(counts, plan, n_cpus=1, chunk_size=1000)
    many = fit_mixed(counts, plan, n_cpus=2, chunk_size=64)
    for key in ("estimate", "se", "df", "pvalue", "theta"):
        np.testing.assert_allclose(one[key], many[key], rtol=1e-9, atol=1e-12)

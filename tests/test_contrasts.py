"""The contrast planner: names, designs, skips with reasons, and the plain-words full-rank check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialrna.contrasts import plan_contrasts, plan_table, scope_plans
from trialrna.design import sample_metadata
from trialrna.errors import InputError

VISITS = ["baseline", "on_treatment", "end_of_treatment"]


def cohort(responses: dict[str, str], *, visits=VISITS, missing=(), arms: dict[str, str] | None = None,
           ages: dict[str, int] | None = None) -> pd.DataFrame:
    """Metadata for patients with the given best responses, at every visit except ``missing`` (patient, visit)."""
    clinical = pd.DataFrame({"patient": list(responses), "best_response": list(responses.values())})
    clinical["arm"] = clinical["patient"].map(arms or {}).fillna("eribulin")
    clinical["age"] = clinical["patient"].map(ages or {}).fillna(60)
    samples = pd.DataFrame([(f"{p}_{v}", p, v) for p in responses for v in visits if (p, v) not in set(missing)],
                           columns=["sample", "patient", "timepoint"])
    return sample_metadata(samples, clinical, rule="orr", timepoints=visits)


FOUR = {"P1": "PR", "P2": "CR", "P3": "SD", "P4": "PD"}


def test_full_contrast_set_and_names():
    plan = plan_contrasts(cohort(FOUR | {"P5": "NE"}), covariates=[])
    assert plan.contrast_names == [
        "response_baseline", "response_on_treatment", "response_end_of_treatment",
        "time_on_treatment_responders", "time_on_treatment_non_responders", "interaction_on_treatment",
        "time_end_of_treatment_responders", "time_end_of_treatment_non_responders", "interaction_end_of_treatment"]
    longitudinal = plan.fit("longitudinal")
    assert longitudinal.lrt_name == "lrt_time_by_response"
    assert not longitudinal.design.index.str.startswith("P5").any()  # NE excluded
    # Intercept, group, one patient column per group, group x 2 visits
    assert longitudinal.design.shape == (12, 1 + 1 + 2 + 4)
    assert longitudinal.reduced.shape == (12, 1 + 1 + 2 + 2)
    interaction = next(c for c in longitudinal.contrasts if c.name == "interaction_end_of_treatment")
    assert interaction.weights == {"responders:end_of_treatment": 1.0, "non_responders:end_of_treatment": -1.0}
    assert interaction.coefficient is None
    assert next(c for c in longitudinal.contrasts if c.name.startswith("time_")).coefficient is not None


def test_nested_design_is_the_deseq2_vignette_design():
    """Same column space as model.matrix(~ group + group:patient_n + group:timepoint) with zero columns dropped."""
    metadata = cohort(FOUR)
    design = plan_contrasts(metadata, covariates=[]).fit("longitudinal").design
    group = metadata["group"].astype(str).to_numpy()
    patient_n = metadata.groupby("group", observed=True)["patient"].transform(
        lambda p: pd.factorize(p, sort=True)[0]).to_numpy()
    columns = [np.ones(len(metadata)), (group == "responders").astype(float)]
    for g in ("non_responders", "responders"):
        columns += [((group == g) & (patient_n == n)).astype(float) for n in (1,)]
        columns += [((group == g) & (metadata["timepoint"] == v)).astype(float).to_numpy() for v in VISITS[1:]]
    reference = np.column_stack(columns)
    combined = np.column_stack([reference, design.to_numpy()])
    assert np.linalg.matrix_rank(combined) == np.linalg.matrix_rank(reference) == design.shape[1]


def test_single_visit_cohort_runs_cross_sectional_only():
    plan = plan_contrasts(cohort(FOUR, visits=["baseline"]), covariates=[])
    assert plan.contrast_names == ["response_baseline"]


def test_patients_with_one_visit_are_dropped_from_paired_contrasts_and_counted():
    metadata = cohort(FOUR | {"P6": "SD"}, missing=[("P6", "on_treatment"), ("P6", "end_of_treatment")])
    plan = plan_contrasts(metadata, covariates=[])
    assert plan.dropped_patients == ["P6"]
    assert "P6_baseline" in plan.fit("cross_sectional_baseline").design.index
    assert "P6_baseline" not in plan.fit("longitudinal").design.index
    note = plan_table({"": plan}).query("status == 'note'")
    assert "1 patient(s) with a single visit dropped: P6" in note["description"].iat[0]


def test_missing_visit_drops_all_zero_columns_and_skips_contrasts():
    """Only one responder has an end-of-treatment sample: its time contrast and the interaction are skipped."""
    metadata = cohort(FOUR, missing=[("P2", "end_of_treatment")])
    plan = plan_contrasts(metadata, covariates=[])
    assert "time_end_of_treatment_responders" not in plan.contrast_names
    assert "interaction_end_of_treatment" not in plan.contrast_names
    assert "time_end_of_treatment_non_responders" in plan.contrast_names
    skipped = dict(plan.skipped)
    assert "fewer than 2 responders patients" in skipped["time_end_of_treatment_responders"]
    assert "response_end_of_treatment" in skipped
    design = plan.fit("longitudinal").design
    assert "responders:end_of_treatment" not in design.columns
    assert (design.abs().sum() > 0).all()


def test_group_with_fewer_than_two_samples_is_a_logged_skip(caplog):
    plan = plan_contrasts(cohort({"P1": "PR", "P3": "SD", "P4": "PD"}), covariates=[])
    assert plan.fits == [] or all(fit.name != "cross_sectional_baseline" for fit in plan.fits)
    assert "1 responders, 2 non-responders" in dict(plan.skipped)["response_baseline"]
    assert "skipped response_baseline" in caplog.text


def test_confounded_covariate_is_explained_in_plain_words():
    arms = {"P1": "bev", "P2": "bev", "P3": "eri", "P4": "eri"}
    with pytest.raises(InputError) as error:
        plan_contrasts(cohort(FOUR, arms=arms), covariates=["arm"])
    message = str(error.value)
    assert "contrast response_baseline is not full rank" in message
    assert "arm is identical to response in this cohort" in message
    assert "bev -> responders" in message and "de.covariates" in message


def test_numeric_covariate_is_standardised_and_constant_ones_left_out():
    ages = {"P1": 50, "P2": 70, "P3": 40, "P4": 65, "P5": 58, "P6": 61}
    metadata = cohort(FOUR | {"P5": "PR", "P6": "SD"}, ages=ages)
    design = plan_contrasts(metadata, covariates=["age", "arm"]).fit("cross_sectional_baseline").design
    assert list(design.columns) == ["Intercept", "age", "group_responders"]  # arm has one value: left out
    assert design["age"].mean() == pytest.approx(0) and design["age"].std() == pytest.approx(1)


def test_unknown_covariate():
    with pytest.raises(InputError, match="de.covariates: sample and clinical sheet column.s. batch missing"):
        plan_contrasts(cohort(FOUR), covariates=["batch"])


def test_per_arm_scopes_leave_out_the_arm_covariate():
    arms = {p: ("bev" if i % 2 else "eri") for i, p in enumerate(["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"])}
    responses = {"P1": "PR", "P2": "PR", "P3": "CR", "P4": "PR", "P5": "SD", "P6": "PD", "P7": "SD", "P8": "PD"}
    plans = scope_plans(cohort(responses, arms=arms), covariates=["arm"], per_arm=True)
    assert list(plans) == ["", "arm_bev/", "arm_eri/"]
    assert "arm_eri" in plans[""].fit("cross_sectional_baseline").design.columns
    assert list(plans["arm_bev/"].fit("cross_sectional_baseline").design.columns) == ["Intercept",
                                                                                       "group_responders"]


# Cohorts that cannot support a contrast: recorded as skipped with the reason, never an error.
ALL_NE = "no patient has a response group: all 3 patients are not evaluable (NE)"
NO_NON_RESPONDERS = ("no non-responders under response.rule orr (responders CR/PR, non-responders SD/PD): "
                     "3 responders, 0 non-responders, 1 not evaluable (NE)")
SINGLE_VISIT = "a single visit (baseline) in the sample sheet: no change over time can be estimated"


def skipped_rows(plan) -> dict[str, str]:
    table = plan_table({"": plan})
    return dict(table.loc[table["status"] == "skipped", ["contrast", "description"]].itertuples(index=False))


def test_every_patient_not_evaluable_skips_every_contrast_with_the_reason():
    plan = plan_contrasts(cohort({"P1": "NE", "P2": "NE", "P3": "NE"}), covariates=["arm"], response_rule="orr")
    assert plan.fits == []
    skipped = skipped_rows(plan)
    assert list(skipped) == [
        "response_baseline", "response_on_treatment", "response_end_of_treatment",
        "time_on_treatment_responders", "time_on_treatment_non_responders", "time_end_of_treatment_responders",
        "time_end_of_treatment_non_responders", "interaction_on_treatment", "interaction_end_of_treatment",
        "lrt_time_by_response"]
    assert set(skipped.values()) == {ALL_NE}


def test_one_response_group_still_fits_its_time_contrasts():
    metadata = cohort({"P1": "PR", "P2": "CR", "P3": "PR", "P4": "NE"})
    plan = plan_contrasts(metadata, covariates=["arm"], response_rule="orr")
    assert plan.contrast_names == ["time_on_treatment_responders", "time_end_of_treatment_responders"]
    design = plan.fit("longitudinal").design
    assert "group_responders" not in design.columns  # constant with one group
    assert np.linalg.matrix_rank(design.to_numpy()) == design.shape[1]
    skipped = skipped_rows(plan)
    for name in ("response_baseline", "time_on_treatment_non_responders", "interaction_end_of_treatment",
                 "lrt_time_by_response"):
        assert skipped[name] == NO_NON_RESPONDERS


def test_no_responders_under_the_cbr_rule_names_the_rule():
    plan = plan_contrasts(cohort({"P1": "PD", "P2": "PD"}), covariates=[], response_rule="cbr")
    assert skipped_rows(plan)["response_baseline"] == (
        "no responders under response.rule cbr (responders CR/PR/SD, non-responders PD): 0 responders, "
        "2 non-responders, 0 not evaluable (NE)")


def test_three_samples_skip_with_the_group_sizes():
    plan = plan_contrasts(cohort({"P1": "PR", "P2": "SD", "P3": "PD"}, visits=["baseline"]), covariates=["arm"])
    assert plan.fits == []
    assert skipped_rows(plan)["response_baseline"] == (
        "fewer than 2 samples in a group at baseline (1 responders, 2 non-responders)")


def test_single_visit_skips_time_interaction_and_lrt_with_the_reason():
    plan = plan_contrasts(cohort(FOUR, visits=["baseline"]), covariates=[])
    assert plan.contrast_names == ["response_baseline"]
    assert skipped_rows(plan) == {"time_*": SINGLE_VISIT, "interaction_*": SINGLE_VISIT,
                                  "lrt_time_by_response": SINGLE_VISIT}


def test_patient_with_only_a_baseline_sample_explains_the_missing_lrt():
    metadata = cohort(FOUR, missing=[("P4", "on_treatment"), ("P4", "end_of_treatment")])
    plan = plan_contrasts(metadata, covariates=[])
    assert plan.dropped_patients == ["P4"]
    assert plan.fit("longitudinal").lrt_name is None
    skipped = skipped_rows(plan)
    assert skipped["time_on_treatment_non_responders"] == (
        "fewer than 2 non-responders patients with on_treatment and another visit (1)")
    assert skipped["interaction_on_treatment"] == (
        "needs the on_treatment change in both groups (non-responders: fewer than 2 non-responders patients with "
        "on_treatment and another visit (1))")
    assert skipped["lrt_time_by_response"] == (
        "needs a visit after baseline with the change estimable in both response groups; no visit has it (see the "
        "interaction contrasts)")
    notes = plan_table({"": plan}).query("status == 'note'")["description"].tolist()
    assert notes == ["1 patient(s) with a single visit dropped: P4"]


def test_group_without_baseline_samples_skips_its_time_contrasts():
    metadata = cohort(FOUR, missing=[("P1", "baseline"), ("P2", "baseline")])
    plan = plan_contrasts(metadata, covariates=[])
    assert skipped_rows(plan)["time_on_treatment_responders"] == (
        "none of the responders with another visit has a baseline sample")
    assert "time_on_treatment_non_responders" in plan.contrast_names


def test_arm_with_one_response_group_is_skipped_not_an_error():
    arms = {"P1": "bev", "P2": "bev", "P3": "eri", "P4": "eri", "P5": "eri", "P6": "bev"}
    plans = scope_plans(cohort(FOUR | {"P5": "PR", "P6": "PR"}, arms=arms), covariates=["arm"], per_arm=True,
                        response_rule="orr")
    assert plans["arm_bev/"].contrast_names == ["time_on_treatment_responders", "time_end_of_treatment_responders"]
    assert skipped_rows(plans["arm_bev/"])["response_baseline"].startswith("no non-responders under response.rule")

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
    with pytest.raises(InputError, match="de.covariates batch are not columns"):
        plan_contrasts(cohort(FOUR), covariates=["batch"])


def test_per_arm_scopes_leave_out_the_arm_covariate():
    arms = {p: ("bev" if i % 2 else "eri") for i, p in enumerate(["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"])}
    responses = {"P1": "PR", "P2": "PR", "P3": "CR", "P4": "PR", "P5": "SD", "P6": "PD", "P7": "SD", "P8": "PD"}
    plans = scope_plans(cohort(responses, arms=arms), covariates=["arm"], per_arm=True)
    assert list(plans) == ["", "arm_bev/", "arm_eri/"]
    assert "arm_eri" in plans[""].fit("cross_sectional_baseline").design.columns
    assert list(plans["arm_bev/"].fit("cross_sectional_baseline").design.columns) == ["Intercept",
                                                                                       "group_responders"]

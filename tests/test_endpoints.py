"""Clinical endpoints: rates and CIs, survival, QLQ-C30 scoring, safety, sample flow, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from scipy.stats import binomtest, fisher_exact

from trialrna.cohort import load_optional_clinical_tables, load_sample_metadata
from trialrna.contrasts import plan_contrasts
from trialrna.design import response_group, sample_metadata
from trialrna.endpoints import (
    biomarker_associations,
    rate_differences,
    response_rates,
    score_associations,
    survival_table,
)
from trialrna.errors import InputError
from trialrna.flow import sample_flow
from trialrna.qlq_c30 import change_from_baseline, score_qlq_c30
from trialrna.safety import common_terms, safety_summary

SCHEMAS = Path(__file__).resolve().parents[1] / "workflow/schemas"
VISITS = ["baseline", "on_treatment", "end_of_treatment"]


def clinical_table() -> pd.DataFrame:
    codes = ["CR", "PR", "PR", "SD", "SD", "PD", "NE", "PR", "SD", "PD", "PD", "PD"]
    arms = ["bev"] * 7 + ["eri"] * 5
    table = pd.DataFrame({"patient": [f"P{i}" for i in range(12)], "arm": arms, "best_response": codes,
                          "sd_weeks": [np.nan, np.nan, np.nan, 30, 10, np.nan, np.nan, np.nan, 26, np.nan, np.nan,
                                       np.nan],
                          "pfs_months": [12, 10, 8, 6, 5, 2, 1, 9, 7, 3, 2, 1.5],
                          "pfs_event": [0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1]})
    return table.assign(group=response_group(table["best_response"], rule="orr"))


def test_response_rates_with_exact_intervals():
    rates = response_rates(clinical_table()).set_index(["arm", "endpoint"])
    orr = rates.loc[("bev", "ORR")]
    assert (orr["n"], orr["responders"]) == (7, 3)  # NE stays in the denominator (intention to treat)
    expected = binomtest(3, 7).proportion_ci(method="exact")
    assert orr["ci_low"] == pytest.approx(expected.low) and orr["ci_high"] == pytest.approx(expected.high)
    # Published Clopper-Pearson interval for 3/7: 0.0990 to 0.8159.
    assert (round(orr["ci_low"], 4), round(orr["ci_high"], 4)) == (0.099, 0.8159)
    assert rates.loc[("all", "DCR"), "responders"] == 7 and rates.loc[("all", "DCR"), "n"] == 12


def test_evaluable_only_and_sd_duration():
    rates = response_rates(clinical_table(), evaluable_only=True, sd_duration_column="sd_weeks",
                           cbr_min_sd_weeks=24).set_index(["arm", "endpoint"])
    assert rates.loc[("bev", "ORR"), "n"] == 6
    assert rates.loc[("bev", "CBR"), "responders"] == 4  # SD of 10 weeks does not count
    assert rates.loc[("bev", "DCR"), "responders"] == 5


def test_rate_difference_newcombe_and_fisher():
    rates = response_rates(clinical_table())
    difference = rate_differences(rates, control="eri").set_index("endpoint").loc["ORR"]
    assert difference["difference"] == pytest.approx(3 / 7 - 1 / 5)
    assert difference["fisher_p"] == pytest.approx(fisher_exact([[3, 4], [1, 4]]).pvalue)
    assert difference["ci_low"] < difference["difference"] < difference["ci_high"]
    # Newcombe's hybrid score interval (his method 10), worked from the two Wilson score intervals.
    def wilson(k, n, z=1.959964):
        centre, half = (k / n + z * z / (2 * n)), z * np.sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n))
        return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)

    (l1, u1), (l2, u2), d = wilson(3, 7), wilson(1, 5), 3 / 7 - 1 / 5
    assert difference["ci_low"] == pytest.approx(d - np.hypot(3 / 7 - l1, u2 - 1 / 5), abs=1e-6)
    assert difference["ci_high"] == pytest.approx(d + np.hypot(u1 - 3 / 7, 1 / 5 - l2), abs=1e-6)


def test_kaplan_meier_median_by_hand_and_cox_against_lifelines():
    table = survival_table(clinical_table(), control="eri").set_index(["endpoint", "comparison", "group"])
    # eri: times 9+ (censored), 7, 3, 2, 1.5: S drops to 0.8, 0.6, 0.4 at 1.5, 2, 3 -> median = 3.
    assert table.loc[("PFS", "arm", "eri"), "median"] == 3
    assert table.loc[("PFS", "arm", "eri"), ["n", "events"]].tolist() == [5, 4]
    data = clinical_table()
    cox = CoxPHFitter().fit(pd.DataFrame({"time": data["pfs_months"], "event": data["pfs_event"],
                                          "x": (data["arm"] == "bev").astype(float)}), "time", "event")
    assert table.loc[("PFS", "arm", "bev"), "hr"] == pytest.approx(cox.hazard_ratios_["x"])
    assert table.loc[("PFS", "response", "responders"), "n"] == 4  # NE has no group


def test_score_associations_auc_by_hand_and_cox_per_sd():
    data = clinical_table()
    # ORR groups: responders P0, P1, P2, P7; non-responders P3, P4, P5, P8, P9, P10, P11; P6 is NE.
    score = pd.Series(np.arange(12, dtype=float), index=data["patient"])
    score["P1"] = 9.5  # one responder above two non-responders (P8 = 8, P9 = 9)
    table = score_associations(score, data, name="hubs").set_index("endpoint")
    # AUC = share of the 4 x 7 (non-responder, responder) pairs where the non-responder scores higher: every
    # non-responder beats 0 and 2 (14 pairs); against 7, the four above it (8, 9, 10, 11) win; against 9.5, two
    # (10, 11) do: 14 + 4 + 2 = 20 of 28.
    assert table.loc["response", "estimate"] == pytest.approx(20 / 28)
    assert table.loc["response", "n"] == 11
    standardised = (score - score.mean()) / score.std()
    cox = CoxPHFitter().fit(pd.DataFrame({"time": data["pfs_months"].to_numpy(), "event": data["pfs_event"].to_numpy(),
                                          "score": standardised.to_numpy()}), "time", "event")
    assert table.loc["PFS", "estimate"] == pytest.approx(cox.hazard_ratios_["score"])
    empty = score_associations(pd.Series(np.nan, index=data["patient"]), data, name="hubs")
    assert empty.empty and "estimate" in empty.columns


def test_qlq_c30_scoring_hand_worked():
    answers = {f"q{i}": 1 for i in range(1, 31)}
    answers.update(q2=2, q6=np.nan, q7=2, q8=np.nan, q10=2, q12=np.nan, q18=3, q29=5, q30=6)
    scores = score_qlq_c30(pd.DataFrame([{"patient": "P1", "visit": "baseline", **answers}])).iloc[0]
    assert scores["PF2"] == pytest.approx((1 - (6 / 5 - 1) / 3) * 100)  # items 1-5 = 1,2,1,1,1: 93.33
    assert scores["RF2"] == pytest.approx((1 - (2 - 1) / 3) * 100)  # one of two items answered: 66.67
    assert scores["FA"] == pytest.approx((2.5 - 1) / 3 * 100)  # items 10, 18 answered (2 of 3): 50
    assert np.isnan(scores["DY"])  # single item missing: not scored
    assert scores["QL2"] == pytest.approx((5.5 - 1) / 6 * 100)  # 75
    assert scores["NV"] == 0 and scores["EF"] == 100


def test_qlq_change_from_baseline():
    rows = [{"patient": "P1", "visit": v, **{f"q{i}": 1 for i in range(1, 31)}, "q29": q, "q30": q}
            for v, q in (("baseline", 7), ("on_treatment", 4))]
    change = change_from_baseline(score_qlq_c30(pd.DataFrame(rows)), pd.DataFrame({"patient": ["P1"],
                                                                                   "arm": ["bev"]}), visits=VISITS)
    ql2 = change[change["scale"] == "QL2"].iloc[0]
    assert (ql2["visit"], ql2["n"], ql2["mean_change"]) == ("on_treatment", 1, pytest.approx(-50))


def test_safety_table():
    events = pd.DataFrame({"patient": ["P0", "P0", "P1", "P7", "P8"],
                           "term": ["Hypertension", "Hypertension", "Fatigue", "Fatigue", "Nausea"],
                           "grade": [2, 3, 1, 4, 2], "related": [1, 1, 1, 1, 0]})
    clinical = clinical_table()
    summary = safety_summary(events, clinical).set_index(["arm", "category"])
    assert summary.loc[("bev", "any treatment-related AE"), "with_event"] == 2
    assert summary.loc[("eri", "grade >= 3 treatment-related AE"), "with_event"] == 1
    assert summary.loc[("eri", "any adverse event"), "with_event"] == 2
    terms = common_terms(events, clinical).set_index("term")
    assert terms.loc["Hypertension", "bev_any_grade"] == 1 and terms.loc["Hypertension", "bev_grade_3_plus"] == 1
    assert terms.loc["Fatigue", "eri_grade_3_plus_pct"] == pytest.approx(20)
    assert "Nausea" not in terms.index  # not treatment-related


def test_sample_flow_counts():
    clinical = clinical_table()
    samples = pd.DataFrame([(f"{p}_{v}", p, v) for p in clinical["patient"] for v in VISITS
                            if not (p == "P5" and v != "baseline")], columns=["sample", "patient", "timepoint"])
    metadata = sample_metadata(samples, clinical.drop(columns="group"), rule="orr", timepoints=VISITS)
    flow = sample_flow(clinical, metadata, plan_contrasts(metadata, covariates=[])).set_index(["arm", "step"])
    assert flow.loc[("bev", "randomised"), "patients"] == 7
    assert flow.loc[("bev", "excluded: response not evaluable (NE)"), "patients"] == 1
    assert flow.loc[("bev", "excluded from paired contrasts: single visit"), "patients"] == 1
    assert flow.loc[("bev", "analysed: paired and interaction contrasts"), "patients"] == 5


def test_biomarker_association():
    clinical = clinical_table().assign(signature=["mut"] * 3 + ["wt"] * 9)
    row = biomarker_associations(clinical, biomarkers=["signature"]).set_index("level").loc["mut"]
    assert (row["n"], row["responders"]) == (3, 3)
    assert row["fisher_p"] == pytest.approx(fisher_exact([[3, 0], [1, 8]]).pvalue)
    with pytest.raises(InputError, match="'nope' is not a column"):
        biomarker_associations(clinical, biomarkers=["nope"])


SAMPLES = "sample\tpatient\ttimepoint\nA\tP1\tbaseline\nB\tP2\tbaseline\n"
CLINICAL = "patient\tarm\tbest_response\tpfs_months\tpfs_event\nP1\tbev\tPR\t5\t1\nP2\teri\tPD\t2\t1\n"


@pytest.mark.parametrize(
    ("clinical", "fragments"),
    [
        (CLINICAL.replace("5\t1", "5\tyes"), ["line 2 (patient P1)", "'pfs_event'"]),
        (CLINICAL.replace("2\t1", "-2\t1"), ["line 3 (patient P2)", "'pfs_months'", "non-negative"]),
        (CLINICAL.replace("5\t1", "\t1"), ["patient P1 has pfs_event but no pfs_months"]),
        (CLINICAL.replace("\tPD\t", "\tMR\t"), ["line 3 (patient P2)", "'best_response'", "'MR'"]),
    ],
    ids=["event-not-01", "negative-time", "event-without-time", "unknown-response"],
)
def test_bad_clinical_sheet(tmp_path, clinical, fragments):
    (tmp_path / "s.tsv").write_text(SAMPLES)
    (tmp_path / "c.tsv").write_text(clinical)
    with pytest.raises(InputError) as error:
        load_sample_metadata(samples_path=tmp_path / "s.tsv", clinical_path=tmp_path / "c.tsv", timepoints=VISITS,
                             response_rule="orr", schema_dir=SCHEMAS)
    for fragment in fragments:
        assert fragment in str(error.value)


QLQ = "patient\tvisit\t" + "\t".join(f"q{i}" for i in range(1, 31)) + "\n"


@pytest.mark.parametrize(
    ("events", "qlq", "fragments"),
    [
        ("patient\tterm\tgrade\trelated\nP1\tFatigue\t6\t1\n", None, ["ae.tsv, line 2 (patient P1)", "'grade'",
                                                                      "1 to 5"]),
        ("patient\tterm\tgrade\trelated\nP9\tFatigue\t2\t1\n", None, ["patient P9 is not in the clinical sheet"]),
        (None, QLQ + "P1\tbaseline\t" + "\t".join(["1"] * 2 + ["5"] + ["1"] * 27) + "\n",
         ["qlq.tsv, line 2 (patient P1)", "'q3'", "1 to 4"]),
        (None, QLQ + "P1\tbaseline\t" + "\t".join(["1"] * 29 + ["8"]) + "\n", ["'q30'", "1 to 7"]),
        (None, QLQ + "P1\tweek_6\t" + "\t".join(["1"] * 30) + "\n", ["'visit'", "'week_6'"]),
    ],
    ids=["grade-6", "unknown-patient", "qlq-item-out-of-range", "qlq-global-out-of-range", "qlq-unknown-visit"],
)
def test_bad_optional_tables(tmp_path, events, qlq, fragments):
    (tmp_path / "c.tsv").write_text(CLINICAL)
    paths = {}
    for name, text in (("ae", events), ("qlq", qlq)):
        if text:
            (tmp_path / f"{name}.tsv").write_text(text)
            paths[name] = str(tmp_path / f"{name}.tsv")
    with pytest.raises(InputError) as error:
        load_optional_clinical_tables(adverse_events=paths.get("ae"), qlq_c30=paths.get("qlq"),
                                      clinical_path=tmp_path / "c.tsv", timepoints=VISITS, schema_dir=SCHEMAS)
    for fragment in fragments:
        assert fragment in str(error.value)


def small_survival(events: list[int], months: list[float]) -> pd.DataFrame:
    """Four responders then four non-responders, one arm."""
    table = pd.DataFrame({"patient": [f"P{i}" for i in range(8)], "arm": "eri",
                          "best_response": ["PR", "CR", "PR", "PR", "PD", "SD", "PD", "SD"],
                          "pfs_months": months, "pfs_event": events})
    return table.assign(group=response_group(table["best_response"], rule="orr"))


def test_hazard_ratio_of_a_group_without_events_is_not_estimable():
    data = small_survival([0, 0, 0, 0, 1, 1, 1, 1], [12, 10, 9, 8, 2, 3, 4, 5])
    table = survival_table(data, control="eri").set_index(["comparison", "group"])
    row = table.loc[("response", "responders")]
    assert row["estimable"] is False and row["note"] == "no events among responders"
    assert np.isnan(row[["hr", "hr_ci_low", "hr_ci_high"]].astype(float)).all()
    assert table.loc[("response", "non_responders"), "note"] == "reference group"
    assert table.loc[("arm", "eri"), "note"] == "reference group"


def test_hazard_ratio_under_complete_separation_is_not_estimable():
    data = small_survival([1, 0, 0, 0, 1, 1, 1, 1], [12, 10, 9, 8, 2, 3, 4, 5])
    row = survival_table(data, control="eri").set_index(["comparison", "group"]).loc[("response", "responders")]
    assert row["estimable"] is False
    assert row["note"] == "the Cox model did not converge: the events separate the groups completely"
    assert np.isnan(float(row["hr"]))


def test_estimable_hazard_ratio_is_kept_with_an_empty_note():
    table = survival_table(clinical_table(), control="eri").set_index(["endpoint", "comparison", "group"])
    row = table.loc[("PFS", "arm", "bev")]
    assert row["estimable"] is True and row["note"] == "" and 0 < row["hr"] < 10


def test_hub_score_cox_without_events_is_not_estimable():
    data = small_survival([0] * 8, [12, 10, 9, 8, 2, 3, 4, 5])
    table = score_associations(pd.Series(np.arange(8.0), index=data["patient"]), data, name="hubs")
    pfs = table.set_index("endpoint").loc["PFS"]
    assert not pfs["estimable"]
    assert pfs["note"] == "no PFS events among these patients" and np.isnan(pfs["estimate"])
    assert table.set_index("endpoint").loc["response", "estimable"]


def test_cox_hazard_ratio_outside_the_estimable_range(monkeypatch):
    """A fit that converges on an absurd ratio (as lifelines does with almost no events) is not quoted."""
    import trialrna.endpoints as endpoints

    class Absurd:
        hazard_ratios_ = pd.Series({"x": 6.6e-08})
        confidence_intervals_ = pd.DataFrame({"lower": [-np.inf], "upper": [np.log(1e3)]}, index=["x"])
        summary = pd.DataFrame({"p": [0.99]}, index=["x"])

        def fit(self, *args, **kwargs):
            return self

    monkeypatch.setattr(endpoints, "CoxPHFitter", Absurd)
    data = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 1], "x": [0.0, 1.0]})
    *numbers, note = endpoints.cox_hazard_ratio(data, duration="time", event="event", covariate="x")
    assert note == "the estimate (6.6e-08) is outside 0.001-1000: too few events to estimate it"
    assert np.isnan(numbers).all()
    Absurd.hazard_ratios_ = pd.Series({"x": 2.0})
    assert endpoints.cox_hazard_ratio(data, duration="time", event="event", covariate="x")[-1] == (
        "its confidence interval reaches 0 or infinity: too few events to estimate it")


def test_single_arm_sample_flow_says_enrolled_not_randomised():
    clinical = clinical_table().assign(arm="eri")
    samples = pd.DataFrame([(f"{p}_{v}", p, v) for p in clinical["patient"] for v in VISITS],
                           columns=["sample", "patient", "timepoint"])
    metadata = sample_metadata(samples, clinical.drop(columns="group"), rule="orr", timepoints=VISITS)
    flow = sample_flow(clinical, metadata, plan_contrasts(metadata, covariates=[]))
    assert flow["step"].iat[0] == "enrolled (single-arm study)" and "randomised" not in set(flow["step"])

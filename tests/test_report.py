"""The reviewer's report: findings and context on small tables, and built from finished runs: escaped,
self-contained, honest about what a small study cannot support, and checked in a real browser."""

from __future__ import annotations

import html
import html.parser
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from test_contrasts import cohort as cohort_of

from conftest import ROOT, make_study, run_snakemake
from trialrna.contrasts import plan_contrasts
from trialrna.layout import Layout
from trialrna.report import ReportParams, build_context, render_report
from trialrna.validation import validate_config

workflow = pytest.mark.workflow
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


class ScriptCollector(html.parser.HTMLParser):
    """Collects <script> elements and the URLs of images, stylesheets and scripts."""

    def __init__(self):
        super().__init__()
        self.scripts, self.external, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append("")
            self._in_script = True
        for key in ("src", "href"):
            value = attributes.get(key, "")
            if value and not value.startswith(("data:", "#")):
                self.external.append(value)

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


@pytest.fixture(scope="module")
def hostile_report(finished_study):
    """The shared run's report: its first sample's name carries a script payload."""
    return finished_study / "results/report/index.html"


@workflow
def test_user_strings_are_escaped(hostile_report):
    page = hostile_report.read_text()
    collector = ScriptCollector()
    collector.feed(page)
    assert len(collector.scripts) == 1 and "alert" not in collector.scripts[0]  # only the page's own script
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


@workflow
def test_report_is_self_contained_and_in_order(hostile_report):
    page = hostile_report.read_text()
    collector = ScriptCollector()
    collector.feed(page)
    assert collector.external == []  # no network: every figure is a data URI
    order = ["The question and the design", "Sample flow", "Clinical endpoints", "Quality control",
             "Differential expression", "Enrichment", "Network and hubs", "What this suggests", "Methods"]
    positions = [page.index(f"<h2>{heading}</h2>") for heading in order]
    assert positions == sorted(positions)
    assert "config SHA-256" in page and "pydeseq2" in page and "sha256" in page


@workflow
def test_report_builds_when_a_stage_finds_nothing(single_arm_study, tmp_path):
    """A threshold no gene can pass: no significant gene, no enriched term; the page says so.

    A copy of the single-arm study with the new threshold: Snakemake reruns only what depends on it.
    """
    study = tmp_path / "study"
    shutil.copytree(single_arm_study, study, symlinks=True)
    config = yaml.safe_load((study / "config.yaml").read_text())
    (study / "config.yaml").write_text(yaml.safe_dump(config | {"de": {"alpha": 1e-300}}))
    result = run_snakemake(study, "--until", "report_html")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (study / "results/report/index.html").read_text()
    assert "No gene passed the adjusted p-value threshold" in page
    assert "No GO or KEGG term was significantly enriched" in page


@workflow
def test_clean_run_has_no_qc_or_annotation_warning(hostile_report, finished_study):
    page = hostile_report.read_text()
    assert "No sample's top gene took more than 50 % of its library." in page
    assert "gene ids matched the annotation" not in page
    summary = pd.read_csv(finished_study / "results/counts/gene_id_summary.tsv", sep="\t")
    assert summary["matched_share"].tolist() == [1.0] and summary["gene_ids"].tolist() == [1000]


@workflow
def test_report_shows_dominated_samples_and_unmatched_gene_ids(finished_study, tmp_path):
    """The shared run's results with one sample dominated by HBB and 3 % of gene ids matched."""
    results = tmp_path / "results"
    shutil.copytree(finished_study / "results", results)
    stats = pd.read_csv(results / "qc/library_stats.tsv", sep="\t")
    sample = stats["sample"].iat[1]
    stats.loc[1, ["top_gene", "top_symbol", "top_gene_share", "dominated"]] = ["ENSG00000244734", "HBB", 0.8, True]
    stats.to_csv(results / "qc/library_stats.tsv", sep="\t", index=False)
    summary = pd.read_csv(results / "counts/gene_id_summary.tsv", sep="\t").assign(matched_share=0.03)
    summary.to_csv(results / "counts/gene_id_summary.tsv", sep="\t", index=False)
    config = yaml.safe_load((finished_study / "config.yaml").read_text())
    validate_config(config, schema=ROOT / "workflow/schemas/config.schema.yaml", source="config.yaml")

    params = ReportParams(alpha=config["de"]["alpha"], lfc_threshold=config["de"]["lfc_threshold"],
                          term_alpha=config["enrichment"]["alpha"],
                          min_genes_for_finding=config["enrichment"]["min_genes_for_finding"],
                          top_hubs=config["network"]["top_hubs"], network_contrasts=config["network"]["contrasts"],
                          response_rule=config["response"]["rule"],
                          min_annotated_share=config["qc"]["min_annotated_share"],
                          max_gene_share=config["qc"]["max_gene_share"], libraries=["GO_BP", "KEGG_2021"])
    context = build_context(layout=Layout(results), params=params, clinical_sheet=finished_study / "data/clinical.tsv",
                            settings=config, input_files={}, workdir=finished_study)
    assert context["qc"]["dominated"]["rows"] == [[sample, "HBB", "ENSG00000244734", "80%"]]
    warning = ("Only 3 % of gene ids matched the annotation; enrichment and networks rest on few genes; check the "
               "gene-id column")
    assert context["enrichment"]["annotation_warning"].startswith(warning)
    assert context["network"]["annotation_warning"] == context["enrichment"]["annotation_warning"]

    render_report(context, tmp_path / "index.html")
    page = (tmp_path / "index.html").read_text()
    qc, enrichment, network = (page.index(f"<h2>{name}</h2>") for name in ("Quality control", "Enrichment",
                                                                            "Network and hubs"))
    assert qc < page.index("one gene takes more than 50 % of the") < page.index("<td>HBB</td><td>ENSG00000244734</td>"
                                                                              "<td>80%</td>") < enrichment
    assert enrichment < page.index(warning) < network < page.index(warning, network)


@workflow
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="Debian's chromium and chromium-driver are not installed")
def test_report_in_headless_chromium(hostile_report, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1300,2600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(hostile_report.as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0]);")
        assert images and all(loaded for _, loaded in images), images
        errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
        assert errors == []
        # The tables sort and filter.
        driver.execute_script("document.querySelector('#table-rates th').click();")
        driver.execute_script("var f = document.querySelector('input.filter'); f.value = 'zzz-no-match';"
                              "f.dispatchEvent(new Event('input'));")
        hidden = driver.execute_script("return Array.from(document.querySelector('table.sortable').tBodies[0].rows)"
                                       ".every(r => r.style.display === 'none');")
        assert hidden
        screenshot = tmp_path / "report.png"
        driver.save_screenshot(str(screenshot))
        assert screenshot.stat().st_size > 10_000
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def single_arm_study(tmp_path_factory, annotation):
    """4 patients on one arm, 2 visits, 400 genes: 3 responders and 1 NE (baseline only), so no non-responders.

    Kept cheap: KEGG only (its terms have no id), no GSEA-eligible contrast, no bootstrap.
    """
    from trialrna.demo import write_cohort

    cohort = write_cohort(tmp_path_factory.mktemp("single_arm_cohort"), annotation=annotation, n_patients=4,
                          n_genes=400, seed=5, timepoints=["baseline", "on_treatment"])
    samples = pd.read_csv(cohort["samples"], sep="\t")
    clinical = pd.read_csv(cohort["clinical"], sep="\t")
    clinical = clinical.assign(arm="eribulin", best_response=["CR", "PR", "PR", "NE"])
    # Every responder at both visits, the NE patient at baseline only, whatever the simulation's missed visits.
    counts = pd.read_csv(cohort["counts"], sep="\t", index_col=0)
    kept = [f"{p}_{v}" for p in clinical["patient"] for v in ("baseline", "on_treatment")
            if f"{p}_{v}" in set(samples["sample"]) and not (p == clinical["patient"].iat[3] and v != "baseline")]
    assert len(kept) == 7, samples
    samples[samples["sample"].isin(kept)].to_csv(cohort["samples"], sep="\t", index=False)
    clinical.to_csv(cohort["clinical"], sep="\t", index=False)
    counts[kept].to_csv(cohort["counts"], sep="\t")
    study = tmp_path_factory.mktemp("single_arm") / "study"
    make_study(study, cohort, timepoints=["baseline", "on_treatment"],
               enrichment={"go": [], "gsea": {"permutations": 10, "libraries": ["KEGG_2021"]}},
               network={"bootstrap": 0, "epc_networks": 10, "coexpression": {"n_genes": 200, "min_module_size": 20}})
    result = run_snakemake(study)
    assert result.returncode == 0, result.stderr[-3000:]
    return study


@workflow
def test_single_arm_study_of_four_patients_says_what_could_not_be_estimated(single_arm_study):
    """One arm, no non-responders: the responders' time contrast is fitted, everything else is explained."""
    page = html.unescape((single_arm_study / "results/report/index.html").read_text())
    no_non_responders = ("no non-responders under response.rule orr (responders CR/PR, non-responders SD/PD): "
                         "3 responders, 0 non-responders, 1 not evaluable (NE)")
    plan = pd.read_csv(single_arm_study / "results/de/contrasts.tsv", sep="\t").set_index("contrast")
    assert plan.loc["time_on_treatment_responders", "status"] == "tested"
    for name in ("response_baseline", "response_on_treatment", "time_on_treatment_non_responders",
                 "interaction_on_treatment", "lrt_time_by_response"):
        assert plan.loc[name, "status"] == "skipped" and plan.loc[name, "description"] == no_non_responders
    assert "<h2>What could not be estimated</h2>" in page
    assert f"<td>interaction_on_treatment</td><td>{no_non_responders}</td>" in page
    assert (f"The trial's key contrast interaction_on_treatment could not be tested ({no_non_responders}); the "
            "gene, pathway and network findings below are for time_on_treatment_responders instead.") in page
    assert "single-arm study (eribulin)" in page and "randomis" not in page
    assert "Differences between arms: single arm: no between-arm comparison." in page
    assert ("Co-expression modules from 7 samples: WGCNA advises at least 15; treat modules and their trait "
            "correlations as exploratory.") in page
    assert "PFS hazard ratio of responders (by response): no reference group (non-responders) to compare with" in page
    assert "(nan)" not in page
    flow = pd.read_csv(single_arm_study / "results/clinical/sample_flow.tsv", sep="\t")
    assert flow["step"].iat[0] == "enrolled (single-arm study)"
    assert ("The STRING network of time_on_treatment_responders has no hubs" in page or
            "Key action nodes of time_on_treatment_responders" in page)


# Findings and context on small tables (no workflow run).
VISITS = ["baseline", "on_treatment", "end_of_treatment"]
KEY = "interaction_end_of_treatment"


def key_table(n_hits: int = 2) -> pd.DataFrame:
    return pd.DataFrame({"gene_id": [f"G{i}" for i in range(5)], "symbol": [f"S{i}" for i in range(5)],
                         "log2FoldChange": [1.0, -2.0, 0.1, 0.2, 0.3],
                         "pvalue": [1e-6, 1e-5, 0.5, 0.6, 0.7],
                         "padj": [1e-4 if i < n_hits else 0.9 for i in range(5)]})


def say(**overrides) -> list[str]:
    from trialrna.report import findings

    options = {"key_table": key_table(), "summary": None, "key": KEY, "alpha": 0.05, "rates": None,
               "differences": None, "survival": None, "terms": None, "n_patients": 4, "n_samples": 12,
               "n_analysed": 4, "visits": VISITS}
    return findings(**(options | overrides))


def ora_terms(overlaps: dict[str, int], *, ids: dict[str, object] | None = None) -> pd.DataFrame:
    names = list(overlaps)
    return pd.DataFrame({"library": "KEGG_2021", "direction": "up", "term": names,
                         "id": [(ids or {}).get(name, np.nan) for name in names],
                         "size": 50, "overlap": list(overlaps.values()),
                         "padj": [1e-3 * (i + 1) for i in range(len(names))]})


def test_a_term_on_fewer_genes_than_the_minimum_is_not_a_pathway_finding():
    said = say(terms=ora_terms({"Focal adhesion": 1, "Apoptosis": 2}), min_genes=3)
    assert ("Enrichment of interaction_end_of_treatment: no term rested on at least 3 genes (the strongest, Focal "
            "adhesion, on 1), so no pathway is cited as a finding.") in said
    assert not any(line.startswith("Pathways behind") for line in said)


def test_pathway_finding_cites_only_terms_on_enough_genes_and_never_nan_ids():
    terms = ora_terms({"Focal adhesion": 1, "HIF-1 signaling pathway": 4, "regulation of angiogenesis": 5},
                      ids={"regulation of angiogenesis": "GO:0045765"})
    said = say(terms=terms, min_genes=3)
    assert ("Pathways behind interaction_end_of_treatment: HIF-1 signaling pathway (KEGG_2021, up, 4 genes, padj "
            "2.0e-03); regulation of angiogenesis (GO:0045765) (KEGG_2021, up, 5 genes, padj 3.0e-03).") in said
    assert "(nan)" not in " ".join(said) and "Focal adhesion" not in " ".join(said)


def test_nested_terms_on_the_same_genes_are_one_pathway_finding():
    terms = ora_terms({"taxis": 5, "chemotaxis": 5, "angiogenesis": 4}, ids={"taxis": "GO:0042330"}).assign(
        genes=["A,B,C,D,E", "A,B,C,D,E", "F,G,H,I"], p=[1e-5, 2e-5, 3e-5])
    assert say(terms=terms, min_genes=3)[1] == (
        "Pathways behind interaction_end_of_treatment: taxis (GO:0042330) (KEGG_2021, up, 5 genes, padj 1.0e-03); "
        "angiogenesis (KEGG_2021, up, 4 genes, padj 3.0e-03).")


def test_term_labels_and_heatmap_rows_never_print_nan():
    from trialrna.enrich import cross_contrast_matrix, term_label

    assert term_label("Focal adhesion", np.nan) == "Focal adhesion"
    assert term_label("Focal adhesion", "") == "Focal adhesion"
    assert term_label("angiogenesis", "GO:0001525") == "angiogenesis (GO:0001525)"
    table = ora_terms({"Focal adhesion": 4}).assign(genes="A,B,C,D", p=1e-4, direction="up")
    matrix = cross_contrast_matrix({KEY: table}, {"Focal adhesion": ["A", "B", "C", "D", "E"]}, alpha=0.05)
    assert list(matrix.index) == ["Focal adhesion"]


def test_key_contrast_that_could_not_be_tested_is_said_in_one_sentence():
    from trialrna.contrasts import plan_table

    plan = plan_table({"": plan_contrasts(cohort_of({"P1": "NE", "P2": "NE", "P3": "NE"}), covariates=["arm"])})
    said = say(key=None, key_table=None, plan=plan)
    assert said[0] == ("No contrast could be tested in this cohort, so there are no gene, pathway or network "
                       "findings: interaction_end_of_treatment could not be estimated (no patient has a response "
                       "group: all 3 patients are not evaluable (NE)).")
    plan = plan_table({"": plan_contrasts(cohort_of({"P1": "PR", "P2": "CR", "P3": "PR"}), covariates=[],
                                          response_rule="orr")})
    said = say(key="time_end_of_treatment_responders", plan=plan)
    assert said[0] == ("The trial's key contrast interaction_end_of_treatment could not be tested (no non-responders "
                       "under response.rule orr (responders CR/PR, non-responders SD/PD): 3 responders, 0 "
                       "non-responders, 0 not evaluable (NE)); the gene, pathway and network findings below are for "
                       "time_end_of_treatment_responders instead.")
    assert said[1].startswith("2 genes changed from baseline to end_of_treatment in responders "
                              "(time_end_of_treatment_responders: 1 rose, 1 fell)")


def test_network_sentence_only_for_a_network_that_was_built():
    from trialrna.report import network_note

    assert network_note(key=None, patterns=["*"], hubs=None, unconnected=None) == (
        "No interaction network: no contrast could be tested.")
    assert network_note(key=KEY, patterns=["response_*"], hubs=None, unconnected=None) == (
        "No interaction network was built for interaction_end_of_treatment: network.contrasts (response_*) does "
        "not include it.")
    unconnected = pd.DataFrame({"symbol": ["A", "B"], "status": ["isolated", "not in STRING"]})
    note = network_note(key=KEY, patterns=["*"], hubs=pd.DataFrame(), unconnected=unconnected)
    assert note == ("The STRING network of interaction_end_of_treatment has no hubs: no two of its significant genes "
                    "interact (1 isolated, 1 not in STRING).")
    said = say(network_note=note)
    assert note in said and not any("Key action nodes" in line for line in said)


def test_hazard_ratio_not_estimable_is_never_quoted_as_an_estimate():
    from trialrna.report import _hazard_display, not_estimated

    survival = pd.DataFrame({"endpoint": ["PFS", "PFS"], "comparison": ["arm", "arm"], "group": ["bev", "eri"],
                             "n": [4, 4], "events": [0, 3], "median": [np.inf, 3.0], "ci_low": [np.nan, 1.0],
                             "ci_high": [np.nan, 5.0], "hr": [np.nan, np.nan], "hr_ci_low": [np.nan, np.nan],
                             "hr_ci_high": [np.nan, np.nan], "p": [0.02, 0.02], "estimable": [False, np.nan],
                             "note": ["no events among arm bev", "reference group"]})
    said = say(survival=survival)
    assert "PFS hazard ratio bev vs control: not estimable (no events among arm bev)." in said
    shown = _hazard_display(survival, columns=["hr", "hr_ci_low", "hr_ci_high"])
    assert shown["hr"].tolist()[0] == "not estimable" and "estimable" not in shown.columns
    assert not_estimated(None, survival)["hazards"] == ["PFS hazard ratio of bev (by arm): no events among arm bev"]
    hub_score = pd.DataFrame({"endpoint": ["response", "PFS"], "estimate": [0.7, np.nan], "estimable": [True, False],
                              "note": ["", "no PFS events among these patients"]})
    assert not_estimated(None, None, hub_score)["hazards"] == [
        "PFS hazard ratio per SD of the hub score: no PFS events among these patients"]
    assert _hazard_display(hub_score, columns=["estimate"])["estimate"].tolist() == [0.7, "not estimable"]


def test_study_design_words_come_from_the_arms():
    from trialrna.report import study_design

    assert study_design(["eribulin"]) == "single-arm study (eribulin)"
    assert study_design(["bev", "eri"]) == "randomised, 2 arms: bev, eri"


def test_coexpression_notes_the_small_sample_and_single_group_warnings():
    from trialrna.coexpression import coexpression_modules

    rng = np.random.default_rng(3)
    samples = [f"S{i}" for i in range(8)]
    expression = pd.DataFrame(rng.normal(8, 1, (80, 8)), index=[f"G{i}" for i in range(80)], columns=samples)
    metadata = pd.DataFrame({"sample": samples, "patient": [f"P{i // 2}" for i in range(8)], "arm": "eri",
                             "timepoint": pd.Categorical(["baseline", "on_treatment"] * 4, ordered=True),
                             "group": pd.Categorical(["responders"] * 8, categories=["responders", "non_responders"])})
    notes = coexpression_modules(expression, metadata, symbols=pd.Series(dtype=str), n_genes=60, powers=[1, 2, 3],
                                 network_type="unsigned", r2_cut=0.85, min_module_size=10)["notes"]
    assert notes.loc[notes["figure"] == "module_traits", "note"].tolist() == [
        "co-expression modules from 8 samples: WGCNA advises at least 15; treat modules and their trait "
        "correlations as exploratory",
        "response cannot be correlated with the modules: only responders among the samples"]


def test_findings_count_the_genes_the_summary_counts_under_a_fold_change_threshold():
    """The page and de/summary.tsv apply one rule (trialrna.vocabulary.significant): with de.lfc_threshold 0.5 the
    gene with log2FC 0.1 and padj 1e-4 is not a finding, in either."""
    from trialrna.de_plots import summarise

    table = key_table(n_hits=3)  # padj 1e-4 for log2FC 1.0, -2.0 and 0.1
    summary = summarise({KEY: table}, alpha=0.05, lfc_threshold=0.5)
    assert (summary.loc[0, "up"], summary.loc[0, "down"]) == (1, 1)
    said = " ".join(say(key_table=table, lfc_threshold=0.5))
    assert f"2 genes changed differently between responders and non-responders ({KEY}: 1 rose more" in said
    assert "3 genes" in " ".join(say(key_table=table, lfc_threshold=0.0))

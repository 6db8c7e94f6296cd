"""The reviewer's report: built from a finished run, escaped, self-contained, and checked in a real browser."""

from __future__ import annotations

import html.parser
import shutil

import pandas as pd
import pytest
import yaml

from conftest import ROOT, make_study, run_snakemake
from trialrna.report import build_context, render_report
from trialrna.validation import validate_config

pytestmark = pytest.mark.workflow
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


def test_user_strings_are_escaped(hostile_report):
    page = hostile_report.read_text()
    collector = ScriptCollector()
    collector.feed(page)
    assert len(collector.scripts) == 1 and "alert" not in collector.scripts[0]  # only the page's own script
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


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


def test_report_builds_when_a_stage_finds_nothing(tmp_path, small_cohort):
    """A threshold no gene can pass: no significant gene, no enriched term; the page says so."""
    study = tmp_path / "study"
    make_study(study, small_cohort, de={"alpha": 1e-300})
    result = run_snakemake(study, "--until", "report_html")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (study / "results/report/index.html").read_text()
    assert "No gene passed the adjusted p-value threshold" in page
    assert "No GO or KEGG term was significantly enriched" in page


def test_clean_run_has_no_qc_or_annotation_warning(hostile_report, finished_study):
    page = hostile_report.read_text()
    assert "No sample's top gene took more than 50 % of its library." in page
    assert "gene ids matched the annotation" not in page
    summary = pd.read_csv(finished_study / "results/counts/gene_id_summary.tsv", sep="\t")
    assert summary["matched_share"].tolist() == [1.0] and summary["gene_ids"].tolist() == [1000]


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

    context = build_context(results=results, config=config, input_files={}, workdir=finished_study)
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

# Parse time: the config and every sheet are checked here, so bad input stops before any job runs; the DE designs
# and contrasts are planned from the sample sheet (the rules below are generated from the plan); path helpers.
import os
import sys
from fnmatch import fnmatch
from pathlib import Path

WORKFLOW_ROOT = Path(workflow.basedir)
sys.path.insert(0, str(WORKFLOW_ROOT / "workflow" / "scripts"))

from trialrna.cohort import check_count_table, load_optional_clinical_tables, load_sample_metadata
from trialrna.contrasts import scope_plans
from trialrna.gene_sets import resolve_libraries
from trialrna.layout import DE_FIGURE_KINDS, DIRECTIONS, NETWORK_KINDS, RESULTS
from trialrna.ppi import check_ppi_config
from trialrna.validation import check_demo_counts_path, validate_config
from trialrna.vocabulary import SURVIVAL_ENDPOINTS, key_contrast, other_route

SCHEMAS = WORKFLOW_ROOT / "workflow" / "schemas"
ANNOTATION = str(WORKFLOW_ROOT / "resources" / "annotation" / "genes.tsv.gz")
ENV = "../../environment.yml"


def results(name, **wildcards):
    """A file under results/ by its name in trialrna.layout (wildcards not given stay as rule wildcards)."""
    return RESULTS.file(name, **wildcards)


def logs(job):
    return RESULTS.file("log", job=job)


def benchmarks(job):
    return RESULTS.file("benchmark", job=job)


CONFIG_SOURCE = ", ".join(map(str, workflow.configfiles)) or "config"
validate_config(config, schema=SCHEMAS / "config.schema.yaml", source=CONFIG_SOURCE)
check_demo_counts_path(
    simulate=config["demo"]["simulate"],
    counts_path=config["counts"]["path"],
    source=CONFIG_SOURCE,
)
SAMPLE_METADATA = load_sample_metadata(
    samples_path=config["samples"],
    clinical_path=config["clinical"]["sheet"],
    timepoints=config["timepoints"],
    response_rule=config["response"]["rule"],
    schema_dir=SCHEMAS,
)
if not config["demo"]["simulate"]:
    # The first rows only: a wrong file, column or format stops here, in a second; prepare_counts reads them all.
    check_count_table(
        config["counts"]["path"],
        fmt=config["counts"]["format"],
        samples=SAMPLE_METADATA,
        samples_source=config["samples"],
    )
load_optional_clinical_tables(
    adverse_events=config["clinical"]["adverse_events"],
    qlq_c30=config["clinical"]["qlq_c30"],
    clinical_path=config["clinical"]["sheet"],
    timepoints=config["timepoints"],
    schema_dir=SCHEMAS,
)
check_ppi_config(config["network"]["ppi"], source=CONFIG_SOURCE)
LIBRARIES = resolve_libraries(
    pinned_dir=WORKFLOW_ROOT / "resources" / "gene_sets",
    go=config["enrichment"]["go"],
    kegg=config["enrichment"]["kegg"],
    custom=config["enrichment"]["custom"],
)
SURVIVAL = [endpoint for endpoint in SURVIVAL_ENDPOINTS if f"{endpoint}_months" in SAMPLE_METADATA]
DE_PLANS = scope_plans(
    SAMPLE_METADATA,
    covariates=config["de"]["covariates"],
    per_arm=config["de"]["per_arm"],
    response_rule=config["response"]["rule"],
)
KEY_CONTRAST = key_contrast(DE_PLANS[""].contrast_names, config["timepoints"])
DE_METHOD = config["de"]["method"]
# Robustness checks of the whole cohort: the route de.method did not choose, and the DESeq2 fit of the key contrast
# refitted with the composition scores as covariates.
OTHER_ROUTE = other_route(DE_METHOD) if config["robustness"]["other_route"] else None
KEY_FIT = DE_PLANS[""].fit_of(KEY_CONTRAST)
ADJUSTED_FIT = (
    KEY_FIT if config["robustness"]["composition"] and config["robustness"]["adjust_for"] else None
)

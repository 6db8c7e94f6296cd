# Config and sheet validation at parse time, and the helpers every rule file uses.
import os
from fnmatch import fnmatch
import sys
from pathlib import Path

WORKFLOW_ROOT = Path(workflow.basedir)
sys.path.insert(0, str(WORKFLOW_ROOT / "workflow" / "scripts"))

from trialrna.cohort import check_count_table, load_optional_clinical_tables, load_sample_metadata
from trialrna.contrasts import key_contrast, scope_plans
from trialrna.demo import DEMO_COUNTS, DEMO_TRUTH
from trialrna.gene_sets import resolve_libraries
from trialrna.ppi import check_ppi_config
from trialrna.validation import check_demo_counts_path, validate_config

SCHEMAS = WORKFLOW_ROOT / "workflow" / "schemas"
ANNOTATION = str(WORKFLOW_ROOT / "resources" / "annotation" / "genes.tsv.gz")
ENV = "../../environment.yml"

CONFIG_SOURCE = ", ".join(map(str, workflow.configfiles)) or "config"
validate_config(config, schema=SCHEMAS / "config.schema.yaml", source=CONFIG_SOURCE)
check_demo_counts_path(
    simulate=config["demo"]["simulate"], counts_path=config["counts"]["path"], source=CONFIG_SOURCE
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
SURVIVAL_ENDPOINTS = [e for e in ("pfs", "os") if f"{e}_months" in SAMPLE_METADATA]
DE_PLANS = scope_plans(
    SAMPLE_METADATA,
    covariates=config["de"]["covariates"],
    per_arm=config["de"]["per_arm"],
    response_rule=config["response"]["rule"],
)

KEY_CONTRAST = key_contrast(DE_PLANS[""].contrast_names, config["timepoints"])


def fit_result_names(fit):
    """Result tables one design fit writes: its contrasts, and its likelihood-ratio test if any."""
    return [c.name for c in fit.contrasts] + ([fit.lrt_name] if fit.lrt_name else [])


def de_rule_name(scope, fit):
    return f"de_{scope.replace(os.sep, '_')}{fit.name}"


def de_tables():
    return [
        f"results/de/{scope}{name}.tsv"
        for scope, plan in DE_PLANS.items()
        for fit in plan.fits
        for name in fit_result_names(fit)
    ]


def de_paths():
    """Result paths of every tested contrast, relative to results/de, without .tsv (e.g. arm_x/response_baseline)."""
    return [table[len("results/de/") : -len(".tsv")] for table in de_tables()]


def gsea_paths():
    patterns = config["enrichment"]["gsea"]["contrasts"]
    return [p for p in de_paths() if "/" not in p and any(fnmatch(p, pattern) for pattern in patterns)]


def enrichment_outputs():
    outputs = ["results/enrichment/heatmap.png", "results/enrichment/gene_sets.tsv"]
    for path in de_paths():
        outputs += [f"results/enrichment/{path}/dotplot.png", f"results/enrichment/{path}/barplot.png"]
    for path in gsea_paths():
        outputs += [
            f"results/enrichment/{path}/{library}.gsea.png"
            for library in config["enrichment"]["gsea"]["libraries"]
        ]
    return outputs


def network_paths():
    patterns = config["network"]["contrasts"]
    return [p for p in de_paths() if any(fnmatch(p, pattern) for pattern in patterns)]


NETWORK_KINDS = ("hubs.tsv", "hub_terms.tsv", "unconnected.tsv", "cytoscape_edges.tsv", "graphml", "network.png")


def network_paths_by_scope():
    """Network result paths grouped by scope prefix ("" for the whole cohort, "arm_x/" per arm)."""
    scopes = {}
    for path in network_paths():
        scopes.setdefault(path[: path.rfind("/") + 1], []).append(path)
    return scopes


def network_rule_name(scope):
    return f"network_hubs_{scope.rstrip(os.sep) or 'all'}"


def network_outputs():
    outputs = [
        "results/network/coexpression/module_traits.png",
        "results/network/coexpression/soft_threshold.png",
    ]
    if KEY_CONTRAST in network_paths():
        outputs.append("results/network/hub_score_endpoints.tsv")
    for path in network_paths():
        outputs += [f"results/network/{path}.{kind}" for kind in NETWORK_KINDS]
    return outputs


def ora_tables(path):
    return [
        f"results/enrichment/{path}/{library}.ora_{direction}.tsv"
        for library in LIBRARIES
        for direction in ("up", "down")
    ]


DE_FIGURE_KINDS = ("ma", "volcano", "pvalues")


def de_figures():
    return [
        table.replace("results/de/", "results/de/plots/").replace(".tsv", f".{kind}.png")
        for table in de_tables()
        for kind in DE_FIGURE_KINDS
    ]


def mem_mb(base, per_input_mb=0.0):
    """Memory request growing with the input size and with each retry after an out-of-memory kill."""

    def request(wildcards, input, attempt):
        return int((base + per_input_mb * input.size_mb) * attempt)

    return request


def runtime(base_min, per_input_mb=0.0):
    """Runtime request (minutes) growing with the input size and with each retry."""

    def request(wildcards, input, attempt):
        return int((base_min + per_input_mb * input.size_mb) * attempt)

    return request


def final_outputs():
    return [
        "results/qc/library_stats.tsv",
        "results/qc/library_sizes.png",
        "results/qc/pca.tsv",
        "results/qc/pca.png",
        "results/qc/sample_correlation.png",
        "results/qc/outliers.tsv",
        "results/de/summary.tsv",
        *de_figures(),
        *clinical_outputs(),
        *enrichment_outputs(),
        *network_outputs(),
    ]


def report_inputs():
    """Every table and figure the reviewer's report reads (everything the workflow makes)."""
    return final_outputs() + [
        "results/counts/counts.tsv",
        "results/counts/genes.tsv",
        "results/counts/gene_id_summary.tsv",
        "results/de/contrasts.tsv",
        "results/network/coexpression/notes.tsv",
    ]


def input_files():
    """User inputs whose checksums go into the report's provenance block."""
    return {
        "counts": config["counts"]["path"],
        "samples": config["samples"],
        "clinical": config["clinical"]["sheet"],
        "adverse events": config["clinical"]["adverse_events"],
        "QLQ-C30": config["clinical"]["qlq_c30"],
    }


def clinical_outputs():
    outputs = [
        "results/clinical/response_rates.tsv",
        "results/clinical/sample_flow.png",
        *(f"results/clinical/km_{endpoint}.png" for endpoint in SURVIVAL_ENDPOINTS),
    ]
    if config["clinical"]["adverse_events"]:
        outputs.append("results/clinical/safety_summary.tsv")
    if config["clinical"]["qlq_c30"]:
        outputs.append("results/clinical/qlq_c30_change.png")
    return outputs

# Config and sheet validation at parse time, and the helpers every rule file uses.
import sys
from pathlib import Path

WORKFLOW_ROOT = Path(workflow.basedir)
sys.path.insert(0, str(WORKFLOW_ROOT / "workflow" / "scripts"))

from trialrna.cohort import load_sample_metadata
from trialrna.validation import validate_config

SCHEMAS = WORKFLOW_ROOT / "workflow" / "schemas"
ANNOTATION = str(WORKFLOW_ROOT / "resources" / "annotation" / "genes.tsv.gz")
ENV = "../../environment.yml"

validate_config(
    config,
    schema=SCHEMAS / "config.schema.yaml",
    source=", ".join(map(str, workflow.configfiles)) or "config",
)
SAMPLE_METADATA = load_sample_metadata(
    samples_path=config["samples"],
    clinical_path=config["clinical"],
    timepoints=config["timepoints"],
    response_rule=config["response"]["rule"],
    schema_dir=SCHEMAS,
)


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
    ]

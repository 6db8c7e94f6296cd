# Transcriptomic mechanisms of resistance in a longitudinal clinical trial. See README.md.
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")
sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from trialrna.validation import require_config_file

# Snakemake's own message for a missing config/config.yaml does not say what to do.
require_config_file(
    "config/config.yaml",
    given=workflow.overwrite_configfiles,
    example=Path(workflow.basedir) / "config" / "config.yaml",
)


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/planning.smk"
include: "workflow/rules/targets.smk"
include: "workflow/rules/resources.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/diffexp.smk"
include: "workflow/rules/clinical.smk"
include: "workflow/rules/enrichment.smk"
include: "workflow/rules/network.smk"
include: "workflow/rules/robustness.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        final_outputs(),
        results("report"),
    default_target: True

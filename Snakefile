# Transcriptomic mechanisms of resistance in a longitudinal clinical trial. See README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/diffexp.smk"
include: "workflow/rules/clinical.smk"
include: "workflow/rules/enrichment.smk"
include: "workflow/rules/network.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        final_outputs(),
        "results/report/index.html",
    default_target: True

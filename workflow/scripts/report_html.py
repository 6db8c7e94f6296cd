"""Rule report_html: the reviewer's self-contained HTML page from the workflow's tables and figures."""
from trialrna.logs import logged
from trialrna.report import build_context, render_report

with logged(snakemake.log[0]):
    context = build_context(results="results", config=snakemake.params.config,
                            input_files=snakemake.params.input_files, workdir=".")
    render_report(context, snakemake.output[0])

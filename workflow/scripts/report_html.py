"""Rule report_html: the reviewer's self-contained HTML page from the workflow's tables and figures."""
import dataclasses
import json
from pathlib import Path

from trialrna.layout import RESULTS
from trialrna.logs import logged
from trialrna.report import ReportParams, build_context, render_report

with logged(snakemake.log[0]):
    params = ReportParams(**{field.name: getattr(snakemake.params, field.name) for field in dataclasses.fields(ReportParams)})
    context = build_context(layout=RESULTS, params=params, clinical_sheet=snakemake.input.clinical,
                            settings=json.loads(Path(snakemake.input.settings).read_text()),
                            input_files=snakemake.params.input_files, workdir=".")
    render_report(context, snakemake.output[0])

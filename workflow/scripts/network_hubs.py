"""Rule network_hubs: one contrast's STRING subnetwork, cytoHubba hub ranking with bootstrap stability, exports."""
import pandas as pd

from trialrna.cohort import read_sample_metadata
from trialrna.coexpression import read_expression
from trialrna.contrasts import find_contrast, scope_plans
from trialrna.de import read_result_table
from trialrna.enrich import read_ora_tables
from trialrna.logs import logged
from trialrna.network import analyse_contrast, write_contrast_network

with logged(snakemake.log[0]):
    params = snakemake.params
    metadata = read_sample_metadata(snakemake.input.metadata)
    fit, contrast = find_contrast(scope_plans(metadata, covariates=params.covariates, per_arm=params.per_arm),
                                  snakemake.wildcards.path)
    modules = pd.read_csv(snakemake.input.modules, sep="\t").set_index("gene_id")["module"]
    result = analyse_contrast(
        read_result_table(snakemake.input.table), pd.read_csv(snakemake.input.edges, sep="\t"),
        expression=read_expression(snakemake.input.vst), genes=pd.read_csv(snakemake.input.genes, sep="\t"),
        design=fit.design, contrast=contrast.vector(list(fit.design.columns)) if contrast else None,
        patients=metadata.set_index("sample")["patient"], modules=modules, ora=read_ora_tables(snakemake.input.ora),
        **params.options)
    write_contrast_network(result, **dict(snakemake.output.items()),
                           title=f"STRING network of {snakemake.wildcards.path}", n_labels=params.options["n_top"],
                           max_nodes=params.max_nodes)

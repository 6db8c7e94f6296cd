"""Rule network_hubs_*: each contrast's STRING subnetwork, hub ranking with bootstrap stability, and exports."""
import pandas as pd

from trialrna.cohort import read_sample_metadata
from trialrna.coexpression import read_expression
from trialrna.contrasts import scope_plans
from trialrna.logs import logged
from trialrna.network import analyse_contrasts

with logged(snakemake.log[0]):
    params = snakemake.params
    metadata = read_sample_metadata(snakemake.input.metadata)
    analyse_contrasts(
        params.paths, plans=scope_plans(metadata, covariates=params.covariates, per_arm=params.per_arm),
        tables=snakemake.input.tables, ora=snakemake.input.ora, libraries=params.libraries,
        outputs=snakemake.output, kinds=params.kinds, edges=pd.read_csv(snakemake.input.edges, sep="\t"),
        expression=read_expression(snakemake.input.vst), genes=pd.read_csv(snakemake.input.genes, sep="\t"),
        patients=metadata.set_index("sample")["patient"],
        modules=pd.read_csv(snakemake.input.modules, sep="\t").set_index("gene_id")["module"],
        max_nodes=params.max_nodes, **params.options)

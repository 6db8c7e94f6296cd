"""Rule network_hubs_*: each contrast's STRING subnetwork, hub ranking with bootstrap stability, and exports."""
from trialrna.cohort import read_sample_metadata
from trialrna.tables import read_expression
from trialrna.contrasts import read_plans
from trialrna.logs import logged
from trialrna.network import analyse_contrasts
from trialrna.tables import read_table

with logged(snakemake.log[0]):
    params = snakemake.params
    analyse_contrasts(
        params.paths, plans=read_plans(snakemake.input.plan), tables=snakemake.input.tables, ora=snakemake.input.ora,
        libraries=params.libraries, outputs=snakemake.output, kinds=params.kinds,
        edges=read_table(snakemake.input.edges), expression=read_expression(snakemake.input.vst),
        genes=read_table(snakemake.input.genes),
        patients=read_sample_metadata(snakemake.input.metadata).set_index("sample")["patient"],
        modules=read_table(snakemake.input.modules).set_index("gene_id")["module"], max_nodes=params.max_nodes,
        **params.options)

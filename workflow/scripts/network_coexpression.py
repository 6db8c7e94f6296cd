"""Rule network_coexpression: WGCNA-style modules, eigengene-trait correlations and module hubs (kME)."""
from trialrna.coexpression import coexpression_modules, plot_module_traits, plot_soft_threshold
from trialrna.tables import read_expression
from trialrna.cohort import read_sample_metadata
from trialrna.logs import logged
from trialrna.tables import read_table, write_table

with logged(snakemake.log[0]):
    options = snakemake.params.options
    symbols = read_table(snakemake.input.genes).set_index("gene_id")["symbol"]
    tables = coexpression_modules(read_expression(snakemake.input.vst), read_sample_metadata(snakemake.input.metadata),
                                  symbols=symbols, **options)
    for name, table in tables.items():
        write_table(table, snakemake.output[name])
    plot_soft_threshold(tables["soft_threshold"], snakemake.output.soft_threshold_figure, r2_cut=options["r2_cut"])
    plot_module_traits(tables["module_traits"], tables["modules"]["module"].value_counts(),
                       snakemake.output.module_traits_figure, title="Module eigengenes vs sample traits")

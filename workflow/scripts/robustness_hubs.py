"""Rule robustness_hubs: whether each top hub is still significant under the other route and the adjustment."""
from trialrna.logs import logged
from trialrna.robustness import write_hub_robustness

with logged(snakemake.log[0]):
    params = snakemake.params
    write_hub_robustness(snakemake.input.hubs, other=snakemake.input.other, adjusted=snakemake.input.adjusted,
                         other_route=params.other_route, top_hubs=params.top_hubs, alpha=params.alpha,
                         lfc_threshold=params.lfc_threshold, output=snakemake.output[0])

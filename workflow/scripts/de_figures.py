"""Rule de_figures: MA plot, volcano plot and p-value histogram of one contrast."""
import pandas as pd

from trialrna.de_plots import plot_ma, plot_pvalue_histogram, plot_volcano
from trialrna.logs import logged

with logged(snakemake.log[0]):
    table = pd.read_csv(snakemake.input[0], sep="\t")
    title = snakemake.wildcards.path.replace("/", ": ")
    thresholds = dict(alpha=snakemake.params.alpha, lfc_threshold=snakemake.params.lfc_threshold)
    plot_ma(table, snakemake.output.ma, title=title, **thresholds)
    plot_volcano(table, snakemake.output.volcano, title=title, **thresholds)
    plot_pvalue_histogram(table, snakemake.output.pvalues, title=title)

"""Gene identity: the count table's gene id is the key of every table; symbols are labels.

Stages that work on symbols (STRING networks, GO and KEGG gene sets) need one gene per symbol. Where several gene
ids share a symbol (a real Ensembl table has over a thousand such symbols: readthrough loci, duplicated gene
families, alternative haplotypes), the gene with the highest mean normalised count (``baseMean``) represents the
symbol, the lower gene id breaking ties; the others stay in the DE tables and are left out of those stages, and
their number is logged.
"""

from __future__ import annotations

import logging

import pandas as pd

log = logging.getLogger(__name__)


def one_gene_per_symbol(table: pd.DataFrame, *, context: str) -> pd.DataFrame:
    """The rows of a DE table that represent their symbol (highest ``baseMean``), in the table's order.

    Rows without a symbol are left out. ``context`` names the stage in the log line.
    """
    named = table.dropna(subset=["symbol"])
    if named["symbol"].is_unique:
        return named
    order = named.sort_values(["baseMean", "gene_id"], ascending=[False, True], kind="stable", na_position="last")
    kept = named.loc[named.index.isin(order.drop_duplicates("symbol").index)]
    if len(kept) < len(named):
        log.info("%s: %d gene ids share their symbol with a higher-expressed gene and are left out (one gene per "
                 "symbol)", context, len(named) - len(kept))
    return kept

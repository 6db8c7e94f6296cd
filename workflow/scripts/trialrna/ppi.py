"""Protein-protein interactions from STRING: the installed ``mossn`` copy or the user's own STRING download.

Edges come out as one row per unordered pair of gene symbols (``gene_a < gene_b``) with STRING's combined score on
a 0-1 scale; self-loops are dropped and duplicate pairs keep their highest score.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import pandas as pd

from trialrna.errors import InputError, require_columns

log = logging.getLogger(__name__)

#: mossn's STRING copy keeps combined scores >= 0.9.
BUNDLED_MIN_SCORE = 0.9
#: STRING alias sources that carry HGNC symbols, most specific first.
SYMBOL_ALIAS_SOURCES = ("Ensembl_HGNC_symbol", "BioMart_HUGO", "Ensembl_HGNC", "Ensembl_EntrezGene")


def bundled_links_path() -> Path:
    """STRING links installed with mossn (human, combined score >= 0.9, gene symbols)."""
    return Path(str(resources.files("mossn") / "data" / "string_links.csv"))


def _require(table: pd.DataFrame, columns: list[str], *, path: str | Path, what: str) -> None:
    require_columns(table.columns, columns, what=f"{path}: {what} needs the column(s)",
                    fix="Use STRING's own download files unchanged.")


def _symbols_from_info(path: str | Path) -> pd.Series:
    info = pd.read_csv(path, sep="\t", dtype=str).rename(columns=lambda c: c.lstrip("#"))
    _require(info, ["string_protein_id", "preferred_name"], path=path, what="a STRING protein.info file")
    return info.drop_duplicates("string_protein_id").set_index("string_protein_id")["preferred_name"]


def _symbols_from_aliases(path: str | Path) -> pd.Series:
    aliases = pd.read_csv(path, sep="\t", dtype=str).rename(columns=lambda c: c.lstrip("#"))
    _require(aliases, ["string_protein_id", "alias", "source"], path=path, what="a STRING protein.aliases file")
    for source in SYMBOL_ALIAS_SOURCES:
        chosen = aliases[aliases["source"] == source]
        if not chosen.empty:
            return chosen.drop_duplicates("string_protein_id").set_index("string_protein_id")["alias"]
    raise InputError(f"{path}: no alias from any of the sources {', '.join(SYMBOL_ALIAS_SOURCES)}; STRING's "
                     "protein.aliases file lists HGNC symbols under these sources")


def tidy_edges(edges: pd.DataFrame) -> pd.DataFrame:
    """One row per unordered symbol pair, highest score kept, self-loops and missing symbols dropped."""
    edges = edges.dropna(subset=["gene_a", "gene_b"])
    edges = edges[edges["gene_a"] != edges["gene_b"]]
    low = edges[["gene_a", "gene_b"]].min(axis=1)
    high = edges[["gene_a", "gene_b"]].max(axis=1)
    edges = pd.DataFrame({"gene_a": low, "gene_b": high, "score": edges["score"].astype(float)})
    edges = edges.sort_values("score", ascending=False, kind="stable").drop_duplicates(["gene_a", "gene_b"])
    return edges.sort_values(["gene_a", "gene_b"]).reset_index(drop=True)


def read_string_links(*, links: str | Path | None = None, info: str | Path | None = None,
                      aliases: str | Path | None = None, min_score: float) -> pd.DataFrame:
    """STRING interactions between gene symbols with combined score >= ``min_score`` (0-1 scale).

    Parameters
    ----------
    links
        STRING ``protein.links`` file (space-separated ``protein1 protein2 combined_score``, score 0-1000; may be
        gzipped), or ``None`` for the copy installed with mossn (symbols already, scores 0-1).
    info, aliases
        STRING ``protein.info`` (``preferred_name``) or ``protein.aliases`` file mapping protein ids to symbols;
        one is required with ``links``.
    min_score
        Lowest combined score kept, on STRING's 0-1 scale (0.4 medium, 0.7 high, 0.9 highest confidence).
    """
    if links is None:
        path = bundled_links_path()
        table = pd.read_csv(path, index_col=0)
        _require(table, ["protein1", "protein2", "score"], path=path, what="mossn's STRING table")
        edges = table.rename(columns={"protein1": "gene_a", "protein2": "gene_b"})
        if min_score < BUNDLED_MIN_SCORE:
            log.warning("mossn ships STRING edges with score >= %.1f only; network.ppi.min_score %.2f cannot add "
                        "weaker edges (point network.ppi.links at a full STRING download for that)",
                        BUNDLED_MIN_SCORE, min_score)
    else:
        if info is None and aliases is None:
            raise InputError(f"{links}: STRING protein ids need a protein.info or protein.aliases file to become "
                             "gene symbols; set network.ppi.info or network.ppi.aliases in the config")
        table = pd.read_csv(links, sep=r"\s+", dtype=str)
        _require(table, ["protein1", "protein2", "combined_score"], path=links, what="a STRING protein.links file")
        score = pd.to_numeric(table["combined_score"], errors="coerce")
        bad = table.index[score.isna() | (score < 0) | (score > 1000)]
        if len(bad):
            raise InputError(f"{links}: line {bad[0] + 2}: combined_score {table['combined_score'].iat[bad[0]]!r} is "
                             "not a number from 0 to 1000 (STRING scores are integers 0-1000)")
        symbols = _symbols_from_info(info) if info is not None else _symbols_from_aliases(aliases)
        edges = pd.DataFrame({"gene_a": table["protein1"].map(symbols), "gene_b": table["protein2"].map(symbols),
                              "score": score / 1000.0})
        unmapped = edges[["gene_a", "gene_b"]].isna().any(axis=1).mean()
        if unmapped == 1.0:
            raise InputError(f"{links}: no protein id maps to a symbol through {info or aliases}; are both files "
                             "from the same STRING version and organism?")
        if unmapped > 0:
            log.info("%.1f%% of STRING edges have a protein without a symbol and are dropped", 100 * unmapped)
    edges = tidy_edges(edges[edges["score"] >= min_score])
    log.info("STRING network: %d edges between %d genes at combined score >= %.2f", len(edges),
             len(set(edges["gene_a"]) | set(edges["gene_b"])), min_score)
    return edges


def check_ppi_config(ppi: dict, *, source: str) -> None:
    """Stop before any computation when configured STRING files are missing or incomplete."""
    if ppi.get("links") is None:
        return
    for key in ("links", "info", "aliases"):
        if ppi.get(key) is not None and not Path(ppi[key]).exists():
            raise InputError(f"{source}: network.ppi.{key}: file {ppi[key]} does not exist")
    if ppi.get("info") is None and ppi.get("aliases") is None:
        raise InputError(f"{source}: network.ppi.links is set, so network.ppi.info or network.ppi.aliases must name "
                         "the STRING file that maps its protein ids to gene symbols")

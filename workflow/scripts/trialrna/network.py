"""Per-contrast interaction networks: STRING subnetwork of the DE genes, hub ranking, bootstrap stability, exports.

The bootstrap resamples patients (all visits of a drawn patient come together, as the paired designs need) and
re-tests the contrast by least squares on the variance-stabilised expression with the same design matrix: a
refit of the negative-binomial model per replicate would take minutes each. Each replicate takes as many top genes
as the real analysis called significant, builds their subnetwork and ranks hubs again; a gene's stability is the
fraction of replicates that put it in the top ``n_top``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from trialrna.enrich import GENE_SEPARATOR, significant_symbols
from trialrna.hubs import METHODS, consensus_ranking, hub_scores, top_hubs
from trialrna.layout import DIRECTIONS
from trialrna.plots import DIVERGING, plt, save
from trialrna.symbols import one_gene_per_symbol
from trialrna.tables import write_table

log = logging.getLogger(__name__)

NODE_ATTRIBUTES = ["log2FoldChange", "padj", "consensus_rank", "module"]


def ppi_graph(edges: pd.DataFrame) -> nx.Graph:
    """The STRING network as an undirected graph with the combined score on each edge."""
    return nx.from_pandas_edgelist(edges, "gene_a", "gene_b", edge_attr="score")


def de_genes(table: pd.DataFrame, *, alpha: float, lfc_threshold: float) -> list[str]:
    """Symbols significant in either direction."""
    return sorted({symbol for direction in DIRECTIONS for symbol in
                   significant_symbols(table, direction=direction, alpha=alpha, lfc_threshold=lfc_threshold)})


def induced_subgraph(graph: nx.Graph, nodes: Iterable[str]) -> nx.Graph:
    """The subgraph of ``graph`` on ``nodes`` (those in it), a new graph with its nodes and edges in sorted order.

    networkx's subgraph views iterate a small node set in hash order, which changes between processes: exports
    and layouts made from them would differ between two runs of the same input.
    """
    keep = {node for node in nodes if node in graph}
    subgraph = nx.Graph()
    subgraph.add_nodes_from((node, graph.nodes[node]) for node in sorted(keep))
    subgraph.add_edges_from((a, b, graph[a][b]) for a in sorted(keep)
                            for b in sorted(other for other in graph[a] if other in keep and a <= other))
    return subgraph


def contrast_subnetwork(ppi: nx.Graph, genes: Sequence[str], *, first_neighbours: bool = False) -> nx.Graph:
    """Subnetwork induced by ``genes`` (optionally with their STRING first neighbours); genes outside STRING are
    left out. Nodes carry ``seed`` (True for the given genes)."""
    seeds = {gene for gene in genes if gene in ppi}
    nodes = set(seeds)
    if first_neighbours:
        for gene in seeds:
            nodes.update(ppi[gene])
    graph = induced_subgraph(ppi, nodes)
    nx.set_node_attributes(graph, {node: node in seeds for node in graph}, "seed")
    return graph


def split_isolated(graph: nx.Graph) -> tuple[nx.Graph, list[str]]:
    """The graph without its isolated nodes, and those nodes (sorted)."""
    isolated = sorted(nx.isolates(graph))
    return induced_subgraph(graph, set(graph) - set(isolated)), isolated


def replicate_statistics(expression: pd.DataFrame, design: pd.DataFrame, contrasts: np.ndarray, weights: np.ndarray,
                         *, chunk_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares t statistics of contrasts of one design for every gene under every row of weights.

    All replicates and contrasts at once from the normal equations: with ``A = X'WX`` and ``b = X'Wy`` per
    replicate, ``c'beta = (A^+ c)' b`` and the residual sum of squares is ``y'Wy - b' A^+ b``. ``b``, the costly
    part, is shared by every contrast of the design; genes are taken in chunks.

    Parameters
    ----------
    expression
        Genes x samples.
    design
        Samples x columns design matrix.
    contrasts
        Contrasts x columns.
    weights
        Replicates x samples weights (bootstrap multiplicities, 0 for samples left out).

    Returns
    -------
    The statistics (contrasts x replicates x genes) and whether each replicate's weighted design still estimates
    each contrast with residual degrees of freedom left (contrasts x replicates; statistics of unusable replicates
    are missing).
    """
    matrix = design.to_numpy(float)
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    contrast_rows = np.asarray(contrasts, dtype=float)
    values = expression[design.index].to_numpy(float)
    gram = np.einsum("ri,ik,il->rkl", weights, matrix, matrix)
    inverse = np.linalg.pinv(gram, hermitian=True)
    residual_df = weights.sum(axis=1) - np.linalg.matrix_rank(gram, hermitian=True)
    solved = np.einsum("rkl,cl->rck", inverse, contrast_rows)  # A^+ c per replicate and contrast
    # An estimable contrast lies in the row space of the weighted design; otherwise A^+ gives a meaningless answer.
    estimable = np.isclose(np.einsum("rck,rkl->rcl", solved, gram), contrast_rows, atol=1e-6).all(axis=2)
    usable = (estimable & (residual_df > 0)[:, None]).T  # contrasts x replicates
    variance_factor = np.einsum("rck,ck->rc", solved, contrast_rows)
    weighted_design = (weights[:, :, None] * matrix[None]).transpose(0, 2, 1).reshape(-1, len(matrix))
    statistics = np.full((len(contrast_rows), len(weights), len(values)), np.nan)
    for start in range(0, len(values), chunk_size):
        block = values[start:start + chunk_size]
        crossed = (weighted_design @ block.T).reshape(len(weights), matrix.shape[1], len(block))  # b per replicate
        residual = np.maximum((block ** 2 @ weights.T).T - np.einsum("rkg,rkg->rg", crossed, inverse @ crossed), 0)
        scale = np.sqrt(residual / residual_df[:, None])  # replicates x genes
        with np.errstate(divide="ignore", invalid="ignore"):
            statistics[:, :, start:start + len(block)] = (
                (solved @ crossed) / (scale[:, None, :] * np.sqrt(variance_factor)[:, :, None])).transpose(1, 0, 2)
    statistics[~usable] = np.nan
    return statistics, usable


def contrast_statistics(expression: pd.DataFrame, design: pd.DataFrame, contrast: np.ndarray, *,
                        weights: np.ndarray | None = None) -> pd.Series | None:
    """Weighted least-squares t statistics of one contrast for every gene (rows of ``expression``).

    Returns ``None`` when the (re)weighted design can no longer estimate the contrast.
    """
    weights = np.ones(len(design)) if weights is None else np.asarray(weights, dtype=float)
    statistics, usable = replicate_statistics(expression, design, np.asarray(contrast)[None, :], weights[None, :])
    return pd.Series(statistics[0, 0], index=expression.index) if usable[0, 0] else None


def bootstrap_weights(design: pd.DataFrame, patients: pd.Series, *, n_bootstrap: int, seed: int) -> np.ndarray:
    """Replicates x samples weights: how often each sample's patient is drawn when patients are resampled."""
    rng = np.random.default_rng(seed)
    sample_patients = patients.reindex(design.index).to_numpy()
    unique_patients = np.unique(sample_patients)
    weights = np.empty((n_bootstrap, len(sample_patients)))
    for replicate in range(n_bootstrap):
        times = pd.Series(rng.choice(unique_patients, size=len(unique_patients), replace=True)).value_counts()
        weights[replicate] = pd.Series(sample_patients).map(times).fillna(0).to_numpy()
    return weights


@dataclass(frozen=True)
class Replicates:
    """One contrast's bootstrap statistics: ``statistics`` (replicates x ``genes``) and which replicates are
    ``usable`` (:func:`replicate_statistics`)."""

    genes: pd.Index
    statistics: np.ndarray
    usable: np.ndarray

    def restricted_to(self, genes: pd.Index) -> Replicates:
        """The statistics of ``genes`` only, in this object's gene order."""
        keep = self.genes.isin(genes)
        return Replicates(self.genes[keep], self.statistics[:, keep], self.usable)


def contrast_replicates(expression: pd.DataFrame, design: pd.DataFrame, contrasts: Sequence[np.ndarray],
                        patients: pd.Series, *, n_bootstrap: int, seed: int) -> list[Replicates]:
    """Bootstrap statistics of several contrasts of one design over the genes of ``expression``; the contrasts
    share the resampled patients (same ``seed``) and the costly part of the least squares."""
    weights = bootstrap_weights(design, patients, n_bootstrap=n_bootstrap, seed=seed)
    statistics, usable = replicate_statistics(expression, design, np.vstack(contrasts), weights)
    return [Replicates(expression.index, statistics[index], usable[index]) for index in range(len(contrasts))]


def bootstrap_stability(replicates: Replicates, symbols: pd.Series, ppi: nx.Graph, *, n_genes: int, n_top: int,
                        seed: int, first_neighbours: bool = False, epc_networks: int = 1000,
                        rankings: dict[frozenset[str], list[str]] | None = None) -> tuple[pd.Series, int]:
    """How often each gene is among the top ``n_top`` hubs when patients are resampled.

    Each usable replicate calls its ``n_genes`` genes of largest absolute statistic, builds their subnetwork and
    ranks hubs again. A ranking depends only on the subnetwork's connected genes (:func:`trialrna.hubs.top_hubs`
    leaves isolated ones out), so it is computed once per set of them; ``rankings`` carries these between calls.

    Parameters
    ----------
    replicates
        The contrast's bootstrap statistics (:func:`contrast_replicates`).
    symbols
        ``gene_id`` -> symbol.
    n_genes
        Genes called per replicate (the real analysis's number of significant genes).

    Returns
    -------
    The fraction of usable replicates with each gene in the top ``n_top``, and the number of usable replicates.
    """
    rankings = {} if rankings is None else rankings
    counts: dict[str, int] = {}
    for row in replicates.statistics[replicates.usable]:
        finite = np.flatnonzero(np.isfinite(row))
        called = replicates.genes[finite[np.argsort(-np.abs(row[finite]), kind="stable")][:n_genes]]
        graph = contrast_subnetwork(ppi, sorted(set(symbols.reindex(called).dropna())),
                                    first_neighbours=first_neighbours)
        connected = frozenset(node for node, degree in graph.degree() if degree > 0)
        if connected not in rankings:
            rankings[connected] = top_hubs(graph, n_top=n_top, seed=seed, epc_networks=epc_networks)
        for gene in rankings[connected]:
            counts[gene] = counts.get(gene, 0) + 1
    n_usable = int(replicates.usable.sum())
    if n_usable < len(replicates.usable):
        log.warning("%d of %d bootstrap replicates could not estimate the contrast and were skipped",
                    len(replicates.usable) - n_usable, len(replicates.usable))
    return pd.Series(counts, dtype=float) / max(n_usable, 1), n_usable


def _by_symbol(de_table: pd.DataFrame) -> pd.DataFrame:
    """DE statistics indexed by symbol, one gene per symbol (:mod:`trialrna.symbols`)."""
    return one_gene_per_symbol(de_table, context="network").set_index("symbol")


def hub_table(graph: nx.Graph, de_table: pd.DataFrame, *, seed: int, stability: pd.Series | None = None,
              modules: pd.Series | None = None, epc_networks: int = 1000) -> pd.DataFrame:
    """One row per connected gene: DE statistics, the eleven method scores, per-method ranks, consensus, stability.

    Sorted by consensus rank. ``modules`` maps gene ids to co-expression modules.
    """
    by_symbol = _by_symbol(de_table)
    if graph.number_of_nodes() == 0:
        columns = ["symbol", "gene_id", "log2FoldChange", "padj", "seed", "module", "consensus_rank", "mean_rank",
                   "stability", *METHODS, *(f"{method}_rank" for method in METHODS)]
        return pd.DataFrame(columns=columns)
    scores = hub_scores(graph, seed=seed, epc_networks=epc_networks)
    ranking = consensus_ranking(scores)
    table = pd.concat([scores, ranking], axis=1)
    table.index.name = "symbol"
    table = table.reset_index()
    table.insert(1, "gene_id", table["symbol"].map(by_symbol["gene_id"]))
    table.insert(2, "log2FoldChange", table["symbol"].map(by_symbol["log2FoldChange"]))
    table.insert(3, "padj", table["symbol"].map(by_symbol["padj"]))
    table.insert(4, "seed", [bool(graph.nodes[node].get("seed", False)) for node in table["symbol"]])
    table.insert(5, "module", table["gene_id"].map(modules) if modules is not None else np.nan)
    table.insert(6, "consensus_rank", table.pop("consensus_rank"))
    table.insert(7, "mean_rank", table.pop("mean_rank"))
    table.insert(8, "stability", table["symbol"].map(stability).fillna(0.0) if stability is not None else np.nan)
    return table.sort_values("consensus_rank").reset_index(drop=True)


def hub_terms(hubs: Sequence[str], ora: Mapping[tuple[str, str], pd.DataFrame], *, alpha: float) -> pd.DataFrame:
    """Every significantly enriched term (ORA, same contrast) that contains each hub gene."""
    rows = []
    for (library, direction), table in ora.items():
        for term in table[table["padj"] < alpha].itertuples():
            members = set(term.genes.split(GENE_SEPARATOR)) if isinstance(term.genes, str) else set()
            rows += [(hub, library, direction, term.term, term.id, term.padj) for hub in hubs if hub in members]
    terms = pd.DataFrame(rows, columns=["symbol", "library", "direction", "term", "id", "padj"])
    order = {hub: position for position, hub in enumerate(hubs)}
    return terms.sort_values(["symbol", "padj"], key=lambda c: c.map(order) if c.name == "symbol" else c,
                             kind="stable").reset_index(drop=True)


def summarise_terms(terms: pd.DataFrame, *, per_gene: int = 3) -> pd.Series:
    """The ``per_gene`` most significant term names of each hub, joined with '; '."""
    return terms.groupby("symbol", sort=False)["term"].apply(lambda t: "; ".join(t.head(per_gene)))


def annotate_graph(graph: nx.Graph, hubs: pd.DataFrame) -> nx.Graph:
    """A copy of ``graph`` with DE statistics, hub scores and module as node attributes (GraphML-safe types)."""
    annotated = graph.copy()
    table = hubs.set_index("symbol")
    for column in ["gene_id", "log2FoldChange", "padj", "module", "consensus_rank", "mean_rank", "stability",
                   *METHODS]:
        values = table[column]
        if values.dtype == object or column == "module":
            values = values.fillna("").astype(str)
        else:
            values = values.astype(float)
        nx.set_node_attributes(annotated, values.to_dict(), column)
    return annotated


def cytoscape_edges(graph: nx.Graph, hubs: pd.DataFrame) -> pd.DataFrame:
    """Edge table for Cytoscape's "Import Network from File": source, target, interaction, score and the
    source and target node attributes."""
    edges = pd.DataFrame([(a, b, data.get("score", np.nan)) for a, b, data in graph.edges(data=True)],
                         columns=["source", "target", "score"]).astype({"source": str, "target": str})
    edges.insert(2, "interaction", "pp")
    attributes = hubs.set_index("symbol")[NODE_ATTRIBUTES]
    for end in ("source", "target"):
        edges = edges.join(attributes.add_prefix(f"{end}_"), on=end)
    return edges.sort_values(["source", "target"]).reset_index(drop=True)


def packed_layout(graph: nx.Graph) -> dict[str, np.ndarray]:
    """Kamada-Kawai layout of each connected component, components packed in rows from the largest down.

    A single force-directed layout pushes small components to the edges of the figure and shrinks the main one.
    """
    components = sorted(nx.connected_components(graph), key=lambda c: (-len(c), sorted(c)))
    position, x, y, row_height = {}, 0.0, 0.0, 0.0
    width = 2 * (0.5 + np.sqrt(len(components[0]))) * 2.6 if components else 1.0
    for component in components:
        size = 0.5 + np.sqrt(len(component))
        local = nx.kamada_kawai_layout(induced_subgraph(graph, component), scale=size)
        if x > 0 and x + 2 * size > width:
            x, y, row_height = 0.0, y - row_height - 0.8, 0.0
        for node, (px, py) in local.items():
            position[node] = np.array([x + size + px, y - size + py])
        x += 2 * size + 0.8
        row_height = max(row_height, 2 * size)
    return position


def plot_network(graph: nx.Graph, hubs: pd.DataFrame, path: str | Path, *, title: str, n_labels: int = 10,
                 max_nodes: int = 300) -> None:
    """Nodes coloured by log2 fold change, sized by consensus rank, the top hubs labelled; isolated nodes left out.

    Networks above ``max_nodes`` nodes show the ``max_nodes`` best-ranked nodes (said in the title); networks of
    up to 80 drawn nodes name every node, the top hubs in bold.
    """
    fig, axis = plt.subplots(figsize=(10, 8.5))
    axis.axis("off")
    if hubs.empty:
        axis.text(0.5, 0.5, "No interaction between significant genes in STRING", ha="center", va="center")
        axis.set_title(title, fontsize=11)
        save(fig, path, tight=False)
        return
    shown = hubs.nsmallest(max_nodes, "consensus_rank")
    subgraph = induced_subgraph(graph, shown["symbol"])
    pairs = [c for c in nx.connected_components(subgraph) if len(c) == 2]
    if len(pairs) < nx.number_connected_components(subgraph):
        # Two-gene components crowd out the network's structure; they stay in the tables and exports.
        subgraph = induced_subgraph(subgraph, [n for n in subgraph if not any(n in pair for pair in pairs)])
    else:
        pairs = []
    table = shown.set_index("symbol").loc[list(subgraph.nodes)]
    position = packed_layout(subgraph)
    fold = table["log2FoldChange"].fillna(0.0).to_numpy()
    limit = max(float(np.abs(fold).max()), 1e-6)
    size = 40 + 560 * (1 - (table["consensus_rank"].to_numpy() - 1) / max(len(hubs) - 1, 1)) ** 2
    nx.draw_networkx_edges(subgraph, position, ax=axis, alpha=0.3, width=0.7)
    drawn = nx.draw_networkx_nodes(subgraph, position, ax=axis, node_color=fold, cmap=DIVERGING, node_size=size,
                                   vmin=-limit, vmax=limit, edgecolors="#333333", linewidths=0.4)
    hubs_named = set(table.nsmallest(n_labels, "consensus_rank").index)
    offset = 0.045 * (np.ptp(np.array(list(position.values())), axis=0).max() or 1.0)
    for node, (x, y) in position.items():
        if node in hubs_named or len(subgraph) <= 80:
            axis.annotate(node, (x, y + offset), ha="center", va="bottom", fontsize=9 if node in hubs_named else 7,
                          fontweight="bold" if node in hubs_named else "normal",
                          color="#111111" if node in hubs_named else "#555555")
    axis.set_aspect("equal")
    fig.colorbar(drawn, ax=axis, shrink=0.6, label="log2 fold change")
    notes = [f"best {max_nodes} of {len(hubs)} nodes" if len(hubs) > max_nodes else "",
             f"{len(pairs)} two-gene components not drawn" if pairs else "", f"bold: top {n_labels} hubs"]
    axis.set_title(f"{title}\n" + "; ".join(note for note in notes if note), fontsize=11)
    save(fig, path)


def analyse_contrast(de_table: pd.DataFrame, edges: pd.DataFrame | nx.Graph, *, expression: pd.DataFrame,
                     genes: pd.DataFrame, design: pd.DataFrame, contrast: np.ndarray | None, patients: pd.Series,
                     modules: pd.Series | None, ora: Mapping[tuple[str, str], pd.DataFrame], alpha: float,
                     lfc_threshold: float, term_alpha: float, first_neighbours: bool, n_top: int, n_bootstrap: int,
                     seed: int, epc_networks: int = 1000, replicates: Replicates | None = None,
                     rankings: dict[frozenset[str], list[str]] | None = None) -> dict[str, object]:
    """The network stage of one contrast: subnetwork, hub table with stability, hub terms, unconnected genes.

    ``edges`` are STRING's (gene_a, gene_b, score), or the graph :func:`ppi_graph` made of them (jobs that
    analyse several contrasts build it once). ``contrast`` is ``None`` for a likelihood-ratio test (no bootstrap
    then: stability stays missing). ``replicates`` are the contrast's bootstrap statistics when the caller
    computed them with other contrasts of the design (:func:`contrast_replicates`, over at least the genes this
    contrast tested); ``rankings`` is a hub-ranking cache shared between calls (:func:`bootstrap_stability`).
    Returns ``hubs``, ``terms``, ``unconnected`` (tables), ``graph`` (annotated, isolated nodes removed) and
    ``replicates`` (usable bootstrap replicates). STRING is keyed by symbol: a symbol shared by several gene ids
    enters through its highest-expressed gene (:mod:`trialrna.symbols`), in the network and in the bootstrap.
    """
    ppi = edges if isinstance(edges, nx.Graph) else ppi_graph(edges)
    de_table = one_gene_per_symbol(de_table, context="network")
    significant = de_genes(de_table, alpha=alpha, lfc_threshold=lfc_threshold)
    graph, isolated = split_isolated(contrast_subnetwork(ppi, significant, first_neighbours=first_neighbours))
    absent = [gene for gene in significant if gene not in ppi]
    log.info("%d significant genes; %d connected in STRING (%d edges), %d isolated, %d not in STRING",
             len(significant), graph.number_of_nodes(), graph.number_of_edges(), len(isolated), len(absent))
    stability, n_usable = None, 0
    if contrast is not None and n_bootstrap > 0 and graph.number_of_nodes() > 0:
        tested = expression.index.intersection(de_table.dropna(subset=["pvalue"])["gene_id"])
        if replicates is None:
            replicates = contrast_replicates(expression.loc[tested], design, [contrast], patients,
                                             n_bootstrap=n_bootstrap, seed=seed)[0]
        stability, n_usable = bootstrap_stability(
            replicates.restricted_to(tested), genes.set_index("gene_id")["symbol"], ppi, n_genes=len(significant),
            n_top=n_top, seed=seed, first_neighbours=first_neighbours, epc_networks=epc_networks, rankings=rankings)
    hubs = hub_table(graph, de_table, seed=seed, stability=stability, modules=modules, epc_networks=epc_networks)
    terms = hub_terms(hubs["symbol"].head(n_top).tolist(), ora, alpha=term_alpha)
    hubs.insert(9, "top_terms", hubs["symbol"].map(summarise_terms(terms)).fillna(""))
    by_symbol = _by_symbol(de_table)
    unconnected = pd.DataFrame({"symbol": isolated + absent,
                                "status": ["isolated"] * len(isolated) + ["not in STRING"] * len(absent)})
    for column in ("gene_id", "log2FoldChange", "padj"):
        unconnected[column] = unconnected["symbol"].map(by_symbol[column])
    return {"hubs": hubs, "terms": terms, "unconnected": unconnected, "replicates": n_usable,
            "graph": annotate_graph(graph, hubs) if len(hubs) else graph}


def baseline_hub_score(expression: pd.DataFrame, metadata: pd.DataFrame, hubs: pd.DataFrame, *, n_top: int,
                       baseline: str) -> pd.Series:
    """Per patient, the mean baseline z-score of the top hubs, each signed by minus its log2 fold change.

    Contrasts put responders first, so a higher score means more of the expression that marks non-responders.
    """
    if hubs.empty:
        return pd.Series(dtype=float, name="hub_score")
    top = hubs.nsmallest(n_top, "consensus_rank").dropna(subset=["gene_id"])
    at_baseline = metadata[metadata["timepoint"] == baseline]
    values = expression.loc[top["gene_id"], at_baseline["sample"]]
    z = values.sub(values.mean(axis=1), axis=0).div(values.std(axis=1).replace(0, np.nan), axis=0)
    signed = z.mul(-np.sign(top.set_index("gene_id")["log2FoldChange"]), axis=0)
    return pd.Series(signed.mean(axis=0).to_numpy(), index=at_baseline["patient"].to_numpy(), name="hub_score")


def write_contrast_network(result: Mapping[str, object], *, hubs: str | Path, terms: str | Path,
                           unconnected: str | Path, cytoscape: str | Path, graphml: str | Path, figure: str | Path,
                           title: str, n_labels: int, max_nodes: int) -> None:
    """Write what :func:`analyse_contrast` returns: the three tables, the Cytoscape edge table, GraphML, figure."""
    for name, path in (("hubs", hubs), ("terms", terms), ("unconnected", unconnected)):
        write_table(result[name], path)
    write_table(cytoscape_edges(result["graph"], result["hubs"]), cytoscape)
    nx.write_graphml(result["graph"], graphml)
    plot_network(result["graph"], result["hubs"], figure, title=title, n_labels=n_labels, max_nodes=max_nodes)


def analyse_contrasts(paths: Sequence[str], *, plans: Mapping[str, object], tables: Sequence[str | Path],
                      ora: Sequence[str | Path], libraries: Sequence[str], outputs: Sequence[str | Path],
                      kinds: Sequence[str], edges: pd.DataFrame, max_nodes: int, n_top: int, **options) -> None:
    """:func:`analyse_contrast` and :func:`write_contrast_network` for several result paths of one job.

    ``tables`` are the DE tables of ``paths``; ``ora`` their ORA tables (``libraries`` x up/down per path, in
    that order); ``outputs`` the files of every path, ``kinds`` per path in the order of
    :func:`write_contrast_network`'s arguments (hubs, terms, unconnected, cytoscape, graphml, figure).
    """
    from trialrna.contrasts import find_contrast
    from trialrna.enrich import read_ora_tables
    from trialrna.tables import read_result_table

    per_path = 2 * len(libraries)
    names = ("hubs", "terms", "unconnected", "cytoscape", "graphml", "figure")
    ppi = ppi_graph(edges)
    de_tables = [read_result_table(table) for table in tables]
    found = [find_contrast(plans, path) for path in paths]
    vectors = [contrast.vector(list(fit.design.columns)) if contrast else None for fit, contrast in found]
    replicates = _shared_replicates(found, vectors, de_tables, expression=options["expression"],
                                    patients=options["patients"], n_bootstrap=options["n_bootstrap"],
                                    seed=options["seed"])
    rankings: dict[frozenset[str], list[str]] = {}
    for index, path in enumerate(paths):
        fit = found[index][0]
        result = analyse_contrast(
            de_tables[index], ppi, design=fit.design, contrast=vectors[index],
            ora=read_ora_tables(ora[index * per_path:(index + 1) * per_path]), n_top=n_top,
            replicates=replicates.get(index), rankings=rankings, **options)
        files = outputs[index * len(kinds):(index + 1) * len(kinds)]
        write_contrast_network(result, **dict(zip(names, files, strict=True)), title=f"STRING network of {path}",
                               n_labels=n_top, max_nodes=max_nodes)


def _shared_replicates(found: Sequence[tuple[object, object]], vectors: Sequence[np.ndarray | None],
                       de_tables: Sequence[pd.DataFrame], *, expression: pd.DataFrame, patients: pd.Series,
                       n_bootstrap: int, seed: int) -> dict[int, Replicates]:
    """Bootstrap statistics of the contrasts (by position) that have a vector, one pass per fit over the genes any
    of its contrasts tested."""
    by_fit: dict[str, list[int]] = {}
    for index, (fit, _) in enumerate(found):
        if vectors[index] is not None and n_bootstrap > 0:
            by_fit.setdefault(fit.name, []).append(index)
    shared = {}
    for indices in by_fit.values():
        tested = set().union(*(de_tables[i].dropna(subset=["pvalue"])["gene_id"] for i in indices))
        design = found[indices[0]][0].design
        computed = contrast_replicates(expression.loc[expression.index.isin(tested)], design,
                                       [vectors[i] for i in indices], patients, n_bootstrap=n_bootstrap, seed=seed)
        shared.update(zip(indices, computed, strict=True))
    return shared

"""The reviewer's report: one self-contained HTML page (jinja2) built from the workflow's own result tables.

Figures are embedded as data URIs, tables are plain HTML made sortable and searchable by a few lines of inline
JavaScript, every user-supplied string is escaped by jinja2's autoescaping, and nothing is fetched from a network.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import platform
import tempfile
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from trialrna.annotation import sha256sum  # noqa: E402
from trialrna.contrasts import key_contrast  # noqa: E402
from trialrna.io import annotation_warning  # noqa: E402

TEMPLATES = Path(__file__).resolve().parents[2] / "report" / "templates"
PACKAGES = ("snakemake", "pydeseq2", "gseapy", "networkx", "scanpy", "pandas", "numpy", "scipy", "statsmodels",
            "lifelines", "matplotlib", "jinja2", "scikit-misc", "blitzgsea")
RESPONSE_RULES = {"orr": "responders: CR or PR; non-responders: SD or PD (objective response)",
                  "cbr": "responders: CR, PR or SD; non-responders: PD (clinical benefit)"}


def image(path: str | Path) -> str | None:
    """A PNG as a data URI, or None when the figure was not made."""
    path = Path(path)
    if not path.exists():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def read_table(path: str | Path) -> pd.DataFrame | None:
    path = Path(path)
    return pd.read_csv(path, sep="\t") if path.exists() else None


def html_table(table: pd.DataFrame | None, *, digits: int = 3, table_id: str = "", limit: int | None = None
               ) -> dict[str, Any] | None:
    """Rows of strings for the template (which escapes them); numbers rounded to ``digits`` significant digits."""
    if table is None:
        return None
    shown = table.head(limit) if limit else table

    def cell(value: Any) -> str:
        if isinstance(value, float | np.floating):
            if np.isnan(value):
                return ""
            if np.isinf(value):
                return "not reached"
            return f"{value:.{digits}g}"
        return str(value)

    return {"id": table_id, "columns": [str(c) for c in shown.columns],
            "rows": [[cell(v) for v in row] for row in shown.itertuples(index=False)], "total": len(table)}


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 of the config as canonical JSON: two runs with the same hash had the same settings."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def software_versions() -> list[tuple[str, str]]:
    versions = [("python", platform.python_version())]
    for package in PACKAGES:
        try:
            versions.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            continue
    return versions


def plot_trajectories(counts: pd.DataFrame, metadata_table: pd.DataFrame, genes: pd.DataFrame,
                      gene_ids: Sequence[str], path: str | Path, *, title: str) -> None:
    """Per-patient log2 CPM of the chosen genes over the visits, one line per patient, coloured by response."""
    cpm = np.log2(counts / counts.sum(axis=0) * 1e6 + 1)
    symbols = genes.set_index("gene_id")["symbol"]
    visits = list(metadata_table["timepoint"].cat.categories)
    grouped = metadata_table[metadata_table["group"].notna()]
    columns = min(3, max(len(gene_ids), 1))
    rows = int(np.ceil(len(gene_ids) / columns)) or 1
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False)
    colours = {"responders": "#1e8449", "non_responders": "#c0392b"}
    for axis, gene in zip(axes.ravel(), gene_ids):
        for (patient, group), samples in grouped.groupby(["patient", "group"], observed=True):
            ordered = samples.sort_values("timepoint")
            axis.plot([visits.index(v) for v in ordered["timepoint"]], cpm.loc[gene, ordered["sample"]],
                      color=colours[group], alpha=0.35, linewidth=0.9)
        for group, colour in colours.items():
            means = [cpm.loc[gene, grouped[(grouped["group"] == group) & (grouped["timepoint"] == v)]["sample"]].mean()
                     for v in visits]
            axis.plot(range(len(visits)), means, color=colour, linewidth=3, label=group.replace("_", "-"))
        axis.set_xticks(range(len(visits)), [v.replace("_", " ") for v in visits], fontsize=8)
        axis.set_title(symbols.get(gene, gene), fontsize=10)
        axis.set_ylabel("log2 CPM", fontsize=8)
    for axis in axes.ravel()[len(gene_ids):]:
        axis.axis("off")
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _key_contrast(summary: pd.DataFrame | None, visits: Sequence[str]) -> str | None:
    """:func:`trialrna.contrasts.key_contrast` among the whole-cohort contrasts of the DE summary."""
    if summary is None or summary.empty:
        return None
    return key_contrast(summary.loc[summary["scope"] == "all", "contrast"].tolist(), visits)


def _significant(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    return table[table["padj"] < alpha].sort_values("pvalue")


def findings(*, key_table: pd.DataFrame | None, summary: pd.DataFrame | None, key: str | None, alpha: float,
             rates: pd.DataFrame | None, differences: pd.DataFrame | None, survival: pd.DataFrame | None,
             enrichment: pd.DataFrame | None, n_patients: int, n_samples: int, n_analysed: int,
             hubs: pd.DataFrame | None = None, modules: pd.DataFrame | None = None, n_top: int = 10) -> list[str]:
    """Plain-words statements of the strongest findings, each with its numbers, then the limits."""
    said = []
    if key:
        hits = _significant(key_table, alpha)
        if hits.empty:
            said.append(f"No gene passed the adjusted p-value threshold of {alpha:g} in {key}: the change over "
                        "treatment did not differ detectably between responders and non-responders.")
        else:
            up, down = int((hits["log2FoldChange"] > 0).sum()), int((hits["log2FoldChange"] < 0).sum())
            top = ", ".join(f"{row.symbol} (log2FC {row.log2FoldChange:+.2f}, padj {row.padj:.1e})"
                            for row in hits.head(5).itertuples())
            said.append(f"{len(hits)} genes changed differently between responders and non-responders ({key}: "
                        f"{down} rose more, or fell less, in non-responders; {up} in responders). Strongest: {top}.")
    for scope in sorted(set(summary["scope"]) - {"all"}) if summary is not None else []:
        row = summary[(summary["scope"] == scope) & (summary["contrast"] == key)]
        if not row.empty:
            said.append(f"Within {scope.removeprefix('arm_')}: {int(row['up'].iat[0] + row['down'].iat[0])} genes "
                        f"significant in {key}.")
    if enrichment is not None and key in enrichment.columns:
        column = enrichment[key]
        strongest = column[column.abs() > -np.log10(alpha)].abs().sort_values(ascending=False).head(4)
        if len(strongest):
            terms = "; ".join(f"{term} ({'up' if column[term] > 0 else 'down'}, padj {10 ** -column.abs()[term]:.1e})"
                              for term in strongest.index)
            said.append(f"Pathways behind {key}: {terms}.")
    if hubs is not None and not hubs.empty:
        named = ", ".join(row.symbol + ("" if pd.isna(row.stability) else f" ({row.stability:.0%})")
                          for row in hubs.head(5).itertuples())
        said.append(f"Key action nodes of {key}, by the consensus of the eleven cytoHubba methods on its STRING "
                    f"network: {named}; in brackets, how often a patient-bootstrap replicate kept the gene among "
                    f"its top {n_top} hubs. The hub table lists the enriched terms each belongs to.")
    if modules is not None and not modules.empty:
        row = modules.iloc[0]
        numbers = f"eigengene r = {row['r_response']:+.2f}, p = {row['p_response']:.1e}"
        if row["p_response"] < alpha:
            said.append(f"Co-expression module {row['module']} ({row['genes']} genes; hubs {row['hubs']}) tracks "
                        f"response ({numbers}; samples of a patient are not independent, so p is optimistic).")
        else:
            said.append(f"No co-expression module tracked response (closest: {row['module']}, {row['genes']} genes, "
                        f"{numbers}).")
    if rates is not None and differences is not None and not differences.empty:
        orr = differences[differences["endpoint"] == "ORR"].iloc[0]
        said.append(f"ORR was {orr['rate']:.0%} on {orr['arm']} and {orr['control_rate']:.0%} on "
                    f"{orr['control_arm']} (difference {orr['difference']:+.0%}, 95 % CI {orr['ci_low']:+.0%} to "
                    f"{orr['ci_high']:+.0%}, Fisher p = {orr['fisher_p']:.2g}).")
    if survival is not None and not survival.empty:
        pfs = survival[(survival["endpoint"] == "PFS") & (survival["comparison"] == "arm") & survival["hr"].notna()]
        if not pfs.empty:
            row = pfs.iloc[0]
            said.append(f"PFS hazard ratio {row['group']} vs control: {row['hr']:.2f} (95 % CI {row['hr_ci_low']:.2f}"
                        f"-{row['hr_ci_high']:.2f}, log-rank p = {row['p']:.2g}).")
    said.append(f"Limits: {n_patients} patients ({n_samples} samples, {n_analysed} patients with a response "
                "group) give little power for modest effects; thousands of genes and many contrasts are tested, "
                "so individual genes near the threshold may be false positives even after FDR control; response "
                "groups are defined after treatment; there is no validation cohort, so these are hypotheses to "
                "confirm in an independent trial.")
    return said


def module_summary(results: Path, *, n_hubs: int = 3) -> pd.DataFrame | None:
    """One row per co-expression module (M0 left out): size, top kME hubs and eigengene correlation with response,
    most response-correlated first."""
    members = read_table(results / "network/coexpression/modules.tsv")
    traits = read_table(results / "network/coexpression/module_traits.tsv")
    if members is None or traits is None:
        return None
    members = members[members["module"] != "M0"]
    response = traits[traits["trait"] == "response"].set_index("module")
    rows = [(module, len(genes), ", ".join(genes.nsmallest(n_hubs, "module_rank")["symbol"].astype(str)),
             response["r"].get(module, np.nan), response["p"].get(module, np.nan))
            for module, genes in members.groupby("module")]
    if not rows:
        return None
    table = pd.DataFrame(rows, columns=["module", "genes", "hubs", "r_response", "p_response"])
    return table.sort_values("p_response", na_position="last").reset_index(drop=True)


def _sample_qc(results: Path, samples: pd.DataFrame) -> pd.DataFrame:
    """One row per sample: patient, visit, arm, group, library size, detected genes, correlation, outlier flag."""
    stats = read_table(results / "qc/library_stats.tsv")
    outliers = read_table(results / "qc/outliers.tsv")
    table = samples[["sample", "patient", "timepoint", "arm", "group"]].merge(stats, on="sample").merge(
        outliers, on="sample")
    return table.assign(group=table["group"].astype(str).replace("nan", "not evaluable"))


def dominated_samples(stats: pd.DataFrame | None) -> pd.DataFrame | None:
    """Samples flagged ``dominated`` in the library statistics: sample, top gene (symbol and id), its share."""
    if stats is None or "dominated" not in stats:
        return None
    flagged = stats[stats["dominated"].astype(bool)]
    return pd.DataFrame({"sample": flagged["sample"], "top gene": flagged["top_symbol"],
                         "gene id": flagged["top_gene"],
                         "share of library": [f"{share:.0%}" for share in flagged["top_gene_share"]]})


def gene_id_warning(summary: pd.DataFrame | None, *, min_annotated_share: float) -> str | None:
    """The warning shown beside enrichment and networks when few gene ids matched the annotation, else None."""
    if summary is None or summary.empty:
        return None
    share = float(summary["matched_share"].iat[0])
    if share >= min_annotated_share:
        return None
    text = annotation_warning(share)
    return text[0].upper() + text[1:]


def build_context(*, results: str | Path, config: Mapping[str, Any], input_files: Mapping[str, str | Path],
                  workdir: str | Path) -> dict[str, Any]:
    """Everything the template shows, read from the results folder."""
    results, workdir = Path(results), Path(workdir)
    from trialrna.cohort import read_count_table, read_sample_metadata

    samples = read_sample_metadata(results / "samples/sample_metadata.tsv")
    visits = list(samples["timepoint"].cat.categories)
    alpha = config["de"]["alpha"]
    summary = read_table(results / "de/summary.tsv")
    key = _key_contrast(summary, visits)
    heatmap = read_table(results / "enrichment/heatmap.tsv")
    enrichment = heatmap.set_index(heatmap.columns[0]) if heatmap is not None else None
    rates = read_table(results / "clinical/response_rates.tsv")
    differences = read_table(results / "clinical/response_rate_differences.tsv")
    survival = read_table(results / "clinical/survival.tsv")

    trajectory_figure, trajectory_genes = None, []
    key_table = read_table(results / "de" / f"{key}.tsv") if key else None
    hubs = read_table(results / f"network/{key}.hubs.tsv") if key else None
    hubs = hubs if hubs is not None and not hubs.empty else None
    if key:
        ranked = hubs if hubs is not None else _significant(key_table, alpha)
        trajectory_genes = ranked["gene_id"].head(6).tolist()
    if trajectory_genes:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "trajectories.png"
            plot_trajectories(read_count_table(results / "counts/counts.tsv"), samples,
                              pd.read_csv(results / "counts/genes.tsv", sep="\t"), trajectory_genes, path,
                              title=f"Top {'hub' if hubs is not None else 'DE'} genes of {key}, per patient")
            trajectory_figure = image(path)

    contrast_tables = []
    for contrast in ([key] if key else []) + [c for c in ("response_" + visits[0],) if summary is not None and c in
                                              set(summary["contrast"])]:
        table = key_table if contrast == key else read_table(results / "de" / f"{contrast}.tsv")
        columns = ["symbol", "gene_id", "baseMean", "log2FoldChange", "padj"]
        contrast_tables.append({"name": contrast, "volcano": image(results / f"de/plots/{contrast}.volcano.png"),
                                "table": html_table(_significant(table, alpha)[columns], table_id=f"de-{contrast}",
                                                    limit=200)})
    top_terms = []
    if key:
        for path in sorted((results / "enrichment" / key).glob("*.ora_*.tsv")):
            table = read_table(path)
            library, direction = path.name[:-4].rsplit(".", 1)
            top_terms.append(table[table["padj"] < config["enrichment"]["alpha"]].head(10)
                             .assign(library=library, direction=direction.removeprefix("ora_")))
    terms = pd.concat(top_terms)[["library", "direction", "term", "id", "size", "overlap", "padj"]].sort_values(
        "padj") if top_terms and any(len(t) for t in top_terms) else None

    hub_columns = ["symbol", "consensus_rank", "stability", "log2FoldChange", "padj", "module", "top_terms",
                   "Degree", "MCC", "Betweenness"]
    modules = module_summary(results)
    n_analysed = samples.loc[samples["group"].notna(), "patient"].nunique()
    clinical = read_table(workdir / config["clinical"]["sheet"])
    annotation_warning_text = gene_id_warning(read_table(results / "counts/gene_id_summary.tsv"),
                                              min_annotated_share=config["qc"]["min_annotated_share"])
    return {
        "title": "Transcriptomic mechanisms of resistance",
        "design": {"arms": sorted(clinical["arm"].unique()), "visits": visits,
                   "rule": RESPONSE_RULES[config["response"]["rule"]],
                   "patients": clinical["patient"].nunique(), "samples": len(samples),
                   "groups": samples.drop_duplicates("patient")["group"].astype(str).replace(
                       "nan", "not evaluable").value_counts().to_dict()},
        "flow": {"figure": image(results / "clinical/sample_flow.png"),
                 "table": html_table(read_table(results / "clinical/sample_flow.tsv"), table_id="flow")},
        "clinical": {"rates": html_table(rates, table_id="rates"),
                     "differences": html_table(differences, table_id="differences"),
                     "survival": html_table(survival, table_id="survival"),
                     "km": [image(results / f"clinical/km_{e}.png") for e in ("pfs", "os")],
                     "safety": html_table(read_table(results / "clinical/safety_summary.tsv"), table_id="safety"),
                     "qol": image(results / "clinical/qlq_c30_change.png"),
                     "biomarkers": html_table(read_table(results / "clinical/biomarkers.tsv"), table_id="biomarkers")},
        "qc": {"pca": image(results / "qc/pca.png"),
               "dominated": html_table(dominated_samples(read_table(results / "qc/library_stats.tsv")),
                                       table_id="dominated"),
               "max_gene_share": config["qc"]["max_gene_share"],
               "outliers": html_table(read_table(results / "qc/outliers.tsv").query("outlier"), table_id="outliers"),
               "samples": html_table(_sample_qc(results, samples), table_id="samples-qc")},
        "de": {"summary": html_table(summary, table_id="de-summary"), "key": key, "contrasts": contrast_tables,
               "trajectories": trajectory_figure,
               "plan": html_table(read_table(results / "de/contrasts.tsv"), table_id="plan")},
        "network": {"key": key, "annotation_warning": annotation_warning_text, "hubs": html_table(hubs[hub_columns] if hubs is not None else None, table_id="hubs",
                                                   limit=30),
                    "figure": image(results / f"network/{key}.network.png") if key else None,
                    "unconnected": html_table(read_table(results / f"network/{key}.unconnected.tsv") if key else None,
                                              table_id="unconnected"),
                    "hub_score": html_table(read_table(results / "network/hub_score_endpoints.tsv"),
                                            table_id="hub-score"),
                    "modules": html_table(modules, table_id="modules"),
                    "module_traits": image(results / "network/coexpression/module_traits.png")},
        "enrichment": {"heatmap": image(results / "enrichment/heatmap.png"),
                       "annotation_warning": annotation_warning_text,
                       "terms": html_table(terms, table_id="terms"), "key": key},
        "findings": findings(key_table=key_table, summary=summary, key=key, alpha=alpha, rates=rates,
                             differences=differences, survival=survival, enrichment=enrichment,
                             n_patients=clinical["patient"].nunique(), n_samples=len(samples),
                             n_analysed=n_analysed, hubs=hubs, modules=modules,
                             n_top=config["network"]["top_hubs"]),
        "methods": {"versions": software_versions(), "config": config, "alpha": alpha,
                    "gene_sets": html_table(read_table(results / "enrichment/gene_sets.tsv"), table_id="gene-sets"),
                    "formulas": html_table(read_table(results / "de/contrasts.tsv"), table_id="formulas")},
        "provenance": {"config_hash": config_hash(config),
                       "inputs": [(name, str(path), sha256sum(workdir / path)) for name, path in input_files.items()
                                  if path and (workdir / path).exists()],
                       "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")},
    }


def render_report(context: Mapping[str, Any], path: str | Path) -> None:
    """Render the page with autoescaping (every user-supplied string is escaped)."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    Path(path).write_text(environment.get_template("index.html.j2").render(**context))

"""Pre-ranked GSEA methods side by side on the demo's DE results, against gseapy with 10,000 permutations.

    PYTHONPATH=workflow/scripts nice -n 10 .venv/bin/python benchmarks/gsea_methods.py [--results results]
        [--work results/gsea_methods] [--threads 2] [--methods ...]

Run after ``snakemake --until de_summary``. Every (method, contrast, library) runs once in its own process (so its
peak memory is its own) and its table, wall time, peak RSS and the load average at the time are cached under
``--work``: a second call only reads them. The reference (gseapy, 10,000 permutations) takes about an hour per
contrast for GO BP on 2 cores; run it once with ``nice``. decoupler is optional (it is not a dependency of the
workflow): methods whose package is missing are skipped.

Rankings and gene sets are the workflow's: :func:`trialrna.enrich.ranking` (Wald statistic, one gene per symbol)
and :func:`trialrna.enrich.restrict_sets` (sets restricted to the ranked genes, 15-500 genes there).

For each method and contrast it prints the Pearson correlation of NES (and of ES) with the reference over the
terms both report, the Jaccard index of the FDR < 0.05 term sets two ways, because the definitions differ:
``jac_own`` compares the method's own FDR with the reference's GSEA permutation q-value (gseapy's ``FDR q-val``),
``jac_bh`` compares Benjamini-Hochberg on the method's p-values with Benjamini-Hochberg on the reference's nominal
p-values; then the wall time and peak memory of GO BP for the key contrast.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from trialrna.enrich import ranking, restrict_sets, term_label  # noqa: E402
from trialrna.gene_sets import kegg_path, read_gmt  # noqa: E402

CONTRASTS = ("interaction_end_of_treatment", "interaction_on_treatment", "response_baseline")
KEY_CONTRASTS = ("interaction_end_of_treatment", "interaction_on_treatment")
LIBRARIES = {"GO_BP": ROOT / "resources/gene_sets/GO_BP.gmt.gz", "KEGG_2021": kegg_path()}
MIN_SIZE, MAX_SIZE, SEED, ALPHA = 15, 500, 20261121, 0.05
REFERENCE = "gseapy_perm_10000"
#: Columns every method's table is brought to: term, set size, ES, NES, p-value, the method's own FDR.
COLUMNS = ["term", "size", "es", "nes", "p", "fdr"]


def _gseapy(permutations: int, method: str = "permutation", sample_size: int = 101) -> Callable[..., pd.DataFrame]:
    def run(ranks: pd.Series, sets: Mapping[str, list[str]], *, threads: int) -> pd.DataFrame:
        import gseapy

        res = gseapy.prerank(rnk=ranks, gene_sets=dict(sets), min_size=MIN_SIZE, max_size=MAX_SIZE,
                             permutation_num=permutations, seed=SEED, threads=threads, outdir=None, no_plot=True,
                             method=method, sample_size=sample_size).res2d
        return pd.DataFrame({"term": res["Term"], "size": res["Term"].map(lambda t: len(sets[t])),
                             "es": res["ES"].astype(float), "nes": res["NES"].astype(float),
                             "p": res["NOM p-val"].astype(float), "fdr": res["FDR q-val"].astype(float)})
    return run


def _gseapy_chunked(permutations: int, *, chunk: int = 1024, seed: int = SEED) -> Callable[..., pd.DataFrame]:
    """gseapy's permutation GSEA, run on chunks of sets: gseapy.prerank in one call needs more memory than we have.

    gseapy.prerank with 10,000 permutations holds about 8 GB whatever the number of sets, and about 1 MB more per
    set for its result frame; GO BP in one call does not fit next to the other jobs of a shared 23 GB machine. So
    the reference calls the Rust function gseapy.prerank itself calls (``gseapy.gse.prerank_rs``) on chunks of
    sets with one seed (a set's null does not depend on the other sets: :func:`check_chunked_reference`), and
    pools the nulls of all sets in ``gseapy.algorithm.gsea_significance`` (gseapy's reference implementation of
    NES, nominal p and the GSEA q-value, which its Rust engine reproduces exactly).
    """
    def run(ranks: pd.Series, sets: Mapping[str, list[str]], *, threads: int) -> pd.DataFrame:
        from gseapy.algorithm import gsea_significance
        from gseapy.gse import prerank_rs

        names = list(sets)
        es, nulls, terms = [], [], []
        for start in range(0, len(names), chunk):
            part = {name: sets[name] for name in names[start:start + chunk]}
            result = prerank_rs(list(ranks.index), ranks.to_list(), part, 1.0, MIN_SIZE, MAX_SIZE, permutations,
                                threads, seed)
            for summary in result.summaries:
                terms.append(summary.term)
                es.append(summary.es)
                nulls.append(np.asarray(summary.esnull))
            del result
        _, nes, p, fdr = map(np.asarray, zip(*gsea_significance(np.asarray(es), np.vstack(nulls)), strict=True))
        return pd.DataFrame({"term": terms, "size": [len(sets[t]) for t in terms], "es": es, "nes": nes, "p": p,
                             "fdr": fdr})
    return run


def check_chunked_reference(results: Path, *, permutations: int = 200) -> None:
    """The chunked reference equals one gseapy.prerank call (KEGG, key contrast, few permutations)."""
    import gseapy

    ranks, sets = inputs(results, CONTRASTS[0], "KEGG_2021")
    whole = gseapy.prerank(rnk=ranks, gene_sets=sets, min_size=MIN_SIZE, max_size=MAX_SIZE,
                           permutation_num=permutations, seed=SEED, threads=2, outdir=None, no_plot=True).res2d
    whole = whole.set_index("Term")[["ES", "NES", "NOM p-val", "FDR q-val"]].astype(float)
    chunked = _gseapy_chunked(permutations, chunk=70)(ranks, sets, threads=2).set_index("term")
    chunked = chunked.loc[whole.index, ["es", "nes", "p", "fdr"]].to_numpy()
    np.testing.assert_allclose(chunked, whole.to_numpy(), rtol=1e-9, atol=1e-12)


def _blitzgsea(ranks: pd.Series, sets: Mapping[str, list[str]], *, threads: int) -> pd.DataFrame:
    import blitzgsea

    # center=False: the ES is then GSEA's ES on the Wald statistic, as gseapy's (blitzgsea centres by default).
    res = blitzgsea.gsea(pd.DataFrame({"i": ranks.index, "v": ranks.to_numpy()}), dict(sets), permutations=2000,
                         min_size=MIN_SIZE, max_size=MAX_SIZE, processes=threads, seed=SEED, center=False,
                         signature_cache=False)
    return pd.DataFrame({"term": res.index, "size": res["geneset_size"].to_numpy(), "es": res["es"].to_numpy(),
                         "nes": res["nes"].to_numpy(), "p": res["pval"].to_numpy(), "fdr": res["fdr"].to_numpy()})


def _decoupler(ranks: pd.Series, sets: Mapping[str, list[str]], *, threads: int) -> pd.DataFrame:
    import decoupler

    net = pd.DataFrame([(term, gene) for term, genes in sets.items() for gene in genes], columns=["source", "target"])
    data = ranks.to_frame().T
    es, pv = decoupler.mt.gsea(data, net, tmin=MIN_SIZE, times=1000, seed=SEED, verbose=False)
    # decoupler returns the NES as its score; the ES is not returned.
    nes, p = es.iloc[0], pv.iloc[0]
    return pd.DataFrame({"term": nes.index, "size": nes.index.map(lambda t: len(sets[t])), "es": np.nan,
                         "nes": nes.to_numpy(), "p": p.to_numpy(), "fdr": false_discovery_control(p.to_numpy())})


def _trialrna(ranks: pd.Series, sets: Mapping[str, list[str]], *, threads: int) -> pd.DataFrame:
    from trialrna.enrich import preranked_gsea

    # The workflow's function (gseapy's multilevel engine called directly), on a table holding just the ranking.
    table = pd.DataFrame({"gene_id": ranks.index, "symbol": ranks.index, "stat": ranks.to_numpy()})
    res, _ = preranked_gsea(table, sets, min_size=MIN_SIZE, max_size=MAX_SIZE, permutations=1000, seed=SEED,
                            threads=threads)
    terms = [term_label(term, identifier) for term, identifier in zip(res["term"], res["id"], strict=True)]
    return pd.DataFrame({"term": terms, "size": res["size"], "es": res["es"], "nes": res["nes"], "p": res["p"],
                         "fdr": res["padj"]})


METHODS: dict[str, Callable[..., pd.DataFrame]] = {
    REFERENCE: _gseapy_chunked(10_000),
    # The reference again with another seed: how far two 10,000-permutation runs agree (the noise floor).
    "gseapy_perm_10000_seed2": _gseapy_chunked(10_000, seed=SEED + 1),
    "gseapy_perm_1000": _gseapy(1000),
    "gseapy_perm_100": _gseapy(100),
    "gseapy_multilevel": _gseapy(1000, "multilevel"),
    "gseapy_multilevel_s501": _gseapy(1000, "multilevel", sample_size=501),
    "trialrna_multilevel": _trialrna,
    "blitzgsea": _blitzgsea,
    "decoupler": _decoupler,
}
#: How each method's p-value and FDR are defined (printed with the table).
DEFINITIONS = {
    "gseapy_perm": "p: permutation nominal p (gene-set permutations); FDR: GSEA's q-value from the NES null",
    "trialrna_multilevel": "gseapy_multilevel as trialrna.enrich runs it (gseapy's Rust function without its result "
                           "frame): same numbers, less time and memory",
    "gseapy_multilevel": "p: fgsea multilevel (adaptive, no 1/nperm floor; sampleSize 101, _s501: 501); FDR: BH; "
                         "NES: ES / mean same-sign ES of 1,000 random sets",
    "blitzgsea": "p: gamma-approximated null fitted on 2,000 random sets per size anchor; FDR: BH; NES: z-score of p",
    "decoupler": "p: permutation p (1,000 shuffles); FDR: BH; NES: ES / mean of same-sign null ES",
}


def inputs(results: Path, contrast: str, library: str) -> tuple[pd.Series, dict[str, list[str]]]:
    """The workflow's ranking of one contrast and its library restricted to the ranked genes and size limits."""
    # As trialrna.de.read_result_table, without importing the DE engine (a throw-away venv with decoupler lacks it).
    ranks = ranking(pd.read_csv(results / "de" / f"{contrast}.tsv", sep="\t", dtype={"gene_id": str, "symbol": str}))
    sets = restrict_sets(read_gmt(LIBRARIES[library]), set(ranks.index), min_size=MIN_SIZE, max_size=MAX_SIZE)
    return ranks, sets


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (blitzgsea's workers): less sensitive to the load."""
    usage, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


def run_one(method: str, contrast: str, library: str, *, results: Path, work: Path, threads: int) -> None:
    """Run one method on one contrast and library; write its table and a JSON of time, memory and load."""
    ranks, sets = inputs(results, contrast, library)
    load = os.getloadavg()[0]
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    table = METHODS[method](ranks, sets, threads=threads)[COLUMNS]
    seconds = time.perf_counter() - started
    out = work / method
    out.mkdir(parents=True, exist_ok=True)
    table.sort_values("term").to_csv(out / f"{contrast}.{library}.tsv", sep="\t", index=False, float_format="%.8g")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # blitzgsea's worker processes
    meta = {"seconds": seconds, "peak_mb": max(usage.ru_maxrss, children.ru_maxrss) / 1024,
            "cpu_seconds": _cpu_seconds() - cpu_before,
            "load_before": load, "load_after": os.getloadavg()[0], "threads": threads, "n_sets": len(sets),
            "n_genes": len(ranks)}
    (out / f"{contrast}.{library}.json").write_text(json.dumps(meta, indent=1))


def cached(method: str, contrast: str, library: str, *, results: Path, work: Path, threads: int,
           python: str) -> tuple[pd.DataFrame, dict] | None:
    """The cached result of a run, running it first (in a child process) when it is missing."""
    folder, stem = work / method, f"{contrast}.{library}"
    if not (folder / f"{stem}.json").exists():
        command = [python, __file__, "--one", method, contrast, library, "--results", str(results), "--work",
                   str(work), "--threads", str(threads)]
        print(f"running {method} {contrast} {library} ...", file=sys.stderr, flush=True)
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{method} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return None
    table = pd.read_csv(folder / f"{stem}.tsv", sep="\t").set_index("term")
    return table, json.loads((folder / f"{stem}.json").read_text())


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def compare(table: pd.DataFrame, reference: pd.DataFrame) -> dict[str, float]:
    """NES/ES Pearson over shared terms, FDR < 0.05 Jaccard (own FDR; BH on both sides), median |log2 p ratio|."""
    shared = table.index.intersection(reference.index)
    mine, ref = table.loc[shared], reference.loc[shared]
    bh_mine = pd.Series(false_discovery_control(mine["p"].clip(lower=0)), index=shared)
    bh_ref = pd.Series(false_discovery_control(ref["p"].clip(lower=0)), index=shared)
    resolved = ref["p"] >= 0.001
    return {
        "terms": len(shared),
        "nes_r": float(np.corrcoef(mine["nes"], ref["nes"])[0, 1]),
        "es_r": float(np.corrcoef(mine["es"], ref["es"])[0, 1]) if mine["es"].notna().all() else np.nan,
        "n_fdr": int((mine["fdr"] < ALPHA).sum()), "n_fdr_ref": int((ref["fdr"] < ALPHA).sum()),
        "jac_own": jaccard(set(shared[mine["fdr"] < ALPHA]), set(shared[ref["fdr"] < ALPHA])),
        "jac_bh": jaccard(set(shared[bh_mine < ALPHA]), set(shared[bh_ref < ALPHA])),
        # Where 10,000 permutations resolve p (>= 0.001: >= about 5 exceedances among the same-sign nulls).
        "p_log2": float(np.median(np.abs(np.log2(mine["p"][resolved].clip(lower=1e-300) / ref["p"][resolved])))),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--work", type=Path, default=Path("results/gsea_methods"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--contrasts", nargs="+", default=list(CONTRASTS))
    parser.add_argument("--cached-only", action="store_true", help="report what is cached, run nothing")
    parser.add_argument("--one", nargs=3, metavar=("METHOD", "CONTRAST", "LIBRARY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        if args.one[0] == REFERENCE:
            check_chunked_reference(args.results)
        run_one(*args.one, results=args.results, work=args.work, threads=args.threads)
        return
    rows, missing = [], []
    for contrast in args.contrasts:
        for library in LIBRARIES:
            found = {}
            for method in [REFERENCE, *(m for m in args.methods if m != REFERENCE)]:
                if args.cached_only and not (args.work / method / f"{contrast}.{library}.json").exists():
                    missing.append(f"{method} {contrast} {library}")
                    continue
                result = cached(method, contrast, library, results=args.results, work=args.work,
                                threads=args.threads, python=sys.executable)
                if result is not None:
                    found[method] = result
            for method, (table, meta) in found.items():
                scores = compare(table, found[REFERENCE][0]) if REFERENCE in found else {}
                rows.append({"method": method, "contrast": contrast, "library": library, **scores,
                             "seconds": meta["seconds"], "cpu_s": meta.get("cpu_seconds", np.nan),
                             "peak_mb": meta["peak_mb"], "load": meta["load_before"]})
    report(pd.DataFrame(rows))
    if missing:
        print(f"\nnot run (no cached result): {'; '.join(missing)}")


def report(rows: pd.DataFrame) -> None:
    """Print the per-contrast comparison, then the summary table (markdown) used in the README."""
    pd.set_option("display.width", 250)
    print(rows.round(3).to_string(index=False))
    print()
    summary = []
    for method, group in rows.groupby("method", sort=False):
        key = group[group["contrast"].isin(KEY_CONTRASTS)]
        third = group[~group["contrast"].isin(KEY_CONTRASTS)]
        timing = group[(group["contrast"] == CONTRASTS[0]) & (group["library"] == "GO_BP")]
        timing = timing.iloc[0] if len(timing) else pd.Series(dtype=float)
        summary.append({
            "method": method,
            "NES r, key": key["nes_r"].min(),
            "Jaccard own FDR, key": key["jac_own"].min(),
            "Jaccard BH, key": key["jac_bh"].min(),
            "p log2 ratio, key": key["p_log2"].max(),
            "NES r, 3rd": third["nes_r"].min(),
            "Jaccard own FDR, 3rd": third["jac_own"].min(),
            "Jaccard BH, 3rd": third["jac_bh"].min(),
            "GO BP wall s": timing.get("seconds", np.nan),
            "GO BP CPU s": timing.get("cpu_s", np.nan),
            "peak MB": timing.get("peak_mb", np.nan),
            "load": timing.get("load", np.nan),
            "compared (key, 3rd)": f"{key['nes_r'].notna().sum()}/4, {third['nes_r'].notna().sum()}/2",
        })
    print("Minimum over the key contrasts (interaction_end_of_treatment, interaction_on_treatment) and over the third "
          "(response_baseline), GO BP and KEGG; time and memory: GO BP, interaction_end_of_treatment, 2 threads.")
    print(pd.DataFrame(summary).to_markdown(index=False, floatfmt=".3g"))
    print()
    for name, text in DEFINITIONS.items():
        print(f"- {name}: {text}")


if __name__ == "__main__":
    main()

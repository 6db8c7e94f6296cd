#!/usr/bin/env bash
# Fetch the Bioconductor 'airway' gene count table (Himes et al. 2014, GEO GSE52778) from PyPI,
# where it ships inside the sdist of inmoose 0.9.1 as inmoose/data/airway/airway.h5ad (an AnnData copy
# of airway's RangedSummarizedExperiment counts: 8 samples x 64,102 Ensembl GRCh37.75 genes).
# Writes OUTDIR/counts.tsv.gz (gene_id + one integer column per SRR run) and OUTDIR/samples.tsv.
# Needs: pip (PyPI), python3 with venv. Usage: fetch_airway.sh [OUTDIR]
set -euo pipefail
out=$(realpath -m "${1:-.}")
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pip download --quiet --no-deps --no-binary inmoose -d "$work" 'inmoose==0.9.1'
sdist="$work/inmoose-0.9.1.tar.gz"
echo "1a931cd1405f8bb4ad661a64facc264f2221e51f367e74721f27115316f9895d  $sdist" | sha256sum -c --quiet -
tar -xzf "$sdist" -C "$work" inmoose-0.9.1/inmoose/data/airway/airway.h5ad
h5ad="$work/inmoose-0.9.1/inmoose/data/airway/airway.h5ad"
echo "2a1c1b6112b08154931455d07fd75ebb03b30f043f1afbf2fdb1b98b56ecc190  $h5ad" | sha256sum -c --quiet -

# h5py only (no anndata) in a throw-away venv
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet h5py numpy

"$work/venv/bin/python" - "$h5ad" "$out" <<'PY'
import gzip, sys
import h5py, numpy as np
h5ad, out = sys.argv[1], sys.argv[2]
with h5py.File(h5ad, "r") as f:
    X = f["X"][()]                                   # samples x genes, float32 holding integers
    genes = [g.decode() for g in f["var/_index"][()]]
    obs = f["obs"]
    runs = [s.decode() for s in obs["_index"][()]]
    def col(name):
        node = obs[name]
        if isinstance(node, h5py.Group):               # categorical
            cats = [c.decode() for c in node["categories"][()]]
            return [cats[c] for c in node["codes"][()]]
        return [v.decode() if isinstance(v, bytes) else str(v) for v in node[()]]
    gsm, cell, dex = col("SampleName"), col("cell"), col("dex")
assert X.shape == (len(runs), len(genes)) == (8, 64102), X.shape
assert X.max() < 2**24 and np.all(X == np.round(X)) and X.min() >= 0
C = X.astype(np.int64).T                             # genes x samples
with gzip.GzipFile(f"{out}/counts.tsv.gz", "wb", mtime=0) as fh:
    fh.write(("gene_id\t" + "\t".join(runs) + "\n").encode())
    for g, row in zip(genes, C):
        fh.write((g + "\t" + "\t".join(map(str, row)) + "\n").encode())
with open(f"{out}/samples.tsv", "w") as fh:
    fh.write("sample_id\tgeo_sample\tcell_line\ttreatment\n")
    for r, s, c, d in zip(runs, gsm, cell, dex):
        fh.write(f"{r}\t{s}\t{c}\t{'dexamethasone' if d == 'trt' else 'untreated'}\n")
print(f"wrote {len(genes)} genes x {len(runs)} samples to {out}")
PY

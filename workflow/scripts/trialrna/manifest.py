"""Manifests of pinned resources: one TSV row per file, with its source, version, checksum and licence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trialrna.annotation import sha256sum


def upsert_manifest_row(manifest: str | Path, row: dict[str, str]) -> None:
    """Add or replace the row for ``row["file"]`` in a manifest TSV, keeping rows sorted by file."""
    manifest = Path(manifest)
    table = pd.read_csv(manifest, sep="\t", dtype=str) if manifest.exists() else pd.DataFrame(columns=list(row))
    table = table[table["file"] != row["file"]]
    table = pd.concat([table, pd.DataFrame([row])], ignore_index=True).sort_values("file")
    table.to_csv(manifest, sep="\t", index=False)


def verify_manifest(manifest: str | Path) -> None:
    """Check that every file listed in a manifest exists next to it with the recorded SHA-256.

    Raises
    ------
    FileNotFoundError, ValueError
        Naming the file and what to do.
    """
    manifest = Path(manifest)
    table = pd.read_csv(manifest, sep="\t", dtype=str)
    for row in table.itertuples():
        path = manifest.parent / row.file
        if not path.exists():
            raise FileNotFoundError(f"{path}: listed in {manifest} but missing; rebuild it with resources/build/")
        actual = sha256sum(path)
        if actual != row.sha256:
            raise ValueError(
                f"{path}: sha256 {actual} differs from {row.sha256} recorded in {manifest}; "
                "the file was changed or is from another release, rebuild it with resources/build/"
            )

"""Compare two results folders of the same input: did a change move the DE, ORA and hub results?

    .venv/bin/python benchmarks/compare_results.py BEFORE_RESULTS AFTER_RESULTS [--digits 6]

For every DE result table and ORA table of BEFORE that AFTER also has: whether the bytes are equal, whether the values
are equal (columns new in AFTER left out), and otherwise whether they are equal once AFTER's numbers are written with
BEFORE's precision (``--digits`` significant digits, for tables written before the one float format). For every
network hub table: whether the consensus ranks are equal, the largest relative difference of the eleven hub scores,
and the largest difference of the bootstrap stabilities. Used to check that the speed work moved nothing whose
method it did not change (README, "Speed").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HUB_METHODS = ["MCC", "DMNC", "MNC", "Degree", "EPC", "BottleNeck", "EcCentricity", "Closeness", "Radiality",
               "Betweenness", "Stress"]


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype={"gene_id": str, "symbol": str}, keep_default_na=False, na_values=[""])


def compare_table(old_path: Path, new_path: Path, *, digits: int) -> dict[str, object]:
    old, new = read(old_path), read(new_path)
    extra = [column for column in new.columns if column not in old.columns]
    new = new.drop(columns=extra)
    rounded = new.to_csv(sep="\t", index=False, float_format=f"%.{digits}g") == old.to_csv(
        sep="\t", index=False, float_format=f"%.{digits}g")
    numeric = old.select_dtypes("number").columns
    same_shape = old.shape == new.shape
    relative = (np.nanmax(np.abs(old[numeric].to_numpy() - new[numeric].to_numpy())
                          / np.maximum(np.abs(old[numeric].to_numpy()), 1e-300)) if same_shape and len(numeric) and
                len(old) else 0.0)
    text = [column for column in old.columns if column not in numeric]
    return {"bytes_equal": old_path.read_bytes() == new_path.read_bytes(), "values_equal": old.equals(new),
            "equal_at_digits": rounded, "text_equal": same_shape and old[text].equals(new[text]),
            "max_rel_diff": relative, "new_columns": ",".join(extra)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--digits", type=int, default=6)
    args = parser.parse_args()
    rows = []
    for kind, pattern in (("DE", "de/**/*.tsv"), ("ORA", "enrichment/**/*.ora_*.tsv")):
        for path in sorted(args.before.glob(pattern)):
            relative = path.relative_to(args.before)
            if relative.name in ("contrasts.tsv", "summary.tsv") or not (args.after / relative).exists():
                continue
            rows.append({"kind": kind, "file": str(relative),
                         **compare_table(path, args.after / relative, digits=args.digits)})
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    if table.empty:
        print("no tables in common")
    else:
        print(table.groupby("kind")[["bytes_equal", "values_equal", "equal_at_digits", "text_equal"]].sum()
              .assign(tables=table.groupby("kind").size()))
        print(table.groupby("kind")["max_rel_diff"].max().rename("largest relative difference"))
        print(table.loc[table["new_columns"] != "", ["file", "new_columns"]].to_string(index=False))
    for path in sorted(args.before.glob("network/**/*.hubs.tsv")):
        relative = path.relative_to(args.before)
        if not (args.after / relative).exists():
            continue
        old = read(path).set_index("symbol")
        new = read(args.after / relative).set_index("symbol")
        if not old.index.equals(new.index):
            print(f"{relative}: different hub genes or order")
            continue
        scores = np.nanmax(np.abs(old[HUB_METHODS].to_numpy(float) - new[HUB_METHODS].to_numpy(float))
                           / np.maximum(np.abs(old[HUB_METHODS].to_numpy(float)), 1e-12)) if len(old) else 0.0
        stability = (old["stability"] - new["stability"]).abs().max() if len(old) else 0.0
        print(f"{relative}: {len(old)} hubs, consensus ranks equal "
              f"{bool((old['consensus_rank'] == new['consensus_rank']).all())}, hub scores max relative difference "
              f"{scores:.2g}, stability max difference {stability:.2f}")


if __name__ == "__main__":
    main()

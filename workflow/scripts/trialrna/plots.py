"""The plotting layer: the one place that picks matplotlib's file backend, one way to save, one palette.

Stage modules compute; they draw with ``plt`` from here and finish every figure with :func:`save`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures go to files: no display, and the same pixels on every machine
import matplotlib.pyplot as plt  # noqa: E402

#: Resolution of every figure.
DPI = 120
#: Direction of change: up (higher in the first named group), down, not significant.
UP, DOWN, FLAT = "#c0392b", "#2471a3", "#b3b3b3"
#: Response groups, and samples or patients without one (NE).
GROUP_COLOURS = {"responders": "#1e8449", "non_responders": "#c0392b"}
NOT_GROUPED = "not evaluable"
NOT_GROUPED_COLOUR = "#999999"
#: Lines and bars that carry no category; the highlight of a chosen value.
INK, HIGHLIGHT = "#34495e", "#c0392b"
#: Signed values (fold changes, correlations, signed -log10 p).
DIVERGING = "RdBu_r"

__all__ = ["DIVERGING", "DOWN", "DPI", "FLAT", "GROUP_COLOURS", "HIGHLIGHT", "INK", "NOT_GROUPED",
           "NOT_GROUPED_COLOUR", "UP", "categorical", "placeholder", "plt", "save"]


def save(fig: plt.Figure, path: str | Path, *, tight: bool = True, crop: bool = False) -> None:
    """Write the figure as PNG at :data:`DPI` and close it.

    ``tight=False`` keeps a hand-made layout; ``crop`` trims the canvas to what is drawn (for layouts made by
    other libraries whose labels fall outside the figure).
    """
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=DPI, bbox_inches="tight" if crop else None)
    plt.close(fig)


def categorical(levels: Sequence[str]) -> dict[str, tuple[float, float, float, float]]:
    """An RGBA colour per level (tab10, in order; imshow takes them as pixels), grey for :data:`NOT_GROUPED`."""
    cmap = plt.get_cmap("tab10")
    return {level: (matplotlib.colors.to_rgba(NOT_GROUPED_COLOUR) if level == NOT_GROUPED else cmap(index % 10))
            for index, level in enumerate(levels)}


def placeholder(path: str | Path, *, title: str, message: str) -> None:
    """A small figure that says why there is nothing to draw, so every expected figure exists."""
    fig, axis = plt.subplots(figsize=(6, 2))
    axis.axis("off")
    axis.text(0.5, 0.5, f"{title}\n{message}", ha="center", va="center", fontsize=11)
    save(fig, path, tight=False)

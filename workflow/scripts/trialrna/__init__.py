"""trialrna: transcriptomic mechanisms of resistance in longitudinal clinical-trial RNA-seq.

Functions here never touch the ``snakemake`` object, so tests call them directly. The modules are layered, each
importing only from its own layer and those below: the layers are listed once, in ``tests/test_architecture.py``
(``LAYERS``, which enforces them) and drawn in README.md, "Architecture".
"""

__version__ = "0.1.0"

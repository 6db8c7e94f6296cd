"""trialrna: transcriptomic mechanisms of resistance in longitudinal clinical-trial RNA-seq.

One module per concern: ``annotation`` (pinned gene table), ``io`` (count and sheet readers), ``validation``
(schema and cross-table checks), ``design`` (responder grouping), ``demo`` (seeded demo cohort) and ``qc``.
Functions here never touch the ``snakemake`` object, so tests call them directly.
"""

__version__ = "0.1.0"

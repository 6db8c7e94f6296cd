"""trialrna: transcriptomic mechanisms of resistance in longitudinal clinical-trial RNA-seq.

One module per concern: ``annotation`` and ``manifest`` (pinned resources), ``io`` (count readers), ``cohort``
and ``validation`` (sheets, schemas, cross-table checks), ``design`` (responder grouping), ``demo`` (seeded demo
cohort), ``qc``, ``contrasts`` (designs and contrasts), ``de``, ``dispersion`` and ``de_plots`` (DESeq2-matched DE),
``reference`` (R DESeq2 cases), ``gene_sets`` and ``enrich`` (GO/KEGG), ``cell_signature`` and ``composition``
(blood cell composition), ``endpoints``, ``safety``, ``qlq_c30`` and ``flow`` (clinical), ``report`` (the reviewer's page) and ``logs``.
Functions here never touch the ``snakemake`` object, so tests call them directly.
"""

__version__ = "0.1.0"

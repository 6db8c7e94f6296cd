"""trialrna: transcriptomic mechanisms of resistance in longitudinal clinical-trial RNA-seq.

Functions here never touch the ``snakemake`` object, so tests call them directly. The layers, from the bottom
(each imports only from the layers below it; README.md, "Architecture", draws them):

- foundation: ``errors``, ``logs``, ``vocabulary`` (shared words and the significance rule), ``layout`` (every
  path under results/), ``plots`` (backend, save, palette), ``tables`` (one writer, one float format);
- resources and inputs: ``annotation``, ``manifest``, ``gene_sets``, ``cell_signature``, ``ppi``, ``io``,
  ``validation``, ``design``, ``cohort``, ``demo``;
- statistics: ``nb_glm`` and ``deseq2`` (the DE engine), ``dispersion``, ``pydeseq2_route`` (the reference),
  ``voom``, ``lmm``, ``moderation``, ``symbols``, ``hubs``;
- stages: ``contrasts`` and ``de`` (planning and DE), ``de_plots``, ``mixed``, ``composition``, ``qc``,
  ``enrich``, ``network`` and ``coexpression``, ``endpoints``, ``safety``, ``qlq_c30``, ``flow``;
- the reviewer's page: ``report``.
"""

__version__ = "0.1.0"

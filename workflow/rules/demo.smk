# Simulated counts for the demo cohort, from the committed demo sheets; off for real studies. The outputs are
# fixed paths under results/ (counts.path must name DEMO_COUNTS, checked in common.smk), never a user's file.
if config["demo"]["simulate"]:

    rule simulate_demo_counts:
        input:
            samples=config["samples"],
            clinical=config["clinical"]["sheet"],
            annotation=ANNOTATION,
        output:
            counts=DEMO_COUNTS,
            truth=DEMO_TRUTH,
        params:
            n_genes=config["demo"]["n_genes"],
            seed=config["seed"],
            timepoints=config["timepoints"],
        log:
            "results/logs/simulate_demo_counts.log",
        benchmark:
            "results/benchmarks/simulate_demo_counts.tsv"
        threads: 1
        resources:
            mem_mb=mem_mb(2000),
            runtime=runtime(10),
        conda:
            ENV
        script:
            "../scripts/simulate_demo_counts.py"

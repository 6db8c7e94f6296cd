# Simulated counts for the demo cohort, from the committed demo sheets; off for real studies. The outputs are
# fixed paths under results/ (counts.path must name it, checked in planning.smk), never a user's file.
if config["demo"]["simulate"]:

    rule simulate_demo_counts:
        input:
            samples=config["samples"],
            clinical=config["clinical"]["sheet"],
            annotation=ANNOTATION,
        output:
            counts=results("demo_counts"),
            truth=results("demo_truth"),
        params:
            n_genes=config["demo"]["n_genes"],
            seed=config["seed"],
            timepoints=config["timepoints"],
        log:
            logs("simulate_demo_counts"),
        benchmark:
            benchmarks("simulate_demo_counts")
        threads: 1
        resources:
            mem_mb=scaled(2000),
            runtime=scaled(10),
        conda:
            ENV
        script:
            "../scripts/simulate_demo_counts.py"

# Resource requests of the rules (memory in MB, runtime in minutes), for Slurm and for local scheduling.


def scaled(base, per_input_mb=0.0):
    """A request growing with the input size and with each retry (a job killed for memory gets more)."""

    def request(wildcards, input, attempt):
        return int((base + per_input_mb * input.size_mb) * attempt)

    return request

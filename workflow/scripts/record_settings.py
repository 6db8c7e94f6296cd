"""Rule record_settings: the run's validated config, for the report's methods and provenance."""
import json
from pathlib import Path

from trialrna.logs import logged

with logged(snakemake.log[0]):
    Path(snakemake.output[0]).write_text(json.dumps(dict(snakemake.params.settings), indent=2, sort_keys=True) + "\n")

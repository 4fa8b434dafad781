"""`python -m services.stats`: serve the stats process."""
from shared.serve import serve

serve("services.stats.entrypoints.main:app", "stats")

"""`python -m services.resolution`: serve the resolution process."""
from shared.serve import serve

serve("services.resolution.entrypoints.main:app", "resolution")

"""`python -m services.intake`: serve the intake process."""
from shared.serve import serve

serve("services.intake.entrypoints.main:app", "intake")

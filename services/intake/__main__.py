"""`python -m services.intake`: serve the intake process."""

from services.intake.entrypoints.main import create_app
from services.intake.settings import IntakeSettings
from shared.serve import serve

serve(create_app, IntakeSettings())

"""`python -m services.resolution`: serve the resolution process."""

from services.resolution.entrypoints.main import create_app
from services.resolution.settings import ResolutionSettings
from shared.serve import serve

serve(create_app, ResolutionSettings())

"""`python -m services.stats`: serve the stats process."""

from services.stats.entrypoints.main import create_app
from services.stats.settings import StatsSettings
from shared.serve import serve

serve(create_app, StatsSettings())

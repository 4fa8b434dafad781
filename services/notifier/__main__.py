"""`python -m services.notifier`: serve the notifier process."""

from services.notifier.entrypoints.main import create_app
from services.notifier.settings import NotifierSettings
from shared.serve import serve

serve(create_app, NotifierSettings())

"""`python -m services.portal_sync`: serve the national-portal connector."""

from services.portal_sync.entrypoints.main import create_app
from services.portal_sync.settings import PortalSyncSettings
from shared.serve import serve

serve(create_app, PortalSyncSettings())

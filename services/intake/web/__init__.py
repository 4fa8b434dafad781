"""intake's pages: the counter desk (/counter) and the citizen portal (/portal)."""

"""stats' page: the public monitoring dashboard (/dashboard), aggregates only."""

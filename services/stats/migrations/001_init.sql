-- stats' own database holds projections only, all rebuilt from the lifecycle topic.
-- They live in one schema per generation (g1, g2, ...), so a rebuild fills a new schema
-- while the board is served from the active one, then switches in one transaction.
CREATE TABLE projection_generations (
    id           serial PRIMARY KEY,
    schema_name  text NOT NULL UNIQUE,
    state        text NOT NULL CHECK (state IN ('building', 'active', 'retired')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz
);
CREATE UNIQUE INDEX projection_generations_one_active ON projection_generations (state) WHERE state = 'active';

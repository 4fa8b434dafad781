-- The W3C traceparent of the request that wrote the row, sent as a Kafka header by the relay so
-- the consumers' spans continue the request's trace (docs/observability.md). NULL: no trace.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS traceparent text;

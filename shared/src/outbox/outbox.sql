-- The transactional outbox: a service writes its event in the same transaction as the state
-- change it describes, and the relay (shared/src/outbox/relay.ts) publishes it to Kafka later.
-- Copy this into the owning service's migration; the relay relies on these exact names.
CREATE TABLE IF NOT EXISTS outbox_events (
  id           BIGSERIAL PRIMARY KEY,
  aggregate_id TEXT        NOT NULL,
  event_type   TEXT        NOT NULL,
  topic        TEXT        NOT NULL,
  message_key  TEXT        NOT NULL,
  payload      JSONB       NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  processed_at TIMESTAMPTZ,
  -- W3C traceparent of the writing transaction; the relay's publish span continues that trace.
  trace_context TEXT
);

CREATE INDEX IF NOT EXISTS outbox_events_unprocessed_idx
  ON outbox_events (id) WHERE processed_at IS NULL;

-- Wakes the relay as soon as the inserting transaction commits (NOTIFY is delivered on commit),
-- so the slow poll is only a fallback for a missed notification.
CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('outbox_events', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS outbox_events_notify_trigger ON outbox_events;
CREATE TRIGGER outbox_events_notify_trigger
  AFTER INSERT ON outbox_events
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify();

-- Signed webhooks (README "Webhooks"): a per-job subscription, a per-key signing secret, and a transactional outbox
-- that any replica drains (dev.vlm3d.webhooks.WebhookDispatcher).

-- Standard Webhooks secrets ('whsec_' + base64). They sign, so they are stored as they are (a hash could not sign);
-- during a rotation the previous secret keeps signing next to the new one until its expiry.
ALTER TABLE api_keys
    ADD COLUMN webhook_secret                     text,
    ADD COLUMN previous_webhook_secret            text,
    ADD COLUMN previous_webhook_secret_expires_at timestamptz;

ALTER TABLE jobs
    ADD COLUMN webhook_url                  text,
    -- the events asked for (started, progress, succeeded, failed, cancelled); NULL = all of them
    ADD COLUMN webhook_events               text[],
    -- progress events are sent at most once per this many milliseconds (fixed at submission)
    ADD COLUMN webhook_progress_interval_ms integer,
    -- when the last progress (or started) event was written, for that throttle
    ADD COLUMN webhook_progress_at          timestamptz;

-- The outbox: one row per event to deliver. The id is the webhook-id header, the same on every retry, so a
-- receiver can drop duplicates (delivery is at least once). The body is fixed when the row is written: it is what
-- gets signed, and a retry re-sends the same bytes. No foreign key to jobs: deleting a job does not delete the
-- record of what was sent about it.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    job_id           uuid        NOT NULL,
    owner_key_id     uuid,
    event            text        NOT NULL CHECK (event IN ('started', 'progress', 'succeeded', 'failed', 'cancelled')),
    url              text        NOT NULL,
    payload          text        NOT NULL,
    status           text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
    -- grows by one on every claim: it numbers the attempts and fences the result of a claim that was given up on
    attempts         integer     NOT NULL DEFAULT 0,
    -- when the row may next be claimed: the retry time, or, while an attempt is in flight, the end of its claim
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    last_status_code integer,
    last_error       text
);
-- the claim query walks this index and stops at the first unlocked due row
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_job_idx ON webhook_deliveries (job_id, created_at, id);

CREATE TABLE webhook_attempts (
    delivery_id uuid        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     integer     NOT NULL,
    replica     text        NOT NULL,
    started_at  timestamptz NOT NULL,
    duration_ms integer     NOT NULL,
    -- the receiver's HTTP status, or NULL when none came back (then error says why: timeout, refused, ...)
    status_code integer,
    error       text,
    PRIMARY KEY (delivery_id, attempt)
);

-- Writes the outbox row in the statement that changes the job, so it commits or rolls back with the change: every
-- path that moves a job (claim, step, complete, cancel, rescue, retry) is covered, and no event is written for a
-- change that did not happen. started = the first claim only (a retry's re-claim is not a new start); progress =
-- a progress change while RUNNING, at most once per webhook_progress_interval_ms; then the terminal statuses.
CREATE FUNCTION jobs_webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event text;
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NEW.status = 'RUNNING' AND OLD.started_at IS NULL THEN
            event := 'started';
        ELSIF NEW.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') THEN
            event := lower(NEW.status);
        END IF;
    ELSIF NEW.status = 'RUNNING' AND NEW.progress IS DISTINCT FROM OLD.progress
          AND (NEW.webhook_progress_at IS NULL
               OR NEW.webhook_progress_at + make_interval(secs => coalesce(NEW.webhook_progress_interval_ms, 0) / 1000.0) <= now()) THEN
        event := 'progress';
    END IF;
    IF event IS NULL OR (NEW.webhook_events IS NOT NULL AND NOT event = ANY (NEW.webhook_events)) THEN
        RETURN NEW;
    END IF;
    IF event IN ('started', 'progress') THEN
        NEW.webhook_progress_at := now();
    END IF;
    INSERT INTO webhook_deliveries (id, job_id, owner_key_id, event, url, payload)
    VALUES (gen_random_uuid(), NEW.id, NEW.owner_key_id, event, NEW.webhook_url,
            -- the Standard Webhooks envelope: type, timestamp, data
            jsonb_build_object(
                'type', 'job.' || event,
                'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                'data', jsonb_strip_nulls(jsonb_build_object(
                    'id', NEW.id,
                    'status', NEW.status,
                    'stage', NEW.stage,
                    'progress', round(NEW.progress::numeric, 2),
                    'step', NEW.step,
                    'total_steps', NEW.total_steps,
                    'attempt', NEW.attempt,
                    'error', CASE WHEN NEW.status = 'FAILED' AND NEW.error_code IS NOT NULL
                                  THEN jsonb_build_object('code', NEW.error_code, 'message', NEW.error_message) END,
                    'created_at', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                    'started_at', to_char(NEW.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                    'finished_at', to_char(NEW.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                    'links', jsonb_build_object('self', '/jobs/' || NEW.id,
                                                'artifacts', '/jobs/' || NEW.id || '/artifacts')))
            )::text);
    RETURN NEW;
END
$$;

CREATE TRIGGER jobs_webhook_outbox BEFORE UPDATE OF status, progress ON jobs
    FOR EACH ROW WHEN (NEW.webhook_url IS NOT NULL) EXECUTE FUNCTION jobs_webhook_outbox();

-- Retention (README "Retention"): every job gets a time to live when it is submitted, and expires_at once it is
-- finished; the expiry sweep (dev.vlm3d.artifacts.ExpirySweep) then deletes its artifacts and checkpoints and marks
-- it EXPIRED, keeping the row, its steps and its metadata.

ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'));

ALTER TABLE jobs
    -- chosen at submission (the key's default, a shorter one the job asked for, or NULL: never expires); jobs
    -- submitted before this migration have none and are kept until deleted
    ADD COLUMN ttl_seconds bigint CHECK (ttl_seconds > 0),
    -- finished_at + ttl, set when the job reaches a terminal state (by the trigger below, so that every
    -- transition in JobQueue and JobRepository sets it without repeating the rule); NULL while it runs
    ADD COLUMN expires_at  timestamptz;

ALTER TABLE api_keys
    -- the TTL of this key's jobs when they ask for none; NULL = vlm3d.retention.default-ttl
    ADD COLUMN default_ttl_seconds bigint CHECK (default_ttl_seconds > 0),
    -- whether this key's jobs may ask never to expire
    ADD COLUMN allow_no_expiry     boolean NOT NULL DEFAULT false;

CREATE FUNCTION jobs_set_expiry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') THEN
        IF TG_OP = 'INSERT' OR OLD.status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED') THEN
            NEW.expires_at := coalesce(NEW.finished_at, now()) + NEW.ttl_seconds * interval '1 second';
        END IF;
    ELSIF NEW.status <> 'EXPIRED' THEN
        NEW.expires_at := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER jobs_set_expiry BEFORE INSERT OR UPDATE OF status ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_set_expiry();

-- the sweep walks finished jobs in expiry order
CREATE INDEX jobs_expiry_idx ON jobs (expires_at) WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED');
-- the storage gauge sums sizes by kind
CREATE INDEX artifacts_kind_idx ON artifacts (kind) INCLUDE (size_bytes);

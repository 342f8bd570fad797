-- Progress-aware retries and an explained job view (README "Reliability").

ALTER TABLE jobs
    -- checkpoint_step when the current attempt was claimed: an attempt that ends by losing its lease counts
    -- against max_attempts only if it did not move the checkpoint past this
    ADD COLUMN claim_checkpoint_step     integer,
    -- the step the current attempt resumed from (its checkpoint, or 0): why step/progress went back on a resume
    ADD COLUMN resumed_from_step         integer,
    -- attempts that ended without an error of the job's own (lease lost, worker shut down) and did not count
    ADD COLUMN interruptions             integer NOT NULL DEFAULT 0,
    ADD COLUMN last_interruption_code    text,
    ADD COLUMN last_interruption_message text,
    ADD COLUMN last_interruption_at      timestamptz;


-- Queued jobs per key, kept by a trigger, so POST /jobs admits a job with one conditional statement: the key row
-- is locked only for that statement (not for a whole transaction), and the cap stays exact under concurrency
-- (a concurrent submit waits for the row and re-checks the count it left, see JobRepository.submit).
ALTER TABLE api_keys ADD COLUMN queued_jobs integer NOT NULL DEFAULT 0;
UPDATE api_keys k SET queued_jobs = (SELECT count(*) FROM jobs j WHERE j.owner_key_id = k.id AND j.status = 'QUEUED');

CREATE FUNCTION jobs_count_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'QUEUED' AND OLD.owner_key_id IS NOT NULL
       AND (TG_OP = 'DELETE' OR NEW.status <> 'QUEUED' OR NEW.owner_key_id IS DISTINCT FROM OLD.owner_key_id) THEN
        UPDATE api_keys SET queued_jobs = queued_jobs - 1 WHERE id = OLD.owner_key_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'QUEUED' AND NEW.owner_key_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR OLD.status <> 'QUEUED' OR NEW.owner_key_id IS DISTINCT FROM OLD.owner_key_id) THEN
        UPDATE api_keys SET queued_jobs = queued_jobs + 1 WHERE id = NEW.owner_key_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_count_queued AFTER INSERT OR UPDATE OF status, owner_key_id OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_count_queued();

-- TRUNCATE fires no row triggers: an emptied jobs table leaves no key with queued jobs
CREATE FUNCTION jobs_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_keys SET queued_jobs = 0 WHERE queued_jobs <> 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_truncated AFTER TRUNCATE ON jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_truncated();

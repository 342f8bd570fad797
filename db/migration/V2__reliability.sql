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

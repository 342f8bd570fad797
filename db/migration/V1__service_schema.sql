-- Job service schema: API keys, jobs (the queue), step metrics, artifacts and checkpoints.

CREATE TABLE api_keys (
    id              uuid PRIMARY KEY,
    name            text        NOT NULL,
    -- first characters of the token, so operators can tell keys apart without the secret
    key_prefix      text        NOT NULL,
    -- SHA-256 of the whole token: tokens are 256-bit random values, so a fast hash is enough
    -- (no dictionary to attack) and lets us look a key up by its hash in one index probe
    key_hash        bytea       NOT NULL UNIQUE,
    admin           boolean     NOT NULL DEFAULT false,
    max_queued_jobs integer     NOT NULL DEFAULT 20 CHECK (max_queued_jobs >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);

CREATE TABLE jobs (
    id                  uuid PRIMARY KEY,
    status              text        NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    prompt              text        NOT NULL,
    negative_prompt     text,
    seed                bigint      NOT NULL,
    preset              text,
    options             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    priority            integer     NOT NULL DEFAULT 0,
    owner_key_id        uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    idempotency_key     text,
    -- SHA-256 of the canonical request, to tell an idempotent replay from a key reused with another body
    request_hash        bytea,
    -- attempt is the fencing token: it grows by one on every claim and never goes back, so a worker that lost
    -- its lease holds a stale attempt and every one of its writes (WHERE id = ? AND attempt = ?) misses
    attempt             integer     NOT NULL DEFAULT 0,
    -- failures counts attempts that ended in a transient error or an expired lease; a graceful-shutdown release
    -- does not count, so rolling restarts never use up a job's retries
    failures            integer     NOT NULL DEFAULT 0,
    max_attempts        integer     NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    worker_id           text,
    lease_expires_at    timestamptz,
    heartbeat_at        timestamptz,
    stage               text        NOT NULL DEFAULT 'queued',
    step                integer     NOT NULL DEFAULT 0,
    total_steps         integer     NOT NULL CHECK (total_steps >= 1),
    progress            real        NOT NULL DEFAULT 0,
    latest_metrics      jsonb,
    checkpoint_step     integer,
    error_code          text,
    error_message       text,
    cancel_requested_at timestamptz,
    run_at              timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    finished_at         timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- the claim query walks this index in claim order and stops at the first unlocked row
CREATE INDEX jobs_claim_idx ON jobs (priority DESC, created_at, id) WHERE status = 'QUEUED';
-- the lease rescuer only looks at running jobs
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE status = 'RUNNING';
-- owner listing with keyset pagination (newest first)
CREATE INDEX jobs_owner_created_idx ON jobs (owner_key_id, created_at DESC, id DESC);
CREATE INDEX jobs_created_idx ON jobs (created_at DESC, id DESC);
-- recent run times for ETA estimates
CREATE INDEX jobs_succeeded_idx ON jobs (finished_at DESC) WHERE status = 'SUCCEEDED';
-- idempotency enforced by the database, not by a racy read-then-insert
CREATE UNIQUE INDEX jobs_idempotency_idx ON jobs (owner_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- one row per optimisation step: the series behind the reward/loss curves; a step re-run after a resume
-- from checkpoint overwrites the earlier value
CREATE TABLE job_steps (
    job_id      uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    step        integer     NOT NULL,
    attempt     integer     NOT NULL,
    stage       text        NOT NULL,
    metrics     jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, step)
);

-- results (kind OUTPUT) and resumable state (kind CHECKPOINT); content lives in the row (store=postgres)
-- or in a file under vlm3d.artifacts.dir (store=filesystem)
CREATE TABLE artifacts (
    job_id       uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    kind         text        NOT NULL CHECK (kind IN ('OUTPUT', 'CHECKPOINT')),
    name         text        NOT NULL,
    content_type text        NOT NULL,
    size_bytes   bigint      NOT NULL,
    sha256       text        NOT NULL,
    attempt      integer     NOT NULL,
    content      bytea,
    file_path    text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, kind, name),
    CHECK ((content IS NULL) <> (file_path IS NULL))
);
-- uncompressed out-of-line storage lets substring() read a byte range without detoasting the whole value
ALTER TABLE artifacts ALTER COLUMN content SET STORAGE EXTERNAL;

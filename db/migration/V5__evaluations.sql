-- Evaluation jobs (docs/evaluation.md): the same queue, leases and workers as generation jobs, told apart by kind.

ALTER TABLE jobs
    ADD COLUMN kind       text   NOT NULL DEFAULT 'generation' CHECK (kind IN ('generation', 'evaluation')),
    -- jobs that must have finished (in any terminal status) before this one may be claimed: an evaluation over
    -- presets waits for the generation jobs it submitted with it
    ADD COLUMN depends_on uuid[] NOT NULL DEFAULT '{}';

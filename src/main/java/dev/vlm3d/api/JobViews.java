package dev.vlm3d.api;

import dev.vlm3d.artifacts.ArtifactInfo;
import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobRepository;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.QueueEstimates;
import dev.vlm3d.jobs.SubmitResult;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds {@link JobResponse}s: queue position and ETA for a single job, links, artifact list. The ETA inputs (mean
 * run time, busy workers) come from {@link QueueEstimates}, not from queries of their own per view.
 */
class JobViews {

    private final JobRepository jobs;
    private final ArtifactStore artifacts;
    private final QueueEstimates estimates;

    JobViews(JobRepository jobs, ArtifactStore artifacts, QueueEstimates estimates) {
        this.jobs = jobs;
        this.artifacts = artifacts;
        this.estimates = estimates;
    }

    /** The full view of one job, with its exact queue position, ETA and artifacts. */
    JobResponse detailed(Job job) {
        Integer position = null;
        Long eta = null;
        if (job.status() == JobStatus.QUEUED) {
            position = jobs.queuePosition(job);
            eta = queuedEta(job, position);
        } else if (job.status() == JobStatus.RUNNING) {
            eta = runningEta(job);
        }
        List<ArtifactResponse> files = artifacts.list(job.id(), ArtifactKind.OUTPUT).stream()
                .map(a -> artifact(job, a))
                .toList();
        return view(job, position, eta, files);
    }

    /**
     * The 202 view of a job just admitted, built without further queries: it has no artifacts yet, and its queue
     * position is what the admission statement counted, exact up to {@link JobRepository#EXACT_AHEAD_BOUND} jobs
     * ahead and beyond that the estimate of {@link QueueEstimates} (never less than the bound).
     */
    JobResponse submitted(SubmitResult result) {
        Job job = result.job();
        QueueEstimates.Snapshot snapshot = estimates.current();
        int ahead = result.queuedAhead();
        int position = ahead < JobRepository.EXACT_AHEAD_BOUND
                ? ahead
                : (int) Math.min(Integer.MAX_VALUE, Math.max(ahead, snapshot.aheadOfNew(job.priority())));
        estimates.admitted(job.priority());
        return view(job, position, queuedEta(job, position), List.of());
    }

    /** Mean run time times the rounds of claims before this job, plus any retry wait; null before any job succeeded. */
    private Long queuedEta(Job job, int position) {
        QueueEstimates.Snapshot snapshot = estimates.current();
        Optional<Duration> mean = snapshot.meanRunTime();
        if (mean.isEmpty()) return null;
        int workers = Math.max(1, snapshot.runningWorkers());
        double rounds = (double) position / workers + 1;
        Instant now = Instant.now();
        Duration wait = job.runAt().isAfter(now) ? Duration.between(now, job.runAt()) : Duration.ZERO;
        return (long) Math.ceil(mean.get().toSeconds() * rounds + wait.toSeconds());
    }

    /** The list view: no per-job queries. */
    JobResponse summary(Job job) {
        return view(job, null, null, null);
    }

    static ArtifactResponse artifact(Job job, ArtifactInfo a) {
        return new ArtifactResponse(
                a.name(),
                a.contentType(),
                a.sizeBytes(),
                a.sha256(),
                a.createdAt(),
                "/jobs/" + job.id() + "/artifacts/" + a.name());
    }

    /** Remaining steps times the mean step time of the current attempt so far. */
    private Long runningEta(Job job) {
        return jobs.meanStepSeconds(job.id(), job.attempt())
                .map(perStep -> (long) Math.ceil(perStep * Math.max(0, job.totalSteps() - job.step())))
                .orElse(null);
    }

    private JobResponse view(Job job, Integer position, Long eta, List<ArtifactResponse> files) {
        String self = "/jobs/" + job.id();
        Map<String, String> links = new LinkedHashMap<>();
        links.put("self", self);
        links.put("events", self + "/events");
        links.put("artifacts", self + "/artifacts");
        links.put("metrics", self + "/metrics");
        if (!job.status().isTerminal()) links.put("cancel", self + "/cancel");
        if (job.webhookUrl() != null) links.put("webhooks", self + "/webhooks");
        // error is only about errors: why a job FAILED, or the error a QUEUED job is waiting to retry after; a running
        // job's earlier trouble is its last interruption; an EXPIRED job that had failed keeps showing why
        boolean failedThenExpired = job.status() == JobStatus.EXPIRED && "failed".equals(job.stage());
        boolean showError = job.errorCode() != null
                && (job.status() == JobStatus.FAILED || job.status() == JobStatus.QUEUED || failedThenExpired);
        JobResponse.JobError error = showError
                ? new JobResponse.JobError(job.errorCode(), job.errorMessage(), job.status() == JobStatus.QUEUED)
                : null;
        JobResponse.Interruption interruption = job.lastInterruptionCode() == null
                ? null
                : new JobResponse.Interruption(
                        job.lastInterruptionCode(), job.lastInterruptionMessage(), job.lastInterruptionAt());
        boolean waitingForRetry =
                job.status() == JobStatus.QUEUED && job.runAt().isAfter(Instant.now());
        return new JobResponse(
                job.id(),
                job.status().name(),
                job.stage(),
                round(job.progress()),
                job.step(),
                job.totalSteps(),
                job.prompt(),
                job.negativePrompt(),
                job.seed(),
                job.preset(),
                job.options(),
                job.priority(),
                job.attempt(),
                job.maxAttempts(),
                job.resumedFromStep(),
                job.interruptions(),
                interruption,
                position,
                eta,
                job.latestMetrics(),
                job.cancelRequestedAt() != null && !job.status().isTerminal() ? Boolean.TRUE : null,
                waitingForRetry ? job.runAt() : null,
                error,
                job.createdAt(),
                job.startedAt(),
                job.finishedAt(),
                job.updatedAt(),
                job.ttlSeconds(),
                job.expiresAt(),
                files,
                links,
                job.kind(),
                job.webhookUrl() == null ? null : new JobResponse.Webhook(job.webhookUrl(), job.webhookEvents()));
    }

    private static double round(double progress) {
        return Math.round(progress * 100) / 100.0;
    }
}

package dev.vlm3d.api;

import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.artifacts.RetentionProperties;
import dev.vlm3d.jobs.IdempotencyConflictException;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobPage;
import dev.vlm3d.jobs.JobRepository;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.NewJob;
import dev.vlm3d.jobs.QueueCapExceededException;
import dev.vlm3d.jobs.QueueEstimates;
import dev.vlm3d.jobs.StepRecord;
import dev.vlm3d.jobs.SubmitResult;
import dev.vlm3d.security.ApiKeyService;
import dev.vlm3d.security.ApiPrincipal;
import dev.vlm3d.webhooks.WebhookDeliveries;
import dev.vlm3d.webhooks.WebhookProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.json.JsonMapper;

/**
 * Use cases behind the job endpoints: submission with idempotency and per-key caps, listing, cancellation, deletion
 * with artifacts, metrics (and their CSV form), webhook deliveries. The controllers only translate HTTP to these calls.
 */
class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);
    private static final int MAX_IDEMPOTENCY_KEY = 255;

    private final JobRepository jobs;
    private final QueueEstimates estimates;
    private final ArtifactStore artifacts;
    private final ApiProperties properties;
    private final RetentionProperties retention;
    private final JsonMapper json;
    private final SecureRandom random = new SecureRandom();
    private final Counter submitted;
    private final ApiKeyService keys;
    private final WebhookProperties webhooks;
    private final WebhookDeliveries deliveries;

    JobService(
            JobRepository jobs,
            QueueEstimates estimates,
            ArtifactStore artifacts,
            ApiProperties properties,
            RetentionProperties retention,
            JsonMapper json,
            MeterRegistry meters,
            ApiKeyService keys,
            WebhookProperties webhooks,
            WebhookDeliveries deliveries) {
        this.jobs = jobs;
        this.estimates = estimates;
        this.artifacts = artifacts;
        this.properties = properties;
        this.retention = retention;
        this.json = json;
        this.keys = keys;
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.submitted = Counter.builder("vlm3d.jobs.submitted")
                .description("Jobs accepted by POST /jobs")
                .register(meters);
    }

    SubmitResult submit(CreateJobRequest request, String idempotencyKey, ApiPrincipal principal) {
        if (idempotencyKey != null
                && (idempotencyKey.isBlank()
                        || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY
                        || !idempotencyKey.chars().allMatch(c -> c >= 0x21 && c <= 0x7e))) {
            throw ApiException.invalid(
                    "INVALID_IDEMPOTENCY_KEY",
                    "Idempotency-Key",
                    "Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY + " visible ASCII characters");
        }
        NewJob.Webhook webhook = null;
        if (request.webhookUrl() != null) {
            // deliveries are signed with the submitting key's secret: without one the receiver could verify nothing
            if (!keys.hasWebhookSecret(principal.keyId())) {
                throw new ApiException(
                        HttpStatus.UNPROCESSABLE_CONTENT,
                        "WEBHOOK_SECRET_MISSING",
                        "this API key has no webhook signing secret yet: rotate it (POST /webhook-secret) first");
            }
            webhook = new NewJob.Webhook(request.webhookUrl(), request.webhookEvents(), webhooks.progressInterval());
        }
        long seed = request.seed() != null ? request.seed() : random.nextLong() & Long.MAX_VALUE;
        NewJob job = new NewJob(
                request.prompt(),
                request.negativePrompt(),
                seed,
                request.preset(),
                request.steps(),
                request.priority(),
                request.options(),
                properties.maxAttempts(),
                principal.keyId(),
                idempotencyKey,
                idempotencyKey == null ? null : fingerprint(request),
                webhook,
                ttlSeconds(request, principal));
        try {
            SubmitResult result = jobs.submit(job, principal.maxQueuedJobs());
            if (!result.replayed()) {
                submitted.increment();
                log.info("job {} submitted by key {} ({} steps)", result.job().id(), principal.name(), request.steps());
            }
            return result;
        } catch (IdempotencyConflictException e) {
            throw new ApiException(
                    HttpStatus.UNPROCESSABLE_CONTENT,
                    "IDEMPOTENCY_KEY_REUSED",
                    e.getMessage(),
                    List.of(),
                    Map.of("job_id", e.existingJobId().toString()),
                    new HttpHeaders());
        } catch (QueueCapExceededException e) {
            throw queueLimit(e);
        }
    }

    /** An evaluation job to store: its title (shown as the prompt), spec (its options) and dependencies. */
    record EvaluationJob(
            String title, long seed, int priority, Map<String, Object> spec, int totalSteps, List<UUID> dependsOn) {

        EvaluationJob withDependencies(List<UUID> ids) {
            return new EvaluationJob(title, seed, priority, spec, totalSteps, ids);
        }
    }

    /** A batch (POST /jobs/batch): all jobs or none, the key's queued-jobs cap counting every one. */
    List<Job> submitAll(List<CreateJobRequest> requests, ApiPrincipal principal) {
        return submitEvaluation(requests, null, principal);
    }

    /**
     * Generation jobs and, when {@code evaluation} is given, the evaluation job made from them, in one transaction
     * (POST /evaluations); the evaluation is the last job of the list.
     */
    List<Job> submitEvaluation(
            List<CreateJobRequest> requests,
            java.util.function.Function<List<Job>, EvaluationJob> evaluation,
            ApiPrincipal principal) {
        List<NewJob> batch = new java.util.ArrayList<>(requests.size());
        for (CreateJobRequest r : requests) {
            long seed = r.seed() != null ? r.seed() : random.nextLong() & Long.MAX_VALUE;
            batch.add(new NewJob(
                    r.prompt(),
                    r.negativePrompt(),
                    seed,
                    r.preset(),
                    r.steps(),
                    r.priority(),
                    r.options(),
                    properties.maxAttempts(),
                    principal.keyId(),
                    null,
                    null,
                    null,
                    ttlSeconds(r, principal)));
        }
        java.util.function.Function<List<Job>, NewJob> dependent = evaluation == null
                ? null
                : stored -> {
                    EvaluationJob e = evaluation.apply(stored);
                    return new NewJob(
                            e.title(),
                            null,
                            e.seed(),
                            null,
                            e.totalSteps(),
                            e.priority(),
                            e.spec(),
                            properties.maxAttempts(),
                            principal.keyId(),
                            null,
                            null,
                            Job.EVALUATION,
                            e.dependsOn(),
                            null,
                            ttlSeconds(null, principal));
                };
        try {
            List<Job> jobs = this.jobs.submitAll(batch, dependent, principal.maxQueuedJobs());
            submitted.increment(jobs.size());
            log.info(
                    "{} jobs submitted by key {}{}",
                    jobs.size(),
                    principal.name(),
                    evaluation == null ? "" : " (an evaluation and its generation jobs)");
            return jobs;
        } catch (QueueCapExceededException e) {
            throw queueLimit(e);
        }
    }

    private ApiException queueLimit(QueueCapExceededException e) {
        HttpHeaders headers = new HttpHeaders();
        long retryAfter = retryAfterSeconds();
        headers.set(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
        return new ApiException(
                HttpStatus.TOO_MANY_REQUESTS,
                "QUEUE_LIMIT_REACHED",
                e.getMessage(),
                List.of(),
                Map.of("max_queued_jobs", e.cap(), "retry_after_seconds", retryAfter),
                headers);
    }

    /**
     * The job's time to live: the key's default (or the service's), a shorter one the job asked for, or none (null)
     * when it asked for none and its key may keep jobs forever (admin keys may).
     */
    private Long ttlSeconds(CreateJobRequest request, ApiPrincipal principal) {
        long keyDefault =
                (principal.defaultTtl() != null ? principal.defaultTtl() : retention.defaultTtl()).toSeconds();
        if (request == null) {
            return keyDefault; // a job the service makes (an evaluation): the key's default
        }
        if (request.noExpiry()) {
            if (!principal.allowNoExpiry() && !principal.admin()) {
                throw new ApiException(
                        HttpStatus.FORBIDDEN,
                        "NO_EXPIRY_NOT_ALLOWED",
                        "this key's jobs expire: no_expiry needs a key created with allow_no_expiry");
            }
            return null;
        }
        if (request.ttlSeconds() == null) return keyDefault;
        if (request.ttlSeconds() > keyDefault) {
            throw ApiException.invalid(
                    "TTL_TOO_LONG",
                    "ttl_seconds",
                    "ttl_seconds may not exceed this key's default of " + keyDefault + " seconds");
        }
        return request.ttlSeconds();
    }

    /** About when one of the caller's queued jobs will have started: the recent mean run time, within bounds. */
    private long retryAfterSeconds() {
        return estimates
                .current()
                .meanRunTime()
                .map(Duration::toSeconds)
                .map(s -> Math.max(5, Math.min(3600, s)))
                .orElse(60L);
    }

    /** Identifies the request as the client sent it (before the server picks a seed) for idempotent replays. */
    private byte[] fingerprint(CreateJobRequest request) {
        Map<String, Object> canonical = new TreeMap<>();
        canonical.put("prompt", request.prompt());
        canonical.put("negative_prompt", request.negativePrompt());
        canonical.put("seed", request.seed());
        canonical.put("preset", request.preset());
        canonical.put("steps", request.steps());
        canonical.put("priority", request.priority());
        canonical.put("options", new TreeMap<>(request.options()));
        canonical.put("webhook_url", request.webhookUrl());
        canonical.put("webhook_events", request.webhookEvents());
        // only when sent, so the fingerprints of requests without them stay what they were before retention existed
        if (request.ttlSeconds() != null) canonical.put("ttl_seconds", request.ttlSeconds());
        if (request.noExpiry()) canonical.put("no_expiry", true);
        try {
            return MessageDigest.getInstance("SHA-256")
                    .digest(json.writeValueAsString(canonical).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes a job this key sees, with its artifacts. */
    void delete(UUID id, ApiPrincipal principal) {
        if (!jobs.delete(id, principal.scope())) {
            throw ApiException.jobNotFound(id);
        }
        try {
            artifacts.purgeJob(id);
        } catch (IOException e) {
            log.warn("job {} deleted but some of its artifact files could not be removed: {}", id, e.toString());
        }
    }

    Job find(UUID id, ApiPrincipal principal) {
        return jobs.find(id, principal.scope()).orElseThrow(() -> ApiException.jobNotFound(id));
    }

    /** A page of the jobs this key sees; {@code limit} null: the default page size. */
    JobPage list(JobStatus status, String cursor, Integer limit, ApiPrincipal principal) {
        int size = limit == null ? properties.defaultPageSize() : limit;
        if (size < 1 || size > properties.maxPageSize()) {
            throw ApiException.invalid(
                    "INVALID_FIELD", "limit", "limit must be in [1, " + properties.maxPageSize() + "]");
        }
        return jobs.list(principal.scope(), status, cursor, size);
    }

    /**
     * Cancels a job: a QUEUED one is CANCELLED at once (and one already CANCELLED stays so), a RUNNING one is asked to
     * stop at its next step and returned still RUNNING; a job that finished otherwise is a conflict.
     */
    Job cancel(UUID id, ApiPrincipal principal) {
        Job current = find(id, principal);
        if (current.status() == JobStatus.SUCCEEDED
                || current.status() == JobStatus.FAILED
                || current.status() == JobStatus.EXPIRED) {
            throw new ApiException(
                    HttpStatus.CONFLICT,
                    "JOB_ALREADY_FINISHED",
                    "job " + id + " already finished with status " + current.status());
        }
        return jobs.requestCancel(id, principal.scope()).orElseThrow(() -> ApiException.jobNotFound(id));
    }

    /** The metric series of a job this key sees, in step order. */
    List<StepRecord> steps(UUID id, ApiPrincipal principal) {
        find(id, principal);
        return jobs.steps(id);
    }

    /**
     * The metric series as CSV: {@code step,attempt,stage} and then one column per metric any step recorded, in name
     * order, empty where a step has no value.
     */
    static String csv(List<StepRecord> steps) {
        TreeSet<String> names = new TreeSet<>();
        steps.forEach(s -> names.addAll(s.metrics().keySet()));
        StringBuilder csv = new StringBuilder("step,attempt,stage");
        names.forEach(n -> csv.append(',').append(n));
        csv.append('\n');
        for (StepRecord s : steps) {
            csv.append(s.step()).append(',').append(s.attempt()).append(',').append(s.stage());
            for (String n : names) {
                Double v = s.metrics().get(n);
                csv.append(',').append(v == null ? "" : v.toString());
            }
            csv.append('\n');
        }
        return csv.toString();
    }

    /**
     * The job's webhook deliveries with every recorded attempt. Only the key that submitted the job sees them (an
     * admin key too sees jobs of others, but not where their webhooks go and what those receivers answered).
     */
    List<WebhookDeliveries.Delivery> webhookDeliveries(UUID id, ApiPrincipal principal) {
        Job job = find(id, principal);
        if (!principal.keyId().equals(job.ownerKeyId())) throw ApiException.jobNotFound(id);
        return deliveries.forJob(id);
    }
}

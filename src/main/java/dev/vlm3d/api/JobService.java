package dev.vlm3d.api;

import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.IdempotencyConflictException;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobRepository;
import dev.vlm3d.jobs.NewJob;
import dev.vlm3d.jobs.QueueCapExceededException;
import dev.vlm3d.jobs.QueueEstimates;
import dev.vlm3d.jobs.SubmitResult;
import dev.vlm3d.security.ApiPrincipal;
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
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.json.JsonMapper;

/** Use cases behind the job endpoints: submission with idempotency and per-key caps, deletion with artifacts. */
class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);
    private static final int MAX_IDEMPOTENCY_KEY = 255;

    private final JobRepository jobs;
    private final QueueEstimates estimates;
    private final ArtifactStore artifacts;
    private final ApiProperties properties;
    private final JsonMapper json;
    private final SecureRandom random = new SecureRandom();
    private final Counter submitted;

    JobService(JobRepository jobs, QueueEstimates estimates, ArtifactStore artifacts, ApiProperties properties, JsonMapper json,
               MeterRegistry meters) {
        this.jobs = jobs;
        this.estimates = estimates;
        this.artifacts = artifacts;
        this.properties = properties;
        this.json = json;
        this.submitted = Counter.builder("vlm3d.jobs.submitted").description("Jobs accepted by POST /jobs").register(meters);
    }

    SubmitResult submit(CreateJobRequest request, String idempotencyKey, ApiPrincipal principal) {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY
                || !idempotencyKey.chars().allMatch(c -> c >= 0x21 && c <= 0x7e))) {
            throw ApiException.invalid("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key",
                    "Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY + " visible ASCII characters");
        }
        long seed = request.seed() != null ? request.seed() : random.nextLong() & Long.MAX_VALUE;
        NewJob job = new NewJob(request.prompt(), request.negativePrompt(), seed, request.preset(), request.steps(),
                request.priority(), request.options(), properties.maxAttempts(), principal.keyId(), idempotencyKey,
                idempotencyKey == null ? null : fingerprint(request));
        try {
            SubmitResult result = jobs.submit(job, principal.maxQueuedJobs());
            if (!result.replayed()) {
                submitted.increment();
                log.info("job {} submitted by key {} ({} steps)", result.job().id(), principal.name(), request.steps());
            }
            return result;
        } catch (IdempotencyConflictException e) {
            throw new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "IDEMPOTENCY_KEY_REUSED", e.getMessage(), List.of(),
                    Map.of("job_id", e.existingJobId().toString()), new HttpHeaders());
        } catch (QueueCapExceededException e) {
            HttpHeaders headers = new HttpHeaders();
            long retryAfter = retryAfterSeconds();
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
            throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, "QUEUE_LIMIT_REACHED", e.getMessage(), List.of(),
                    Map.of("max_queued_jobs", e.cap(), "retry_after_seconds", retryAfter), headers);
        }
    }

    /** About when one of the caller's queued jobs will have started: the recent mean run time, within bounds. */
    private long retryAfterSeconds() {
        return estimates.current().meanRunTime().map(Duration::toSeconds).map(s -> Math.max(5, Math.min(3600, s))).orElse(60L);
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
        try {
            return MessageDigest.getInstance("SHA-256").digest(json.writeValueAsString(canonical).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean delete(UUID id, ApiPrincipal principal) {
        if (!jobs.delete(id, principal.scope())) {
            return false;
        }
        try {
            artifacts.purgeJob(id);
        } catch (IOException e) {
            log.warn("job {} deleted but some of its artifact files could not be removed: {}", id, e.toString());
        }
        return true;
    }

    Job find(UUID id, ApiPrincipal principal) {
        return jobs.find(id, principal.scope()).orElseThrow(() -> ApiException.jobNotFound(id));
    }
}

package dev.vlm3d.api;

import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobPage;
import dev.vlm3d.jobs.JobRepository;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.StepRecord;
import dev.vlm3d.jobs.SubmitResult;
import dev.vlm3d.security.ApiPrincipal;
import dev.vlm3d.webhooks.WebhookDeliveries;
import dev.vlm3d.webhooks.WebhookTargets;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.Collections;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.JsonNode;

/** The job endpoints; the contract is openapi.yaml at the repository root. */
@RestController
class JobController {

    private final JobService service;
    private final JobRepository jobs;
    private final JobViews views;
    private final JobRequestParser parser;
    private final JobEventHub events;
    private final ApiProperties properties;
    private final WebhookDeliveries webhooks;

    JobController(JobService service, JobRepository jobs, JobViews views, JobEventHub events, ApiProperties properties,
                  WebhookTargets webhookTargets, WebhookDeliveries webhooks) {
        this.service = service;
        this.jobs = jobs;
        this.views = views;
        this.webhooks = webhooks;
        this.parser = new JobRequestParser(properties, webhookTargets);
        this.events = events;
        this.properties = properties;
    }

    @PostMapping(path = "/jobs", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<JobResponse> submit(@RequestBody(required = false) byte[] body, HttpServletRequest http,
                                       ApiPrincipal principal) {
        List<String> idempotencyKeys = Collections.list(http.getHeaders("Idempotency-Key"));
        if (idempotencyKeys.size() > 1) {
            // a proxy or client library would join them with a comma: refused rather than stored as one key
            throw ApiException.invalid("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key", "send one Idempotency-Key header, not "
                    + idempotencyKeys.size());
        }
        String idempotencyKey = idempotencyKeys.isEmpty() ? null : idempotencyKeys.get(0);
        CreateJobRequest request = parser.parse(JsonBodies.read(body));
        SubmitResult result = service.submit(request, idempotencyKey, principal);
        URI location = URI.create("/jobs/" + result.job().id());
        ResponseEntity.BodyBuilder response = result.replayed()
                ? ResponseEntity.ok().header("Idempotent-Replayed", "true")
                : ResponseEntity.status(HttpStatus.ACCEPTED);
        return response.location(location).body(result.replayed() ? views.detailed(result.job()) : views.submitted(result));
    }

    @GetMapping(path = "/jobs/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    JobResponse get(@PathVariable UUID id, ApiPrincipal principal) {
        return views.detailed(service.find(id, principal));
    }

    @GetMapping(path = "/jobs", produces = MediaType.APPLICATION_JSON_VALUE)
    JobListResponse list(@RequestParam(required = false) String status, @RequestParam(required = false) String cursor,
                         @RequestParam(required = false) Integer limit, ApiPrincipal principal) {
        JobStatus filter = null;
        if (status != null) {
            try {
                filter = JobStatus.valueOf(status.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("INVALID_FIELD", "status", "status must be one of "
                        + Arrays.stream(JobStatus.values()).map(Enum::name).collect(Collectors.joining(", ")));
            }
        }
        int size = limit == null ? properties.defaultPageSize() : limit;
        if (size < 1 || size > properties.maxPageSize()) {
            throw ApiException.invalid("INVALID_FIELD", "limit", "limit must be in [1, " + properties.maxPageSize() + "]");
        }
        JobPage page = jobs.list(principal.scope(), filter, cursor, size);
        return new JobListResponse(page.jobs().stream().map(views::summary).toList(), page.nextCursor());
    }

    /**
     * 200 when the job is CANCELLED now (it was queued, or already cancelled); 202 when it is running and will stop
     * at its next step; 409 when it already finished otherwise.
     */
    @PostMapping(path = "/jobs/{id}/cancel", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<JobResponse> cancel(@PathVariable UUID id, ApiPrincipal principal) {
        Job current = service.find(id, principal);
        if (current.status() == JobStatus.SUCCEEDED || current.status() == JobStatus.FAILED
                || current.status() == JobStatus.EXPIRED) {
            throw new ApiException(HttpStatus.CONFLICT, "JOB_ALREADY_FINISHED",
                    "job " + id + " already finished with status " + current.status());
        }
        Job job = jobs.requestCancel(id, principal.scope()).orElseThrow(() -> ApiException.jobNotFound(id));
        HttpStatus status = job.status() == JobStatus.RUNNING ? HttpStatus.ACCEPTED : HttpStatus.OK;
        return ResponseEntity.status(status).body(views.detailed(job));
    }

    @DeleteMapping("/jobs/{id}")
    ResponseEntity<Void> delete(@PathVariable UUID id, ApiPrincipal principal) {
        if (!service.delete(id, principal)) throw ApiException.jobNotFound(id);
        return ResponseEntity.noContent().build();
    }

    /**
     * The event stream. {@code X-Accel-Buffering: no} tells nginx (and the ingress-nginx controller) to pass events
     * on as they are written instead of buffering the response; the chart's Ingress also turns buffering off for
     * this path (docs/deployment.md).
     */
    @GetMapping(path = "/jobs/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<SseEmitter> events(@PathVariable UUID id, ApiPrincipal principal) {
        return ResponseEntity.ok().header("X-Accel-Buffering", "no").body(events.subscribe(service.find(id, principal)));
    }

    record WebhookDeliveryList(List<WebhookDeliveries.Delivery> deliveries) {
    }

    /**
     * The job's webhook deliveries with every recorded attempt. Only the key that submitted the job sees them (an
     * admin key too sees jobs of others, but not where their webhooks go and what those receivers answered).
     */
    @GetMapping(path = "/jobs/{id}/webhooks", produces = MediaType.APPLICATION_JSON_VALUE)
    WebhookDeliveryList webhooks(@PathVariable UUID id, ApiPrincipal principal) {
        Job job = service.find(id, principal);
        if (!principal.keyId().equals(job.ownerKeyId())) throw ApiException.jobNotFound(id);
        return new WebhookDeliveryList(webhooks.forJob(id));
    }

    @GetMapping(path = "/jobs/{id}/metrics", produces = {MediaType.APPLICATION_JSON_VALUE, "text/csv"})
    ResponseEntity<?> metrics(@PathVariable UUID id, @RequestParam(required = false) String format,
                              @RequestHeader(name = "Accept", required = false) String accept, ApiPrincipal principal) {
        service.find(id, principal);
        List<StepRecord> steps = jobs.steps(id);
        boolean csv = "csv".equalsIgnoreCase(format)
                || (format == null && accept != null && accept.contains("text/csv") && !accept.contains("application/json"));
        if (format != null && !csv && !"json".equalsIgnoreCase(format)) {
            throw ApiException.invalid("INVALID_FIELD", "format", "format must be json or csv");
        }
        if (csv) {
            return ResponseEntity.ok().contentType(MediaType.parseMediaType("text/csv;charset=UTF-8")).body(toCsv(steps));
        }
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(new MetricsResponse(steps.stream()
                .map(s -> new MetricsResponse.Point(s.step(), s.attempt(), s.stage(), s.metrics(), s.recordedAt())).toList()));
    }

    private static String toCsv(List<StepRecord> steps) {
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
}

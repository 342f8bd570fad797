package dev.vlm3d.api;

import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobPage;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.jobs.StepRecord;
import dev.vlm3d.jobs.SubmitResult;
import dev.vlm3d.security.ApiPrincipal;
import dev.vlm3d.webhooks.WebhookDeliveries;
import dev.vlm3d.webhooks.WebhookTargets;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
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

/** The job endpoints; the contract is openapi.yaml at the repository root. */
@RestController
class JobController {

    private final JobService service;
    private final JobViews views;
    private final JobRequestParser parser;
    private final JobEventHub events;

    JobController(
            JobService service,
            JobViews views,
            JobEventHub events,
            ApiProperties properties,
            WebhookTargets webhookTargets) {
        this.service = service;
        this.views = views;
        this.parser = new JobRequestParser(properties, webhookTargets);
        this.events = events;
    }

    @PostMapping(
            path = "/jobs",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<JobResponse> submit(
            @RequestBody(required = false) byte[] body, HttpServletRequest http, ApiPrincipal principal) {
        List<String> idempotencyKeys = Collections.list(http.getHeaders("Idempotency-Key"));
        if (idempotencyKeys.size() > 1) {
            // a proxy or client library would join them with a comma: refused rather than stored as one key
            throw ApiException.invalid(
                    "INVALID_IDEMPOTENCY_KEY",
                    "Idempotency-Key",
                    "send one Idempotency-Key header, not " + idempotencyKeys.size());
        }
        String idempotencyKey = idempotencyKeys.isEmpty() ? null : idempotencyKeys.get(0);
        CreateJobRequest request = parser.parse(JsonBodies.read(body));
        SubmitResult result = service.submit(request, idempotencyKey, principal);
        URI location = URI.create("/jobs/" + result.job().id());
        ResponseEntity.BodyBuilder response = result.replayed()
                ? ResponseEntity.ok().header("Idempotent-Replayed", "true")
                : ResponseEntity.status(HttpStatus.ACCEPTED);
        return response.location(location)
                .body(result.replayed() ? views.detailed(result.job()) : views.submitted(result));
    }

    @GetMapping(path = "/jobs/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    JobResponse get(@PathVariable UUID id, ApiPrincipal principal) {
        return views.detailed(service.find(id, principal));
    }

    @GetMapping(path = "/jobs", produces = MediaType.APPLICATION_JSON_VALUE)
    JobListResponse list(
            @RequestParam(required = false) String status,
            @RequestParam(required = false) String cursor,
            @RequestParam(required = false) Integer limit,
            ApiPrincipal principal) {
        JobStatus filter = null;
        if (status != null) {
            try {
                filter = JobStatus.valueOf(status.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(
                        "INVALID_FIELD",
                        "status",
                        "status must be one of "
                                + Arrays.stream(JobStatus.values())
                                        .map(Enum::name)
                                        .collect(Collectors.joining(", ")));
            }
        }
        JobPage page = service.list(filter, cursor, limit, principal);
        return new JobListResponse(page.jobs().stream().map(views::summary).toList(), page.nextCursor());
    }

    /**
     * 200 when the job is CANCELLED now (it was queued, or already cancelled); 202 when it is running and will stop
     * at its next step; 409 when it already finished otherwise ({@link JobService#cancel}).
     */
    @PostMapping(path = "/jobs/{id}/cancel", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<JobResponse> cancel(@PathVariable UUID id, ApiPrincipal principal) {
        Job job = service.cancel(id, principal);
        HttpStatus status = job.status() == JobStatus.RUNNING ? HttpStatus.ACCEPTED : HttpStatus.OK;
        return ResponseEntity.status(status).body(views.detailed(job));
    }

    @DeleteMapping("/jobs/{id}")
    ResponseEntity<Void> delete(@PathVariable UUID id, ApiPrincipal principal) {
        service.delete(id, principal);
        return ResponseEntity.noContent().build();
    }

    /**
     * The event stream. {@code X-Accel-Buffering: no} tells nginx (and the ingress-nginx controller) to pass events
     * on as they are written instead of buffering the response; the chart's Ingress also turns buffering off for
     * this path (docs/deployment.md).
     */
    @GetMapping(path = "/jobs/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<SseEmitter> events(@PathVariable UUID id, ApiPrincipal principal) {
        return ResponseEntity.ok()
                .header("X-Accel-Buffering", "no")
                .body(events.subscribe(service.find(id, principal)));
    }

    record WebhookDeliveryList(List<WebhookDeliveries.Delivery> deliveries) {}

    /** The job's webhook deliveries, for the key that submitted it only ({@link JobService#webhookDeliveries}). */
    @GetMapping(path = "/jobs/{id}/webhooks", produces = MediaType.APPLICATION_JSON_VALUE)
    WebhookDeliveryList webhooks(@PathVariable UUID id, ApiPrincipal principal) {
        return new WebhookDeliveryList(service.webhookDeliveries(id, principal));
    }

    @GetMapping(
            path = "/jobs/{id}/metrics",
            produces = {MediaType.APPLICATION_JSON_VALUE, "text/csv"})
    ResponseEntity<?> metrics(
            @PathVariable UUID id,
            @RequestParam(required = false) String format,
            @RequestHeader(name = "Accept", required = false) String accept,
            ApiPrincipal principal) {
        List<StepRecord> steps = service.steps(id, principal);
        boolean csv = "csv".equalsIgnoreCase(format)
                || (format == null
                        && accept != null
                        && accept.contains("text/csv")
                        && !accept.contains("application/json"));
        if (format != null && !csv && !"json".equalsIgnoreCase(format)) {
            throw ApiException.invalid("INVALID_FIELD", "format", "format must be json or csv");
        }
        if (csv) {
            return ResponseEntity.ok()
                    .contentType(MediaType.parseMediaType("text/csv;charset=UTF-8"))
                    .body(JobService.csv(steps));
        }
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_JSON)
                .body(new MetricsResponse(steps.stream()
                        .map(s -> new MetricsResponse.Point(
                                s.step(), s.attempt(), s.stage(), s.metrics(), s.recordedAt()))
                        .toList()));
    }
}

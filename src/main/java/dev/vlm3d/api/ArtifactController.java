package dev.vlm3d.api;

import dev.vlm3d.artifacts.ArtifactInfo;
import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.security.ApiPrincipal;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * Artifact listing and download. Downloads carry a strong ETag (the SHA-256 of the content), Content-Length and
 * single-range support (RFC 9110), so large GLBs can be resumed and cached; a store that hands out presigned URLs
 * answers with a 302 to one instead (the object store then serves Range and ETag itself). An EXPIRED job's artifacts
 * are gone for good: 410.
 */
@RestController
class ArtifactController {

    private final JobService service;
    private final ArtifactStore store;

    ArtifactController(JobService service, ArtifactStore store) {
        this.service = service;
        this.store = store;
    }

    @GetMapping(path = "/jobs/{id}/artifacts", produces = MediaType.APPLICATION_JSON_VALUE)
    ArtifactListResponse list(@PathVariable UUID id, ApiPrincipal principal) {
        Job job = requireArtifacts(service.find(id, principal));
        return new ArtifactListResponse(store.list(id, ArtifactKind.OUTPUT).stream()
                .map(a -> JobViews.artifact(job, a))
                .toList());
    }

    @GetMapping("/jobs/{id}/artifacts/{name}")
    void download(
            @PathVariable UUID id,
            @PathVariable String name,
            ApiPrincipal principal,
            HttpServletRequest request,
            HttpServletResponse response)
            throws IOException {
        requireArtifacts(service.find(id, principal));
        ArtifactInfo artifact = (ArtifactStore.NAME.matcher(name).matches()
                        ? store.find(id, ArtifactKind.OUTPUT, name)
                        : java.util.Optional.<ArtifactInfo>empty())
                .orElseThrow(() -> new ApiException(
                        HttpStatus.NOT_FOUND,
                        "ARTIFACT_NOT_FOUND",
                        "job " + id + " has no artifact named '" + name + "'"));
        String etag = "\"" + artifact.sha256() + "\"";
        long size = artifact.sizeBytes();
        response.setHeader(HttpHeaders.ETAG, etag);
        response.setHeader(HttpHeaders.ACCEPT_RANGES, "bytes");
        response.setHeader(HttpHeaders.CACHE_CONTROL, "private, no-cache");

        String ifNoneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
        if (ifNoneMatch != null
                && (ifNoneMatch.trim().equals("*")
                        || List.of(ifNoneMatch.split("\\s*,\\s*")).contains(etag))) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        Optional<URI> redirect = store.downloadRedirect(artifact);
        if (redirect.isPresent()) {
            // the URL carries a signature that expires: neither this answer nor the URL may be cached
            response.setHeader(HttpHeaders.CACHE_CONTROL, "private, no-store");
            response.setHeader(HttpHeaders.LOCATION, redirect.get().toString());
            response.setStatus(HttpServletResponse.SC_FOUND);
            return;
        }

        long start = 0;
        long end = size - 1;
        String ifRange = request.getHeader(HttpHeaders.IF_RANGE);
        boolean partial = false;
        // RFC 9110 §14.2: Range only applies to GET, and only while If-Range (if sent) still names this content
        if ("GET".equals(request.getMethod())
                && (ifRange == null || ifRange.trim().equals(etag))) {
            // two Range fields are not one range-set: ignored like any other header that does not parse
            List<String> ranges = java.util.Collections.list(request.getHeaders(HttpHeaders.RANGE));
            ByteRange range = ranges.size() == 1 ? ByteRange.parse(ranges.get(0), size) : ByteRange.ignored();
            if (range.kind() == ByteRange.Kind.UNSATISFIABLE) {
                throw new ApiException(
                        HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                        "RANGE_NOT_SATISFIABLE",
                        "the range is outside the " + size + " bytes of '" + name + "'",
                        List.of(),
                        Map.of(),
                        contentRangeUnsatisfied(size));
            }
            if (range.kind() == ByteRange.Kind.PARTIAL) {
                start = range.start();
                end = range.end();
                partial = true;
            }
        }
        long length = size == 0 ? 0 : end - start + 1;
        response.setContentType(artifact.contentType());
        response.setContentLengthLong(length);
        if (partial) {
            response.setStatus(HttpServletResponse.SC_PARTIAL_CONTENT);
            response.setHeader(HttpHeaders.CONTENT_RANGE, "bytes " + start + "-" + end + "/" + size);
        } else {
            response.setStatus(HttpServletResponse.SC_OK);
            response.setHeader(HttpHeaders.CONTENT_DISPOSITION, "inline; filename=\"" + name + "\"");
        }
        if ("HEAD".equals(request.getMethod()) || length == 0) {
            return;
        }
        try (InputStream in = store.open(artifact, start, length);
                OutputStream out = response.getOutputStream()) {
            in.transferTo(out);
        }
    }

    private static Job requireArtifacts(Job job) {
        if (job.status() == JobStatus.EXPIRED) {
            throw new ApiException(
                    HttpStatus.GONE,
                    "JOB_EXPIRED",
                    "job " + job.id() + " expired at " + job.expiresAt() + "; its artifacts were deleted");
        }
        return job;
    }

    private static HttpHeaders contentRangeUnsatisfied(long size) {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.CONTENT_RANGE, "bytes */" + size);
        return headers;
    }
}

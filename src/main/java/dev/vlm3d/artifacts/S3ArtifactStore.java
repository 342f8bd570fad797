package dev.vlm3d.artifacts;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Keeps artifact bytes as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW); metadata stays in the
 * artifacts table, whose file_path holds the object key. Like {@link FilesystemArtifactStore}, every write goes to
 * an object of its own (the key carries the attempt and a random part) and the fenced row update decides which one
 * is current: an object whose write the fence rejected is deleted, and so is the one a successful write replaced.
 * Content above the multipart threshold is uploaded in parts, so no more than one part is held in memory. Downloads
 * are ranged GETs, or, with a presigner, presigned GET URLs the API redirects clients to.
 */
public class S3ArtifactStore implements ArtifactStore, AutoCloseable {

    /** S3 refuses parts below 5 MiB (except the last). */
    public static final int MIN_PART_SIZE = 5 << 20;

    private final ArtifactRows rows;
    private final S3Client s3;
    private final S3Presigner presigner;
    private final String bucket;
    private final String prefix;
    private final long multipartThreshold;
    private final int partSize;
    private final Duration presignTtl;

    /**
     * @param presigner          signs download URLs for redirects, or null to stream downloads through the service
     * @param prefix             prepended to every key ("" or e.g. "vlm3d/")
     * @param multipartThreshold content larger than this is uploaded in parts of {@code partSize} bytes
     */
    public S3ArtifactStore(
            ArtifactRows rows,
            S3Client s3,
            S3Presigner presigner,
            String bucket,
            String prefix,
            long multipartThreshold,
            int partSize,
            Duration presignTtl) {
        if (partSize < MIN_PART_SIZE)
            throw new IllegalArgumentException("S3 parts are at least 5 MiB, not " + partSize);
        if (multipartThreshold < 1) throw new IllegalArgumentException("multipart threshold must be positive");
        this.rows = rows;
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
        this.prefix = prefix == null ? "" : prefix;
        this.multipartThreshold = multipartThreshold;
        this.partSize = partSize;
        this.presignTtl = presignTtl;
    }

    @Override
    public Optional<ArtifactInfo> put(
            UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, byte[] content)
            throws IOException {
        ArtifactStore.checkName(name);
        return store(jobId, attempt, kind, name, contentType, new ByteArrayInputStream(content), content.length);
    }

    @Override
    public Optional<ArtifactInfo> put(
            UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, Path file) throws IOException {
        ArtifactStore.checkName(name);
        try (InputStream in = Files.newInputStream(file)) {
            return store(jobId, attempt, kind, name, contentType, in, Files.size(file));
        }
    }

    private Optional<ArtifactInfo> store(
            UUID jobId, int attempt, ArtifactKind kind, String name, String contentType, InputStream content, long size)
            throws IOException {
        String key = prefix + jobId + "/" + kind.name().toLowerCase() + "/" + name + ".attempt-" + attempt + "."
                + UUID.randomUUID();
        MessageDigest sha = sha256();
        InputStream in = new DigestInputStream(content, sha);
        try {
            if (size <= multipartThreshold) {
                byte[] bytes = in.readNBytes((int) size);
                s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(bytes));
            } else {
                uploadInParts(key, contentType, in);
            }
        } catch (SdkException e) {
            throw new IOException("could not upload " + key + " to bucket " + bucket + ": " + e.getMessage(), e);
        }
        return record(
                jobId, attempt, kind, name, contentType, size, HexFormat.of().formatHex(sha.digest()), key);
    }

    /** A multipart upload, aborted when any part fails so the bucket keeps no orphaned parts. */
    private void uploadInParts(String key, String contentType, InputStream in) throws IOException {
        String uploadId = s3.createMultipartUpload(
                        b -> b.bucket(bucket).key(key).contentType(contentType))
                .uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            byte[] buffer = new byte[partSize];
            for (int number = 1; ; number++) {
                int n = in.readNBytes(buffer, 0, partSize);
                if (n == 0) break;
                int partNumber = number;
                String etag = s3.uploadPart(
                                b -> b.bucket(bucket)
                                        .key(key)
                                        .uploadId(uploadId)
                                        .partNumber(partNumber)
                                        .contentLength((long) n),
                                RequestBody.fromInputStream(new ByteArrayInputStream(buffer, 0, n), n))
                        .eTag();
                parts.add(CompletedPart.builder()
                        .partNumber(partNumber)
                        .eTag(etag)
                        .build());
                if (n < partSize) break;
            }
            s3.completeMultipartUpload(
                    b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
        } catch (IOException | RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (SdkException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    private Optional<ArtifactInfo> record(
            UUID jobId,
            int attempt,
            ArtifactKind kind,
            String name,
            String contentType,
            long size,
            String sha,
            String key)
            throws IOException {
        return rows.recordExternal(jobId, attempt, kind, name, contentType, size, sha, key, this::deleteObject);
    }

    @Override
    public List<ArtifactInfo> list(UUID jobId, ArtifactKind kind) {
        return rows.list(jobId, kind);
    }

    @Override
    public Optional<ArtifactInfo> find(UUID jobId, ArtifactKind kind, String name) {
        return rows.find(jobId, kind, name);
    }

    @Override
    public InputStream open(ArtifactInfo artifact, long offset, long length) throws IOException {
        long end = Math.min(offset + length, artifact.sizeBytes());
        if (end <= offset) return InputStream.nullInputStream();
        try {
            return s3.getObject(
                    b -> b.bucket(bucket).key(artifact.filePath()).range("bytes=" + offset + "-" + (end - 1)));
        } catch (SdkException e) {
            throw new IOException(
                    "could not read " + artifact.filePath() + " from bucket " + bucket + ": " + e.getMessage(), e);
        }
    }

    /** A presigned GET, when this store was given a presigner: the client then fetches (and resumes) from S3. */
    @Override
    public Optional<URI> downloadRedirect(ArtifactInfo artifact) {
        if (presigner == null) return Optional.empty();
        try {
            return Optional.of(presigner
                    .presignGetObject(p -> p.signatureDuration(presignTtl)
                            .getObjectRequest(g -> g.bucket(bucket)
                                    .key(artifact.filePath())
                                    .responseContentType(artifact.contentType())
                                    .responseContentDisposition("inline; filename=\"" + artifact.name() + "\"")))
                    .url()
                    .toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void delete(UUID jobId, ArtifactKind kind, String name) throws IOException {
        Optional<ArtifactInfo> found = rows.find(jobId, kind, name);
        rows.delete(jobId, kind, name);
        if (found.isPresent() && found.get().filePath() != null) {
            deleteObject(found.get().filePath());
        }
    }

    /**
     * Deletes the job's rows and every object under its key prefix, also those no row points to any more (a write
     * whose clean-up was cut short). One DELETE per object, the operation every S3-compatible server implements
     * alike; a job has a handful of objects.
     */
    @Override
    public void purgeJob(UUID jobId) throws IOException {
        rows.deleteJob(jobId);
        try {
            for (S3Object object : s3.listObjectsV2Paginator(
                            b -> b.bucket(bucket).prefix(prefix + jobId + "/"))
                    .contents()) {
                deleteObject(object.key());
            }
        } catch (SdkException e) {
            throw new IOException(
                    "could not list the objects of job " + jobId + " in bucket " + bucket + ": " + e.getMessage(), e);
        }
    }

    /** Idempotent: S3 answers a DELETE of a missing key with success. */
    private void deleteObject(String key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw new IOException("could not delete " + key + " from bucket " + bucket + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        s3.close();
        if (presigner != null) presigner.close();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.vlm3d.artifacts;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * {@code store}: {@code postgres} (bytes in the database, the default: nothing else to provision),
 * {@code filesystem} (bytes under {@code dir}, a volume every replica mounts) or {@code s3} (bytes in an
 * S3-compatible bucket, see {@link S3}); metadata always stays in the database.
 * {@code retainFailedCheckpoints}: keep the last checkpoint of a FAILED job until the job expires (default false:
 * every finished job's checkpoints are deleted, see {@link CheckpointCleanup}).
 */
@ConfigurationProperties("vlm3d.artifacts")
public record ArtifactProperties(String store, Path dir, boolean retainFailedCheckpoints, S3 s3) {

    private static final Set<String> STORES = Set.of("postgres", "filesystem", "s3");

    public ArtifactProperties {
        if (store == null || store.isBlank()) store = "postgres";
        if (dir == null) dir = Path.of("artifacts");
        if (s3 == null) s3 = new S3(null, null, null, null, null, null, null, null, null, null, null, null, null);
        if (!STORES.contains(store)) {
            throw new IllegalArgumentException(
                    "vlm3d.artifacts.store must be postgres, filesystem or s3, not " + store);
        }
        if (store.equals("s3") && (s3.bucket() == null || s3.bucket().isBlank())) {
            throw new IllegalArgumentException("vlm3d.artifacts.store=s3 needs vlm3d.artifacts.s3.bucket");
        }
    }

    /**
     * {@code vlm3d.artifacts.s3.*} (README "S3-compatible artifact storage"). {@code endpoint}: the S3 API's URL, empty
     * for AWS itself (derived from {@code region}); {@code pathStyle}: bucket in the path, not the host name (MinIO,
     * Ceph); {@code accessKey}/{@code secretKey}: static credentials, empty to use the SDK's default chain
     * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the pod's web identity or instance role); {@code prefix}: put before
     * every object key; {@code multipartThreshold}/{@code partSize}: content above the threshold is uploaded in parts;
     * {@code download}: {@code stream} (through the service, Range and ETag as for the other stores) or
     * {@code redirect} (302 to a presigned URL valid for {@code presignTtl}, signed for {@code presignEndpoint} when
     * clients reach the store under another address than the service does); {@code createBucket}: create the bucket
     * at start-up when it is missing (development).
     */
    public record S3(
            URI endpoint,
            String region,
            String bucket,
            String prefix,
            Boolean pathStyle,
            String accessKey,
            String secretKey,
            DataSize multipartThreshold,
            DataSize partSize,
            String download,
            Duration presignTtl,
            URI presignEndpoint,
            Boolean createBucket) {

        public S3 {
            // an empty value in YAML binds as an empty URI
            if (endpoint != null && endpoint.toString().isBlank()) endpoint = null;
            if (presignEndpoint != null && presignEndpoint.toString().isBlank()) presignEndpoint = null;
            if (region == null || region.isBlank()) region = "us-east-1";
            if (prefix == null) prefix = "";
            if (pathStyle == null) pathStyle = false;
            if (multipartThreshold == null) multipartThreshold = DataSize.ofMegabytes(16);
            if (partSize == null) partSize = DataSize.ofMegabytes(8);
            if (download == null || download.isBlank()) download = "stream";
            if (presignTtl == null) presignTtl = Duration.ofMinutes(5);
            if (createBucket == null) createBucket = false;
            if (!download.equals("stream") && !download.equals("redirect")) {
                throw new IllegalArgumentException(
                        "vlm3d.artifacts.s3.download must be stream or redirect, not " + download);
            }
            if (partSize.toBytes() < 5L << 20 || partSize.toBytes() > 512L << 20) {
                throw new IllegalArgumentException(
                        "vlm3d.artifacts.s3.part-size must be in [5MB, 512MB], not " + partSize);
            }
            if ((accessKey == null || accessKey.isBlank()) != (secretKey == null || secretKey.isBlank())) {
                throw new IllegalArgumentException("vlm3d.artifacts.s3.access-key and secret-key go together");
            }
        }

        public boolean redirectDownloads() {
            return download.equals("redirect");
        }
    }
}

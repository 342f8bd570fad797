package dev.vlm3d.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.Lease;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.TransientApiMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@link ArtifactStoreTest} for the S3 store against a real S3 server in this JVM: S3Proxy over jclouds' in-memory
 * blobstore, speaking the S3 REST API with SigV4 on a local port (no Docker). The store is built the way the
 * service builds it, from {@code vlm3d.artifacts.s3.*} (path-style, static keys, a key prefix, 5 MiB parts, presigned
 * redirects), and a second client looks into the bucket. Also: presigned downloads, whole and ranged.
 */
class S3ArtifactStoreTest extends ArtifactStoreTest {

    private static final String ACCESS = "test-access";
    private static final String SECRET = "test-secret-0123456789";
    private static final String BUCKET = "vlm3d-test";
    private static final String PREFIX = "tenant-a/";

    private BlobStoreContext blobs;
    private S3Proxy proxy;
    private S3Client inspector;

    @Override
    ArtifactStore createStore() throws Exception {
        // the in-memory blobstore by its metadata, not by name: a look-up by name would load every provider S3Proxy
        // registers (Azure, GCS...), whose libraries the pom leaves out
        blobs = ContextBuilder.newBuilder(new TransientApiMetadata())
                .credentials("identity", "credential")
                .build(BlobStoreContext.class);
        proxy = S3Proxy.builder()
                .blobStore(blobs.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!proxy.getState().equals("STARTED")) {
            if (System.nanoTime() > deadline)
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            Thread.sleep(10);
        }
        URI endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        inspector = S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET)))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
        ArtifactProperties.S3 properties = new ArtifactProperties.S3(
                endpoint,
                "us-east-1",
                BUCKET,
                PREFIX,
                true,
                ACCESS,
                SECRET,
                DataSize.ofMegabytes(5),
                DataSize.ofMegabytes(5),
                "redirect",
                Duration.ofMinutes(2),
                null,
                true);
        return S3ArtifactStores.create(db.artifactRows, properties);
    }

    @AfterAll
    void stopProxy() throws Exception {
        if (inspector != null) inspector.close();
        if (proxy != null) proxy.stop();
        if (blobs != null) blobs.close();
    }

    @Override
    int storedBlobs(UUID jobId) {
        return inspector.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(PREFIX + jobId + "/")).contents().stream()
                .mapToInt(o -> 1)
                .sum();
    }

    @Test
    void objectsLiveUnderThePrefixAndLargeOnesAreUploadedInParts() throws Exception {
        Job job = db.submit("keys");
        Lease lease = db.queue.claim("w").orElseThrow().lease();
        ArtifactInfo small = store.put(
                        job.id(), lease.attempt(), ArtifactKind.OUTPUT, "a.png", "image/png", pattern(10))
                .orElseThrow();
        ArtifactInfo large = store.put(
                        job.id(),
                        lease.attempt(),
                        ArtifactKind.OUTPUT,
                        "model.glb",
                        "model/gltf-binary",
                        pattern(LARGE))
                .orElseThrow();

        assertThat(small.filePath()).startsWith(PREFIX + job.id() + "/output/a.png.attempt-" + lease.attempt() + ".");
        var head = inspector.headObject(b -> b.bucket(BUCKET).key(large.filePath()));
        assertThat(head.contentLength()).isEqualTo(LARGE);
        assertThat(head.contentType()).isEqualTo("model/gltf-binary");
        // the entity tag of a multipart object is "<md5 of the part md5s>-<number of parts>"
        assertThat(head.eTag()).endsWith("-3\"");
        assertThat(inspector
                        .headObject(b -> b.bucket(BUCKET).key(small.filePath()))
                        .eTag())
                .doesNotContain("-");
        assertThat(inspector.listMultipartUploads(b -> b.bucket(BUCKET)).uploads())
                .as("no upload left open")
                .isEmpty();
    }

    @Test
    void presignedUrlsServeTheArtifactWholeAndByRange() throws Exception {
        Job job = db.submit("presigned");
        Lease lease = db.queue.claim("w").orElseThrow().lease();
        byte[] content = pattern(300_000);
        ArtifactInfo stored = store.put(
                        job.id(), lease.attempt(), ArtifactKind.OUTPUT, "model.glb", "model/gltf-binary", content)
                .orElseThrow();

        URI url = store.downloadRedirect(stored).orElseThrow();
        assertThat(url.getQuery()).contains("X-Amz-Signature=").contains("X-Amz-Expires=120");
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<byte[]> whole =
                http.send(HttpRequest.newBuilder(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(content);
        assertThat(whole.headers().firstValue("Content-Type")).hasValue("model/gltf-binary");

        HttpResponse<byte[]> part = http.send(
                HttpRequest.newBuilder(url)
                        .header("Range", "bytes=1000-1999")
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 1000-1999/300000");
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(content, 1000, 2000));

        URI tampered = URI.create(url.toString().replace("X-Amz-Signature=", "X-Amz-Signature=0"));
        assertThat(http.send(HttpRequest.newBuilder(tampered).GET().build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode())
                .as("the signature is checked")
                .isEqualTo(403);
    }
}

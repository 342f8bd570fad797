package dev.vlm3d.api;

import static dev.vlm3d.testsupport.ContractClient.get;
import static dev.vlm3d.testsupport.ContractClient.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.artifacts.ArtifactKind;
import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.artifacts.S3ArtifactStore;
import dev.vlm3d.jobs.ClaimedJob;
import dev.vlm3d.jobs.JobQueue;
import dev.vlm3d.testsupport.ContractClient;
import dev.vlm3d.testsupport.ContractClient.Exchange;
import dev.vlm3d.testsupport.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.TransientApiMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The service wired with {@code vlm3d.artifacts.store=s3} and {@code download=redirect} against an S3Proxy in this
 * JVM: a download answers 302 with a presigned URL (contract-checked), the URL serves the bytes and a Range of
 * them, and If-None-Match is still answered by the service with 304.
 */
// closed after the class: a cached context keeps its pool's connections open, and the suite's contexts together
// would exceed PostgreSQL's max_connections (100)
@DirtiesContext
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + S3DownloadApiTest.ADMIN,
            "vlm3d.worker.enabled=false",
            "vlm3d.artifacts.store=s3",
            "vlm3d.artifacts.s3.bucket=service-artifacts",
            "vlm3d.artifacts.s3.path-style=true",
            "vlm3d.artifacts.s3.access-key=s3-access",
            "vlm3d.artifacts.s3.secret-key=s3-secret-0123456789",
            "vlm3d.artifacts.s3.download=redirect",
            "vlm3d.artifacts.s3.create-bucket=true"
        })
class S3DownloadApiTest {

    static final String ADMIN = "s3-admin-key-0123456789";
    private static BlobStoreContext blobs;
    private static S3Proxy proxy;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        TestDatabase.register(registry, TestDatabase.freshSchema(S3DownloadApiTest.class));
        blobs = ContextBuilder.newBuilder(new TransientApiMetadata())
                .credentials("identity", "credential")
                .build(BlobStoreContext.class);
        proxy = S3Proxy.builder()
                .blobStore(blobs.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V4, "s3-access", "s3-secret-0123456789")
                .build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) Thread.sleep(10);
        registry.add("vlm3d.artifacts.s3.endpoint", () -> "http://127.0.0.1:" + proxy.getPort());
    }

    @AfterAll
    static void stopProxy() throws Exception {
        proxy.stop();
        blobs.close();
    }

    @LocalServerPort
    int port;

    @Autowired
    JobQueue queue;

    @Autowired
    ArtifactStore artifacts;

    @Test
    void downloadsRedirectToAPresignedUrlOfTheBucket() throws Exception {
        assertThat(artifacts).isInstanceOf(S3ArtifactStore.class);
        ContractClient api = new ContractClient(port);
        Exchange key = api.send(post("/api-keys", "{\"name\": \"s3-client\"}").token(ADMIN));
        String token = key.json().get("token").stringValue();
        String id = api.send(
                        post("/jobs", "{\"prompt\": \"a model in a bucket\"}").token(token))
                .json()
                .get("id")
                .stringValue();
        byte[] glb = new byte[70_000];
        for (int i = 0; i < glb.length; i++) glb[i] = (byte) (i * 7);
        ClaimedJob claimed = queue.claim("test-worker").orElseThrow();
        artifacts.put(
                claimed.job().id(),
                claimed.lease().attempt(),
                ArtifactKind.OUTPUT,
                "model.glb",
                "model/gltf-binary",
                glb);
        queue.complete(claimed.lease());

        Exchange download = api.send(get("/jobs/" + id + "/artifacts/model.glb").token(token));
        assertThat(download.status()).isEqualTo(302);
        assertThat(download.header("Cache-Control")).isEqualTo("private, no-store");
        URI location = URI.create(download.header("Location"));
        assertThat(location.getPort()).isEqualTo(proxy.getPort());
        assertThat(location.getPath()).startsWith("/service-artifacts/" + id + "/output/model.glb.attempt-");

        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<byte[]> whole =
                http.send(HttpRequest.newBuilder(location).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(glb);
        HttpResponse<byte[]> range = http.send(
                HttpRequest.newBuilder(location).header("Range", "bytes=-100").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()).isEqualTo(Arrays.copyOfRange(glb, glb.length - 100, glb.length));

        String etag = download.header("ETag");
        assertThat(api.send(get("/jobs/" + id + "/artifacts/model.glb")
                                .token(token)
                                .header("If-None-Match", etag))
                        .status())
                .isEqualTo(304);
    }
}

package dev.vlm3d.artifacts;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** Builds the S3 client, the presigner (download=redirect) and the store from {@code vlm3d.artifacts.s3.*}. */
final class S3ArtifactStores {

    private static final Logger log = LoggerFactory.getLogger(S3ArtifactStores.class);

    private S3ArtifactStores() {}

    static S3ArtifactStore create(ArtifactRows rows, ArtifactProperties.S3 properties) {
        AwsCredentialsProvider credentials =
                properties.accessKey() != null && !properties.accessKey().isBlank()
                        ? StaticCredentialsProvider.create(
                                AwsBasicCredentials.create(properties.accessKey(), properties.secretKey()))
                        : DefaultCredentialsProvider.builder().build();
        S3Configuration service = S3Configuration.builder()
                .pathStyleAccessEnabled(properties.pathStyle())
                .build();
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(properties.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(service)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                // checksums only where the S3 API requires them: the SDK's default (trailing CRC checksums in
                // aws-chunked bodies) is not understood by every S3-compatible server; the artifacts table keeps each
                // artifact's SHA-256 anyway
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (properties.endpoint() != null) builder.endpointOverride(properties.endpoint());
        S3Client client = builder.build();

        S3Presigner presigner = null;
        if (properties.redirectDownloads()) {
            S3Presigner.Builder presign = S3Presigner.builder()
                    .region(Region.of(properties.region()))
                    .credentialsProvider(credentials)
                    .serviceConfiguration(service);
            if (properties.presignEndpoint() != null) presign.endpointOverride(properties.presignEndpoint());
            else if (properties.endpoint() != null) presign.endpointOverride(properties.endpoint());
            presigner = presign.build();
        }
        if (properties.createBucket()) {
            try {
                client.headBucket(b -> b.bucket(properties.bucket()));
            } catch (NoSuchBucketException e) {
                client.createBucket(b -> b.bucket(properties.bucket()));
                log.info("created bucket {}", properties.bucket());
            }
        }
        return new S3ArtifactStore(
                rows,
                client,
                presigner,
                properties.bucket(),
                properties.prefix(),
                properties.multipartThreshold().toBytes(),
                (int) properties.partSize().toBytes(),
                properties.presignTtl());
    }
}

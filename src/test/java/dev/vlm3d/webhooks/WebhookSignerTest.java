package dev.vlm3d.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.StandardWebhooksVerifier;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {

    @Test
    void matchesTheStandardWebhooksExampleSignature() {
        // the worked example of the Standard Webhooks scheme (secret, id, timestamp, body -> signature)
        assertThat(WebhookSigner.sign(
                        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                        "msg_p5jXN8AQM9LWM0D4loKWxJek",
                        1614265330L,
                        "{\"test\": 2432232314}"))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void aHeaderWithTwoSecretsVerifiesUnderEitherAndNotUnderAThird() {
        String current = WebhookSigner.newSecret();
        String previous = WebhookSigner.newSecret();
        long now = Instant.now().getEpochSecond();
        String header = WebhookSigner.header(List.of(current, previous), "id-1", now, "{\"a\":1}");

        assertThat(header.split(" ")).hasSize(2).allMatch(s -> s.startsWith("v1,"));
        assertThat(StandardWebhooksVerifier.verify(current, "id-1", Long.toString(now), "{\"a\":1}", header))
                .isTrue();
        assertThat(StandardWebhooksVerifier.verify(previous, "id-1", Long.toString(now), "{\"a\":1}", header))
                .isTrue();
        assertThat(StandardWebhooksVerifier.verify(
                        WebhookSigner.newSecret(), "id-1", Long.toString(now), "{\"a\":1}", header))
                .isFalse();
        // the id, the timestamp and the body are all covered
        assertThat(StandardWebhooksVerifier.verify(current, "id-2", Long.toString(now), "{\"a\":1}", header))
                .isFalse();
        assertThat(StandardWebhooksVerifier.verify(current, "id-1", Long.toString(now + 1), "{\"a\":1}", header))
                .isFalse();
        assertThat(StandardWebhooksVerifier.verify(current, "id-1", Long.toString(now), "{\"a\":2}", header))
                .isFalse();
    }

    @Test
    void secretsAreWhsecBase64OfThirtyTwoBytes() {
        String secret = WebhookSigner.newSecret();
        assertThat(secret).startsWith("whsec_");
        assertThat(java.util.Base64.getDecoder().decode(secret.substring(6))).hasSize(32);
        assertThat(WebhookSigner.newSecret()).isNotEqualTo(secret);
    }
}

package dev.vlm3d.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookTargetsTest {

    /** Resolves names from a fixed table (no DNS in tests); literals resolve to themselves. */
    private static WebhookTargets.Resolver table(Map<String, String> names) {
        return host -> {
            String address = names.get(host);
            if (address != null) return new InetAddress[] {InetAddress.getByName(address)};
            if (host.matches("[0-9a-fA-F:.]+")) return new InetAddress[] {InetAddress.getByName(host)};
            throw new UnknownHostException(host);
        };
    }

    private static final WebhookTargets.Resolver DNS = table(Map.of(
            "hooks.example.com",
            "93.184.216.34",
            "internal.example.com",
            "10.1.2.3",
            "metadata.example.com",
            "169.254.169.254"));

    @ParameterizedTest
    @ValueSource(
            strings = {
                "127.0.0.1",
                "127.8.8.8",
                "10.0.0.1",
                "172.16.0.1",
                "172.31.255.255",
                "192.168.1.1",
                "169.254.169.254",
                "100.64.0.1",
                "100.127.255.254",
                "0.0.0.0",
                "224.0.0.1",
                "255.255.255.255",
                "198.18.0.1",
                "[::1]",
                "[::]",
                "[fe80::1]",
                "[fc00::1]",
                "[fd12:3456::1]",
                "[ff02::1]",
                "[::ffff:10.0.0.1]",
                "[64:ff9b::a00:1]",
                "[2002:a00:1::1]",
                "[::127.0.0.1]",
                "internal.example.com",
                "metadata.example.com"
            })
    void refusesNonPublicTargets(String host) {
        WebhookTargets targets = new WebhookTargets(List.of(), DNS);
        assertThatThrownBy(() -> targets.check(URI.create("https://" + host + "/hook")))
                .isInstanceOf(WebhookTargets.RefusedException.class)
                .satisfies(e ->
                        assertThat(((WebhookTargets.RefusedException) e).code()).isEqualTo("WEBHOOK_URL_FORBIDDEN"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"93.184.216.34", "8.8.8.8", "100.128.0.1", "172.32.0.1", "[2606:4700::1111]", "hooks.example.com"
            })
    void acceptsPublicTargets(String host) {
        new WebhookTargets(List.of(), DNS).check(URI.create("https://" + host + "/hook"));
    }

    @Test
    void theAllowListOpensCidrsAndHosts() {
        WebhookTargets targets = new WebhookTargets(
                List.of("127.0.0.1/32", "10.1.0.0/16", "*.corp.test", "fc00::/7"),
                table(Map.of("a.corp.test", "192.168.0.5", "b.other.test", "192.168.0.5")));
        targets.check(URI.create("http://127.0.0.1:8080/x"));
        targets.check(URI.create("http://10.1.200.3/x"));
        targets.check(URI.create("http://a.corp.test/x"));
        targets.check(URI.create("http://[fd00::5]/x"));
        assertThatThrownBy(() -> targets.check(URI.create("http://127.0.0.2/x")))
                .isInstanceOf(WebhookTargets.RefusedException.class);
        assertThatThrownBy(() -> targets.check(URI.create("http://10.2.0.1/x")))
                .isInstanceOf(WebhookTargets.RefusedException.class);
        assertThatThrownBy(() -> targets.check(URI.create("http://b.other.test/x")))
                .isInstanceOf(WebhookTargets.RefusedException.class);
    }

    @Test
    void aHostWithOnePrivateAddressAmongPublicOnesIsRefused() {
        WebhookTargets targets = new WebhookTargets(List.of(), host ->
                new InetAddress[] {InetAddress.getByName("93.184.216.34"), InetAddress.getByName("10.0.0.7")});
        assertThatThrownBy(() -> targets.check(URI.create("https://mixed.example/x")))
                .hasMessageContaining("10.0.0.7");
    }

    @Test
    void anUnresolvableHostHasItsOwnCode() {
        assertThatThrownBy(() -> new WebhookTargets(List.of(), DNS).check(URI.create("https://nowhere.invalid/x")))
                .satisfies(e ->
                        assertThat(((WebhookTargets.RefusedException) e).code()).isEqualTo("WEBHOOK_URL_UNRESOLVABLE"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ftp://example.com/x",
                "file:///etc/passwd",
                "/relative",
                "https://user:pw@example.com/x",
                "https://example.com/x#frag",
                "https:///nohost",
                "not a url",
                "gopher://example.com"
            })
    void refusesMalformedUrls(String url) {
        assertThatThrownBy(() -> WebhookTargets.parse(url)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAllowListEntryThatIsNotACidrIsRefusedAtStartup() {
        assertThatThrownBy(() -> new WebhookTargets(List.of("10.0.0.0/33")))
                .hasMessageContaining("vlm3d.webhooks.allow-list");
    }
}

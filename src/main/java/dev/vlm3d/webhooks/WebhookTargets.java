package dev.vlm3d.webhooks;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Decides which webhook URLs the service may call, so a client cannot make it reach into its own network (SSRF).
 * A URL is refused when any address its host resolves to is loopback, link-local, private (RFC 1918), unique-local
 * (fc00::/7), carrier-grade NAT (100.64.0.0/10), unspecified, multicast or otherwise reserved, unless the
 * {@code vlm3d.webhooks.allow-list} names the host or a CIDR holding the address. The check runs at submission and
 * again before every attempt, so a host re-pointed at an internal address after it was accepted (DNS rebinding) is
 * still refused. The HTTP client resolves once more when it connects; the window between the two resolutions is
 * what remains, and egress rules in the cluster are the backstop for it (docs/deployment.md).
 */
public final class WebhookTargets {

    public static final int MAX_URL_LENGTH = 2048;

    /** Ranges that are not the public Internet, on top of what {@link InetAddress}'s predicates cover. */
    private static final List<Cidr> RESERVED = Arrays.stream(new String[] {
                "0.0.0.0/8",
                "10.0.0.0/8",
                "100.64.0.0/10",
                "127.0.0.0/8",
                "169.254.0.0/16",
                "172.16.0.0/12",
                "192.0.0.0/24",
                "192.0.2.0/24",
                "192.168.0.0/16",
                "198.18.0.0/15",
                "198.51.100.0/24",
                "203.0.113.0/24",
                "224.0.0.0/4",
                "240.0.0.0/4",
                "::/128",
                "::1/128",
                "fc00::/7",
                "fe80::/10",
                "fec0::/10",
                "ff00::/8",
                "2001:db8::/32",
                "100::/64"
            })
            .map(Cidr::parse)
            .toList();

    private final List<Cidr> allowedRanges = new ArrayList<>();
    private final List<String> allowedHosts = new ArrayList<>();
    private final Resolver resolver;

    /** Host name to addresses; the JDK's resolver outside tests. */
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    public WebhookTargets(List<String> allowList) {
        this(allowList, InetAddress::getAllByName);
    }

    public WebhookTargets(List<String> allowList, Resolver resolver) {
        this.resolver = resolver;
        for (String entry : allowList) {
            if (entry.contains("/")) {
                allowedRanges.add(Cidr.parse(entry));
            } else {
                allowedHosts.add(entry.toLowerCase(Locale.ROOT));
            }
        }
    }

    /** Why a URL may not be called; {@code code} is the problem code of the API's answer. */
    public static final class RefusedException extends RuntimeException {
        private final String code;

        RefusedException(String code, String message) {
            super(message);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /**
     * The URL as it will be called, when its form is acceptable: absolute http(s), a host, no user info or fragment.
     *
     * @throws IllegalArgumentException with the reason otherwise
     */
    public static URI parse(String url) {
        if (url.length() > MAX_URL_LENGTH)
            throw new IllegalArgumentException("is longer than " + MAX_URL_LENGTH + " characters");
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http"))
            throw new IllegalArgumentException("must be an http or https URL");
        if (uri.getHost() == null || uri.getHost().isEmpty()) throw new IllegalArgumentException("must name a host");
        if (uri.getRawUserInfo() != null) throw new IllegalArgumentException("must not carry user info (credentials)");
        if (uri.getRawFragment() != null) throw new IllegalArgumentException("must not have a fragment");
        return uri;
    }

    /**
     * Resolves the URL's host and checks every address.
     *
     * @throws RefusedException WEBHOOK_URL_FORBIDDEN for a non-public address outside the allow-list,
     *                          WEBHOOK_URL_UNRESOLVABLE when the host does not resolve
     */
    public void check(URI uri) {
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        if (hostAllowed(host)) return;
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new RefusedException("WEBHOOK_URL_UNRESOLVABLE", "webhook_url host " + host + " does not resolve");
        }
        for (InetAddress address : addresses) {
            if (!isPublic(address) && allowedRanges.stream().noneMatch(r -> r.contains(address))) {
                throw new RefusedException(
                        "WEBHOOK_URL_FORBIDDEN",
                        "webhook_url host " + host + " resolves to "
                                + address.getHostAddress() + ", a loopback, link-local, private or reserved address "
                                + "(vlm3d.webhooks.allow-list can permit it)");
            }
        }
    }

    private boolean hostAllowed(String host) {
        for (String allowed : allowedHosts) {
            if (allowed.startsWith("*.") ? host.endsWith(allowed.substring(1)) : host.equals(allowed)) return true;
        }
        return false;
    }

    /** True for an address on the public Internet. IPv6 forms that embed an IPv4 address are judged by it. */
    static boolean isPublic(InetAddress address) {
        InetAddress embedded = embeddedIpv4(address);
        if (embedded != null) return isPublic(embedded);
        if (address.isLoopbackAddress()
                || address.isLinkLocalAddress()
                || address.isSiteLocalAddress()
                || address.isAnyLocalAddress()
                || address.isMulticastAddress()) {
            return false;
        }
        return RESERVED.stream().noneMatch(r -> r.contains(address));
    }

    /** The IPv4 address inside an IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
    private static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) return null;
        byte[] b = address.getAddress();
        try {
            boolean zeroPrefix = true;
            for (int i = 0; i < 12; i++) zeroPrefix &= b[i] == 0;
            if (zeroPrefix && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1))) {
                return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
            }
            boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
            for (int i = 4; i < 12 && nat64; i++) nat64 = b[i] == 0;
            if (nat64) return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
            if (b[0] == 0x20 && b[1] == 0x02) return InetAddress.getByAddress(Arrays.copyOfRange(b, 2, 6));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return null;
    }

    /** An address range; {@link InetAddress#getByName} only ever sees a literal here, so it never resolves. */
    record Cidr(byte[] network, int prefix) {

        static Cidr parse(String text) {
            int slash = text.indexOf('/');
            String literal = text.substring(0, slash);
            if (!literal.matches("[0-9a-fA-F:.]+")) {
                throw new IllegalArgumentException("vlm3d.webhooks.allow-list entry '" + text + "' is not a CIDR");
            }
            try {
                byte[] network = InetAddress.getByName(literal).getAddress();
                int prefix = Integer.parseInt(text.substring(slash + 1));
                if (prefix < 0 || prefix > network.length * 8) throw new IllegalArgumentException("prefix");
                return new Cidr(network, prefix);
            } catch (UnknownHostException | IllegalArgumentException e) {
                throw new IllegalArgumentException("vlm3d.webhooks.allow-list entry '" + text + "' is not a CIDR", e);
            }
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            // IPv4-mapped IPv6 addresses arrive as Inet4Address (the JDK maps them), so v4 ranges cover them too
            if (a.length != network.length) return false;
            int full = prefix / 8;
            for (int i = 0; i < full; i++) if (a[i] != network[i]) return false;
            int rest = prefix % 8;
            if (rest == 0) return true;
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (network[full] & mask);
        }
    }
}

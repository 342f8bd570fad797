package dev.vlm3d.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;

/**
 * The separate management port, when {@code management.server.port} gives one: Spring Boot then serves the actuator
 * endpoints on their own server (and no longer on the API port). That port is meant to be reachable only inside the
 * cluster (the chart routes no Service port of the Ingress to it, docs/deployment.md), so requests that arrived on it
 * need no admin key: Prometheus scrapes it and the kubelet probes it without credentials. On the API port the
 * actuator paths keep needing an admin key ({@link SecurityConfiguration#ADMIN_PATHS}).
 * <p>
 * The port is taken from the management server once it has started, which also covers {@code
 * management.server.port=0} (a random port).
 */
public final class ManagementPort implements ApplicationListener<WebServerInitializedEvent> {

    /** The server namespace Spring Boot gives the management server's application context. */
    private static final String NAMESPACE = "management";

    private final boolean separate;
    private volatile int port = -1;

    public ManagementPort(Environment environment) {
        this.separate = ManagementPortType.get(environment) == ManagementPortType.DIFFERENT;
        Integer configured = environment.getProperty("management.server.port", Integer.class);
        if (separate && configured != null && configured > 0) port = configured;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (separate && NAMESPACE.equals(event.getApplicationContext().getServerNamespace())) {
            port = event.getWebServer().getPort();
        }
    }

    /** Whether a separate management port is configured. */
    public boolean separate() {
        return separate;
    }

    /** The management server's port, or -1 when there is none (or it has not started yet). */
    public int port() {
        return port;
    }

    /** True for a request that reached the service through the separate management port. */
    public boolean received(HttpServletRequest request) {
        int p = port;
        return separate && p > 0 && request.getLocalPort() == p;
    }
}

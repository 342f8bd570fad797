package dev.vlm3d.deploy;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Ingress;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import java.io.IOException;
import java.util.Map;

/**
 * Strict check of a manifest against the Kubernetes API types (the generated models of the official Java client):
 * unknown fields at any depth, missing required fields and wrong JSON shapes are rejected, as kubeconform -strict does
 * in chart.yml. CRDs (ServiceMonitor) are not covered by these models.
 */
final class KubernetesSchema {

    @FunctionalInterface
    private interface Validator {
        void validate(JsonElement json) throws IOException;
    }

    private static final Map<String, Validator> VALIDATORS = Map.of(
            "apps/v1/Deployment", V1Deployment::validateJsonElement,
            "v1/Service", V1Service::validateJsonElement,
            "v1/ConfigMap", V1ConfigMap::validateJsonElement,
            "v1/Secret", V1Secret::validateJsonElement,
            "v1/ServiceAccount", V1ServiceAccount::validateJsonElement,
            "policy/v1/PodDisruptionBudget", V1PodDisruptionBudget::validateJsonElement,
            "autoscaling/v2/HorizontalPodAutoscaler", V2HorizontalPodAutoscaler::validateJsonElement,
            "networking.k8s.io/v1/Ingress", V1Ingress::validateJsonElement);

    private static final Gson GSON = new Gson();

    private KubernetesSchema() {}

    static boolean covers(Map<String, Object> object) {
        return VALIDATORS.containsKey(typeOf(object));
    }

    /** Throws IllegalArgumentException naming the offending field when the object does not fit its API type. */
    static void validate(Map<String, Object> object) throws IOException {
        Validator validator = VALIDATORS.get(typeOf(object));
        if (validator == null) {
            throw new IllegalArgumentException("no Kubernetes API model for " + typeOf(object));
        }
        validator.validate(GSON.toJsonTree(object));
    }

    static String typeOf(Map<String, Object> object) {
        return object.get("apiVersion") + "/" + object.get("kind");
    }
}

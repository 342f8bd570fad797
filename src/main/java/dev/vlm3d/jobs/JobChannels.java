package dev.vlm3d.jobs;

/**
 * Names of the NOTIFY channels. They carry the schema name so two deployments (or two test classes) sharing one
 * database in different schemas do not wake each other.
 */
public record JobChannels(String queued, String changed) {

    public static JobChannels forSchema(String schema) {
        String base = "vlm3d_" + schema.toLowerCase().replaceAll("[^a-z0-9_]", "_");
        return new JobChannels(base + "_queued", base + "_changed");
    }
}

package dev.vlm3d.jobs;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Maps jobs rows and jsonb columns. */
final class JobRows {

    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

    private final JsonMapper json;

    JobRows(JsonMapper json) {
        this.json = json;
    }

    Job job(ResultSet rs, int rowNum) throws SQLException {
        return new Job(
                rs.getObject("id", UUID.class),
                JobStatus.valueOf(rs.getString("status")),
                rs.getString("prompt"),
                rs.getString("negative_prompt"),
                rs.getLong("seed"),
                rs.getString("preset"),
                readMap(rs.getString("options")),
                rs.getInt("priority"),
                rs.getObject("owner_key_id", UUID.class),
                rs.getString("idempotency_key"),
                rs.getInt("attempt"),
                rs.getInt("failures"),
                rs.getInt("max_attempts"),
                rs.getString("worker_id"),
                instant(rs, "lease_expires_at"),
                instant(rs, "heartbeat_at"),
                rs.getString("stage"),
                rs.getInt("step"),
                rs.getInt("total_steps"),
                rs.getDouble("progress"),
                rs.getString("latest_metrics") == null ? null : readMap(rs.getString("latest_metrics")),
                (Integer) rs.getObject("checkpoint_step"),
                rs.getString("error_code"),
                rs.getString("error_message"),
                instant(rs, "cancel_requested_at"),
                instant(rs, "run_at"),
                instant(rs, "created_at"),
                instant(rs, "started_at"),
                instant(rs, "finished_at"),
                instant(rs, "updated_at"),
                (Integer) rs.getObject("resumed_from_step"),
                rs.getInt("interruptions"),
                rs.getString("last_interruption_code"),
                rs.getString("last_interruption_message"),
                instant(rs, "last_interruption_at"),
                rs.getString("kind"),
                uuids(rs.getArray("depends_on")),
                rs.getString("webhook_url"),
                textArray(rs, "webhook_events"),
                (Long) rs.getObject("ttl_seconds"),
                instant(rs, "expires_at"));
    }

    private static java.util.List<UUID> uuids(java.sql.Array array) throws SQLException {
        if (array == null) {
            return java.util.List.of();
        }
        Object[] values = (Object[]) array.getArray();
        java.util.List<UUID> out = new java.util.ArrayList<>(values.length);
        for (Object v : values) {
            out.add(v instanceof UUID u ? u : UUID.fromString(v.toString()));
        }
        return java.util.List.copyOf(out);
    }

    private static List<String> textArray(ResultSet rs, String column) throws SQLException {
        java.sql.Array array = rs.getArray(column);
        return array == null ? null : List.of((String[]) array.getArray());
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    Map<String, Object> readMap(String text) {
        if (text == null || text.isBlank()) {
            return Collections.emptyMap();
        }
        return Collections.unmodifiableMap(json.readValue(text, MAP));
    }

    String write(Object value) {
        return json.writeValueAsString(value);
    }
}

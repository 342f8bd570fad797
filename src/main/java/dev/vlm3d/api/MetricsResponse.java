package dev.vlm3d.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The step series of a job: the data behind its reward and loss curves. */
public record MetricsResponse(List<Point> steps) {

    public record Point(int step, int attempt, String stage, Map<String, Double> metrics, Instant recordedAt) {}
}

package dev.vlm3d.jobs;

import java.time.Instant;
import java.util.Map;

/** One point of a job's metric series. */
public record StepRecord(int step, int attempt, String stage, Map<String, Double> metrics, Instant recordedAt) {}

package dev.vlm3d.pipeline;

import dev.vlm3d.evaluation.Evaluation;
import dev.vlm3d.evaluation.Gpteval3d;
import dev.vlm3d.evaluation.MethodAssets;
import dev.vlm3d.evaluation.QwenJudge;
import dev.vlm3d.evaluation.ViewExporter;
import dev.vlm3d.worker.GenerationContext;
import dev.vlm3d.worker.GenerationException;
import dev.vlm3d.worker.GenerationOutcome;
import dev.vlm3d.worker.GenerationRequest;
import dev.vlm3d.worker.StopSignal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An evaluation job on a worker: fetches the GLBs of the generation jobs named in its spec, renders them in the
 * benchmark's layout, judges them with the worker's Qwen2.5-VL (the reward's model, no second copy) and stores
 * comparisons.json, questions.json, scores.json and ratings.png as the job's artifacts (docs/evaluation.md).
 *
 * <p>The spec (the job's options, written by POST /evaluations): {@code prompts} (id = index), {@code methods}
 * (name → prompt id → generation job id), {@code mode}, {@code anchor}, {@code seed}, {@code views}, {@code size},
 * {@code max_questions}, {@code max_pixels}. A generation job that failed has no GLB and its prompt is skipped for
 * that method, as the benchmark skips prompts a method lacks. The run is deterministic, so a job stopped for a
 * shutdown simply starts over on its next attempt (no checkpoint).
 */
final class EvaluationJobRunner {

    private static final Logger log = LoggerFactory.getLogger(EvaluationJobRunner.class);

    /** Thrown out of the progress callback to stop between questions. */
    private static final class Stop extends RuntimeException {
        final StopSignal signal;

        Stop(StopSignal signal) {
            super(null, null, false, false);
            this.signal = signal;
        }
    }

    private final PipelineModels models;

    EvaluationJobRunner(PipelineModels models) {
        this.models = models;
    }

    GenerationOutcome run(GenerationRequest request, GenerationContext context) throws Exception {
        Map<String, Object> spec = request.options();
        Evaluation.Plan plan;
        Path dir = Files.createTempDirectory("vlm3d-eval-" + request.jobId());
        try {
            try {
                plan = plan(spec, dir, context);
            } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
                throw GenerationException.permanentFailure(
                        "INVALID_OPTIONS", "bad evaluation spec: " + e.getMessage(), e);
            }
            String stagePrefix = models.folders().tiny() ? " (tiny random judge: plumbing run)" : "";
            long maxPixels = number(spec, "max_pixels", 0L).longValue();
            QwenJudge judge = new QwenJudge(
                    models.vlm().model(),
                    maxPixels,
                    (models.folders().tiny() ? "tiny-random " : "")
                            + models.folders().vlmDir().getFileName(),
                    false);
            Path out = dir.resolve("out");
            Evaluation.Outcome result;
            try {
                result = new Evaluation(Gpteval3d.load()).run(plan, judge, out, (stage, done, total) -> {
                    StopSignal s = context.stopRequested();
                    if (s != StopSignal.NONE) {
                        throw new Stop(s);
                    }
                    context.reportStep(done, Math.max(1, total), stage + stagePrefix, Map.of());
                });
            } catch (Stop s) {
                return s.signal == StopSignal.CANCEL
                        ? GenerationOutcome.CANCELLED
                        : GenerationOutcome.STOPPED_FOR_SHUTDOWN;
            } catch (IllegalArgumentException e) {
                throw GenerationException.permanentFailure("INVALID_OPTIONS", e.getMessage(), e);
            } catch (IOException e) {
                throw GenerationException.transientFailure("EVALUATION_FAILED", e.getMessage(), e);
            }
            for (Path f : result.files()) {
                String name = f.getFileName().toString();
                context.storeArtifact(name, name.endsWith(".png") ? "image/png" : "application/json", f);
            }
            log.info("evaluation {} done: {} questions", request.jobId(), result.questions());
            return GenerationOutcome.SUCCEEDED;
        } finally {
            Vlm3dJobGenerator.deleteRecursively(dir);
        }
    }

    @SuppressWarnings("unchecked")
    private Evaluation.Plan plan(Map<String, Object> spec, Path dir, GenerationContext context) throws IOException {
        List<String> prompts = new ArrayList<>();
        for (Object p : (List<Object>) spec.get("prompts")) {
            prompts.add((String) p);
        }
        Map<String, Object> methodSpec = (Map<String, Object>) spec.get("methods");
        Map<String, MethodAssets> methods = new LinkedHashMap<>();
        for (Map.Entry<String, Object> m : methodSpec.entrySet()) {
            Path folder = dir.resolve("glb").resolve(m.getKey());
            Files.createDirectories(folder);
            int found = 0;
            for (Map.Entry<String, Object> a : ((Map<String, Object>) m.getValue()).entrySet()) {
                int id = Integer.parseInt(a.getKey());
                UUID job = UUID.fromString((String) a.getValue());
                var glb = context.readArtifact(job, "model.glb");
                if (glb.isPresent()) {
                    Files.write(folder.resolve(id + ".glb"), glb.get());
                    found++;
                } else {
                    log.warn(
                            "evaluation: job {} ({} prompt {}) has no model.glb; that prompt is skipped",
                            job,
                            m.getKey(),
                            id);
                }
            }
            if (found == 0) {
                throw new IllegalArgumentException("method " + m.getKey() + " has no finished asset to evaluate");
            }
            MethodAssets scanned = MethodAssets.scan(folder, prompts.size());
            methods.put(m.getKey(), new MethodAssets(m.getKey(), scanned.views(), scanned.glbs()));
        }
        ViewExporter exporter = new ViewExporter(
                number(spec, "views", 120).intValue(), number(spec, "size", 512).intValue(), 2, 0);
        Evaluation.Mode mode = Evaluation.Mode.parse((String) spec.getOrDefault("mode", "tournament"));
        if (mode == Evaluation.Mode.NEW_METHOD) {
            // the published renders are not on the workers; docs/evaluation.md runs that mode with the CLI
            throw new IllegalArgumentException("evaluation jobs run tournaments; new-method mode needs the published "
                    + "renders and runs with the evaluate command");
        }
        return new Evaluation.Plan(
                prompts,
                methods,
                Map.of(),
                mode,
                (String) spec.get("anchor"),
                number(spec, "seed", 0L).longValue(),
                number(spec, "max_questions", 0).intValue(),
                exporter,
                models.folders().tiny(),
                false);
    }

    private static Number number(Map<String, Object> spec, String key, Number fallback) {
        Object v = spec.get(key);
        return v instanceof Number n ? n : fallback;
    }
}

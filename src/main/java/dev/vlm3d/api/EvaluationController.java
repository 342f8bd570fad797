package dev.vlm3d.api;

import dev.vlm3d.jobs.Job;
import dev.vlm3d.jobs.JobStatus;
import dev.vlm3d.options.PromptList;
import dev.vlm3d.security.ApiPrincipal;
import dev.vlm3d.webhooks.WebhookTargets;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Evaluation jobs (GPTEval3D with the workers' Qwen2.5-VL as judge, docs/evaluation.md) and batch submission. An
 * evaluation is a job of kind {@code evaluation} in the same queue: leased by the same workers, followed with the
 * same GET /jobs/{id} and SSE, its results (scores.json, comparisons.json, questions.json, ratings.png) are its
 * artifacts.
 */
@RestController
class EvaluationController {

    private static final Set<String> BATCH_FIELDS =
            Set.of("prompts", "prompt_list", "negative_prompt", "seed", "preset", "steps", "priority", "options");
    private static final Set<String> EVALUATION_FIELDS = Set.of(
            "methods",
            "presets",
            "prompts",
            "prompt_list",
            "anchor",
            "seed",
            "generation_seed",
            "views",
            "size",
            "max_questions",
            "priority");
    private static final Set<String> PRESET_FIELDS = Set.of("preset", "steps", "options", "negative_prompt");
    private static final Pattern METHOD_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final int MAX_BATCH = 500;
    static final int MAX_METHODS = 16;

    private final JobService service;
    private final JobViews views;
    private final JobRequestParser parser;

    EvaluationController(JobService service, JobViews views, ApiProperties properties, WebhookTargets webhookTargets) {
        this.service = service;
        this.views = views;
        this.parser = new JobRequestParser(properties, webhookTargets);
    }

    /** The response of the evaluation endpoints: the evaluation job and the generation jobs it compares. */
    record EvaluationResponse(JobResponse evaluation, Map<String, Map<String, String>> generationJobs) {}

    record BatchResponse(List<JobResponse> jobs) {}

    @PostMapping(
            path = "/jobs/batch",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<BatchResponse> batch(@RequestBody(required = false) byte[] body, ApiPrincipal principal) {
        JsonNode node = object(JsonBodies.read(body), BATCH_FIELDS);
        List<String> prompts = prompts(node);
        List<CreateJobRequest> requests = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            requests.add(parseFor(node, prompts.get(i), "prompts[" + i + "]", List.of("prompts", "prompt_list")));
        }
        List<Job> jobs = service.submitAll(requests, principal);
        return ResponseEntity.status(HttpStatus.ACCEPTED)
                .body(new BatchResponse(jobs.stream().map(views::summary).toList()));
    }

    @PostMapping(
            path = "/evaluations",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<EvaluationResponse> create(@RequestBody(required = false) byte[] body, ApiPrincipal principal) {
        JsonNode node = object(JsonBodies.read(body), EVALUATION_FIELDS);
        boolean byJobs = node.has("methods");
        if (byJobs == node.has("presets")) {
            throw ApiException.invalid(
                    "INVALID_FIELD",
                    "methods",
                    "give either methods (finished jobs to compare) or "
                            + "presets (with prompts or prompt_list), not both or neither");
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("mode", "tournament");
        String anchor = optionalText(node, "anchor");
        long seed = integer(node, "seed", 0, Long.MAX_VALUE, 0);
        spec.put("seed", seed);
        spec.put("views", integer(node, "views", 9, 120, 120));
        spec.put("size", integer(node, "size", 16, 1024, 512));
        spec.put("max_questions", integer(node, "max_questions", 0, 100_000, 0));
        int priority = (int) integer(node, "priority", 0, 9, 0);
        Job evaluation;
        Map<String, Map<String, String>> generation;
        if (byJobs) {
            if (node.has("prompts") || node.has("prompt_list") || node.has("generation_seed")) {
                throw ApiException.invalid(
                        "INVALID_FIELD",
                        "prompts",
                        "prompts, prompt_list and generation_seed go "
                                + "with presets; with methods the prompts are the jobs' own");
            }
            generation = byFinishedJobs(node.get("methods"), spec, principal);
            checkAnchor(anchor, generation.keySet());
            spec.put("anchor", anchor);
            Map<String, Map<String, String>> chosen = generation;
            evaluation = service.submitEvaluation(
                            List.of(), none -> evaluationJob(spec, seed, priority, chosen), principal)
                    .get(0);
        } else {
            List<String> prompts = prompts(node);
            spec.put("prompts", prompts);
            JsonNode presets = node.get("presets");
            Map<String, List<CreateJobRequest>> requests = byPresets(presets, prompts, node);
            checkAnchor(anchor, requests.keySet());
            spec.put("anchor", anchor);
            List<CreateJobRequest> flat = new ArrayList<>();
            List<String> owners = new ArrayList<>();
            requests.forEach((m, list) -> {
                flat.addAll(list);
                list.forEach(r -> owners.add(m));
            });
            List<Job> stored = service.submitEvaluation(
                    flat,
                    stored1 -> {
                        Map<String, Map<String, String>> methods = new LinkedHashMap<>();
                        int[] next = new int[requests.size()];
                        List<String> names = new ArrayList<>(requests.keySet());
                        for (int i = 0; i < stored1.size(); i++) {
                            String m = owners.get(i);
                            int id = next[names.indexOf(m)]++;
                            methods.computeIfAbsent(m, k -> new LinkedHashMap<>())
                                    .put(
                                            Integer.toString(id),
                                            stored1.get(i).id().toString());
                        }
                        List<UUID> deps = stored1.stream().map(Job::id).toList();
                        return evaluationJob(spec, seed, priority, methods).withDependencies(deps);
                    },
                    principal);
            evaluation = stored.get(stored.size() - 1);
            generation = methodsOf(evaluation);
        }
        URI location = URI.create("/evaluations/" + evaluation.id());
        return ResponseEntity.status(HttpStatus.ACCEPTED)
                .location(location)
                .body(new EvaluationResponse(views.detailed(evaluation), generation));
    }

    @GetMapping(path = "/evaluations/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    EvaluationResponse get(@PathVariable UUID id, ApiPrincipal principal) {
        Job job;
        try {
            job = service.find(id, principal);
        } catch (ApiException e) {
            throw evaluationNotFound(id);
        }
        if (!job.isEvaluation()) {
            throw evaluationNotFound(id);
        }
        return new EvaluationResponse(views.detailed(job), methodsOf(job));
    }

    private static ApiException evaluationNotFound(UUID id) {
        return new ApiException(HttpStatus.NOT_FOUND, "EVALUATION_NOT_FOUND", "no evaluation " + id + " for this key");
    }

    /** What the evaluation job stores: a readable title as its prompt, the spec as its options. */
    private static JobService.EvaluationJob evaluationJob(
            Map<String, Object> spec, long seed, int priority, Map<String, Map<String, String>> methods) {
        Map<String, Object> s = new LinkedHashMap<>(spec);
        s.put("methods", methods);
        int assets = methods.values().stream().mapToInt(Map::size).sum();
        @SuppressWarnings("unchecked")
        int prompts = ((List<String>) s.get("prompts")).size();
        String title = "GPTEval3D evaluation: " + String.join(" vs ", methods.keySet()) + " on " + prompts + " prompts";
        return new JobService.EvaluationJob(
                title.length() > 1000 ? title.substring(0, 1000) : title,
                seed,
                priority,
                s,
                Math.max(1, assets),
                List.of());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, String>> methodsOf(Job job) {
        Object m = job.options().get("methods");
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        if (m instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                Map<String, String> ids = new LinkedHashMap<>();
                ((Map<String, Object>) v).forEach((pid, jid) -> ids.put(pid, String.valueOf(jid)));
                out.put(String.valueOf(k), ids);
            });
        }
        return out;
    }

    /** Finished jobs per method, paired by prompt text; the prompt list is every prompt in order of appearance. */
    private Map<String, Map<String, String>> byFinishedJobs(
            JsonNode methods, Map<String, Object> spec, ApiPrincipal principal) {
        if (!methods.isObject() || methods.size() < 2 || methods.size() > MAX_METHODS) {
            throw ApiException.invalid(
                    "INVALID_FIELD",
                    "methods",
                    "methods must be an object of 2 to " + MAX_METHODS
                            + " method names, each with an array of finished job ids");
        }
        List<String> prompts = new ArrayList<>();
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : methods.properties()) {
            String name = methodName(e.getKey(), "methods");
            JsonNode ids = e.getValue();
            String field = "methods." + name;
            if (!ids.isArray() || ids.isEmpty() || ids.size() > MAX_BATCH) {
                throw ApiException.invalid(
                        "INVALID_FIELD", field, field + " must be an array of 1 to " + MAX_BATCH + " job ids");
            }
            Map<String, String> byPrompt = new LinkedHashMap<>();
            for (int i = 0; i < ids.size(); i++) {
                String f = field + "[" + i + "]";
                UUID id;
                try {
                    id = UUID.fromString(ids.get(i).isString() ? ids.get(i).stringValue() : "");
                } catch (IllegalArgumentException x) {
                    throw ApiException.invalid("INVALID_FIELD", f, f + " must be a job id");
                }
                Job job = service.find(id, principal);
                if (job.isEvaluation() || job.status() != JobStatus.SUCCEEDED) {
                    throw new ApiException(
                            HttpStatus.CONFLICT,
                            "JOB_NOT_SUCCEEDED",
                            "job " + id + " is "
                                    + (job.isEvaluation()
                                            ? "an evaluation"
                                            : job.status().name())
                                    + "; an evaluation compares SUCCEEDED generation jobs");
                }
                int pid = prompts.indexOf(job.prompt());
                if (pid < 0) {
                    prompts.add(job.prompt());
                    pid = prompts.size() - 1;
                }
                if (byPrompt.put(Integer.toString(pid), id.toString()) != null) {
                    throw ApiException.invalid(
                            "INVALID_FIELD",
                            f,
                            "method " + name + " has two jobs for the prompt '" + job.prompt() + "'");
                }
            }
            out.put(name, byPrompt);
        }
        spec.put("prompts", prompts);
        return out;
    }

    private Map<String, List<CreateJobRequest>> byPresets(JsonNode presets, List<String> prompts, JsonNode node) {
        if (presets == null || !presets.isObject() || presets.size() < 2 || presets.size() > MAX_METHODS) {
            throw ApiException.invalid(
                    "INVALID_FIELD",
                    "presets",
                    "presets must be an object of 2 to " + MAX_METHODS
                            + " method names, each {preset, steps, options, negative_prompt}");
        }
        Long genSeed = node.has("generation_seed") ? integer(node, "generation_seed", 0, Long.MAX_VALUE, 0) : null;
        Map<String, List<CreateJobRequest>> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : presets.properties()) {
            String name = methodName(e.getKey(), "presets");
            JsonNode p = e.getValue();
            if (!p.isObject()) {
                throw ApiException.invalid(
                        "INVALID_FIELD", "presets." + name, "presets." + name + " must be an object");
            }
            for (Map.Entry<String, JsonNode> f : p.properties()) {
                if (!PRESET_FIELDS.contains(f.getKey())) {
                    throw ApiException.invalid(
                            "UNKNOWN_FIELD",
                            "presets." + name + "." + f.getKey(),
                            "unknown field '" + f.getKey() + "'");
                }
            }
            ObjectNode base = (ObjectNode) p.deepCopy();
            if (genSeed != null) {
                base.put("seed", genSeed);
            }
            List<CreateJobRequest> list = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                list.add(parseFor(base, prompts.get(i), "prompts[" + i + "]", List.of()));
            }
            out.put(name, list);
        }
        if ((long) prompts.size() * out.size() > MAX_BATCH) {
            throw ApiException.invalid(
                    "INVALID_FIELD",
                    "prompts",
                    prompts.size() * out.size() + " generation jobs; at most " + MAX_BATCH + " per evaluation");
        }
        return out;
    }

    private static void checkAnchor(String anchor, Set<String> methods) {
        if (anchor != null && !methods.contains(anchor)) {
            throw ApiException.invalid("INVALID_FIELD", "anchor", "anchor must be one of " + methods);
        }
    }

    /** One POST /jobs body for a prompt of a list, validated as POST /jobs validates it. */
    private CreateJobRequest parseFor(JsonNode node, String prompt, String field, List<String> drop) {
        ObjectNode copy = (ObjectNode) node.deepCopy();
        drop.forEach(copy::remove);
        copy.put("prompt", prompt);
        try {
            return parser.parse(copy);
        } catch (ApiException e) {
            if (!e.errors().isEmpty() && "prompt".equals(e.errors().get(0).field())) {
                throw ApiException.invalid(e.code(), field, e.getMessage());
            }
            throw e;
        }
    }

    private static List<String> prompts(JsonNode node) {
        JsonNode list = node.get("prompts");
        JsonNode named = node.get("prompt_list");
        if ((list == null) == (named == null)) {
            throw ApiException.invalid(
                    "INVALID_FIELD",
                    "prompts",
                    "give prompts (an array of strings) or prompt_list (" + "\"" + PromptList.GPTEVAL3D
                            + "\": the benchmark's 110), one of them");
        }
        if (named != null) {
            if (!named.isString() || !named.stringValue().equals(PromptList.GPTEVAL3D)) {
                throw ApiException.invalid(
                        "INVALID_FIELD", "prompt_list", "prompt_list must be \"" + PromptList.GPTEVAL3D + "\"");
            }
            return PromptList.gpteval3d();
        }
        if (!list.isArray() || list.isEmpty() || list.size() > MAX_BATCH) {
            throw ApiException.invalid(
                    "INVALID_FIELD", "prompts", "prompts must be an array of 1 to " + MAX_BATCH + " strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!list.get(i).isString()) {
                throw ApiException.invalid(
                        "INVALID_FIELD", "prompts[" + i + "]", "prompts[" + i + "] must be a string");
            }
            out.add(list.get(i).stringValue());
        }
        return out;
    }

    private static JsonNode object(JsonNode body, Set<String> fields) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("INVALID_FIELD", "", "the request body must be a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : body.properties()) {
            if (!fields.contains(e.getKey())) {
                throw ApiException.invalid("UNKNOWN_FIELD", e.getKey(), "unknown field '" + e.getKey() + "'");
            }
        }
        return body;
    }

    private static String methodName(String name, String field) {
        if (!METHOD_NAME.matcher(name).matches()) {
            throw ApiException.invalid(
                    "INVALID_FIELD",
                    field + "." + name,
                    "method names are 1 to 64 of " + "A-Z a-z 0-9 . _ - (they name folders and chart rows)");
        }
        return name;
    }

    private static String optionalText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isString()) {
            throw ApiException.invalid("INVALID_FIELD", field, field + " must be a string");
        }
        return v.stringValue();
    }

    private static long integer(JsonNode node, String field, long min, long max, long fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw ApiException.invalid(
                    "INVALID_FIELD", field, field + " must be an integer in [" + min + ", " + max + "]");
        }
        return v.longValue();
    }
}

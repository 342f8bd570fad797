package dev.vlm3d.evaluation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which questions to ask, the way the benchmark schedules them (its T23DTournament): the ensembles' question
 * slots in config order ({@code num_comparisons} each, 1,500 in all), each slot dealt to the next pair (tournament)
 * or opponent (new method) from a shuffled list that is refilled when empty, on a random prompt that pair has not
 * had yet; slots whose pair has run out of common prompts are skipped. Left/right is drawn per question.
 */
public final class Schedule {

    /** One question: {@code m1} is shown on the left. */
    public record Question(int id, String m1, String m2, int promptId, int ensemble) {}

    private Schedule() {}

    /** Every pair of {@code methods} (a full, re-judged tournament). */
    public static List<Question> tournament(
            Map<String, Set<Integer>> methods, List<Gpteval3d.Ensemble> ensembles, Random rng, int maxQuestions) {
        List<String> names = new ArrayList<>(new TreeSet<>(methods.keySet()));
        List<List<String>> pairs = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            for (int j = i + 1; j < names.size(); j++) {
                pairs.add(List.of(names.get(i), names.get(j)));
            }
        }
        return deal(pairs, methods, ensembles, rng, maxQuestions);
    }

    /** {@code newMethod} against each of {@code opponents} (the new-method mode). */
    public static List<Question> newMethod(
            String newMethod,
            Map<String, Set<Integer>> methods,
            List<String> opponents,
            List<Gpteval3d.Ensemble> ensembles,
            Random rng,
            int maxQuestions,
            int firstId) {
        List<List<String>> pairs = new ArrayList<>();
        for (String o : new TreeSet<>(opponents)) {
            pairs.add(List.of(newMethod, o));
        }
        List<Question> q = deal(pairs, methods, ensembles, rng, maxQuestions);
        List<Question> out = new ArrayList<>(q.size());
        for (Question x : q) {
            out.add(new Question(firstId + x.id(), x.m1(), x.m2(), x.promptId(), x.ensemble()));
        }
        return out;
    }

    private static List<Question> deal(
            List<List<String>> pairs,
            Map<String, Set<Integer>> methods,
            List<Gpteval3d.Ensemble> ensembles,
            Random rng,
            int maxQuestions) {
        List<Question> out = new ArrayList<>();
        if (pairs.isEmpty()) {
            return out;
        }
        Map<List<String>, Set<Integer>> used = new HashMap<>();
        List<List<String>> stack = new ArrayList<>();
        for (int e = 0; e < ensembles.size(); e++) {
            for (int slot = 0; slot < ensembles.get(e).numComparisons(); slot++) {
                if (maxQuestions > 0 && out.size() >= maxQuestions) {
                    return out;
                }
                if (stack.isEmpty()) {
                    stack.addAll(pairs);
                    Collections.shuffle(stack, rng);
                }
                List<String> pair = stack.remove(stack.size() - 1);
                Set<Integer> common = new TreeSet<>(methods.get(pair.get(0)));
                common.retainAll(methods.get(pair.get(1)));
                common.removeAll(used.getOrDefault(pair, Set.of()));
                if (common.isEmpty()) {
                    continue;
                }
                List<Integer> choices = new ArrayList<>(common);
                int prompt = choices.get(rng.nextInt(choices.size()));
                used.computeIfAbsent(pair, k -> new HashSet<>()).add(prompt);
                boolean flip = rng.nextBoolean();
                String left = flip ? pair.get(1) : pair.get(0);
                String right = flip ? pair.get(0) : pair.get(1);
                out.add(new Question(out.size(), left, right, prompt, e));
            }
        }
        return out;
    }

    /** Method → prompt ids, for the schedulers. */
    public static Map<String, Set<Integer>> promptIds(Map<String, MethodAssets> methods) {
        Map<String, Set<Integer>> out = new LinkedHashMap<>();
        methods.forEach((n, m) -> out.put(n, m.promptIds()));
        return out;
    }
}

package dev.vlm3d.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Dockerfile read into stages of instructions: continuation lines joined, comments dropped, global ARG defaults
 * substituted into FROM lines. Enough to check what the images build and run, not a full BuildKit parser.
 */
record Dockerfile(Path path, Map<String, String> globalArgs, List<Stage> stages) {

    record Instruction(String keyword, String arguments) {}

    record Stage(String from, String name, List<Instruction> instructions) {

        List<String> all(String keyword) {
            return instructions.stream()
                    .filter(i -> i.keyword().equals(keyword))
                    .map(Instruction::arguments)
                    .toList();
        }

        String last(String keyword) {
            List<String> matches = all(keyword);
            return matches.isEmpty() ? null : matches.get(matches.size() - 1);
        }

        /** ENV entries in KEY=value form (quotes removed). */
        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            Pattern pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S*)");
            for (String arguments : all("ENV")) {
                Matcher m = pair.matcher(arguments);
                while (m.find()) {
                    env.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
                }
            }
            return env;
        }

        /** ARG defaults declared inside this stage. */
        Map<String, String> args() {
            return Dockerfile.args(all("ARG"));
        }
    }

    static Dockerfile read(Path path) throws IOException {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String raw : Files.readAllLines(path)) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && pending.isEmpty())) {
                continue;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            pending.append(line);
            String joined = pending.toString().strip();
            pending.setLength(0);
            if (joined.isEmpty()) {
                continue;
            }
            int space = joined.indexOf(' ');
            instructions.add(new Instruction(
                    joined.substring(0, space).toUpperCase(),
                    joined.substring(space + 1).strip()));
        }

        List<String> globalArgLines = new ArrayList<>();
        List<Stage> stages = new ArrayList<>();
        for (Instruction instruction : instructions) {
            if (instruction.keyword().equals("FROM")) {
                stages.add(new Stage(instruction.arguments(), null, new ArrayList<>()));
            } else if (stages.isEmpty()) {
                if (instruction.keyword().equals("ARG")) {
                    globalArgLines.add(instruction.arguments());
                }
            } else {
                stages.get(stages.size() - 1).instructions().add(instruction);
            }
        }
        Map<String, String> globalArgs = args(globalArgLines);
        List<Stage> resolved = new ArrayList<>();
        for (Stage stage : stages) {
            String[] parts = substitute(stage.from(), globalArgs).split("\\s+");
            String name = parts.length >= 3 && parts[1].equalsIgnoreCase("AS") ? parts[2] : null;
            resolved.add(new Stage(parts[0], name, stage.instructions()));
        }
        return new Dockerfile(path, globalArgs, resolved);
    }

    Stage stage(String name) {
        return stages.stream()
                .filter(s -> name.equals(s.name()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(path + " has no stage " + name));
    }

    Stage finalStage() {
        return stages.get(stages.size() - 1);
    }

    static String substitute(String text, Map<String, String> args) {
        String result = text;
        for (Map.Entry<String, String> arg : args.entrySet()) {
            result = result.replace("${" + arg.getKey() + "}", arg.getValue())
                    .replace("$" + arg.getKey(), arg.getValue());
        }
        return result;
    }

    private static Map<String, String> args(List<String> lines) {
        Map<String, String> args = new LinkedHashMap<>();
        for (String line : lines) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                args.put(
                        line.substring(0, eq).strip(),
                        line.substring(eq + 1).strip().replaceAll("^\"|\"$", ""));
            }
        }
        return args;
    }
}

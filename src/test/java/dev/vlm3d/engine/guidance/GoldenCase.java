package dev.vlm3d.engine.guidance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** One {@code cases/<name>/} directory of a golden fixture set: its meta.json, inputs and expected tensors. */
final class GoldenCase implements AutoCloseable {

    final Path dir;
    final JsonObject meta;
    final SafetensorsCheckpoint inputs;
    final SafetensorsCheckpoint expected;
    private final List<String> checked = new ArrayList<>();

    GoldenCase(Path dir) {
        this.dir = dir;
        try {
            this.meta = JsonParser.parseString(Files.readString(dir.resolve("meta.json")))
                    .getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.inputs = SafetensorsCheckpoint.open(dir.resolve("inputs.safetensors"));
        this.expected = SafetensorsCheckpoint.open(dir.resolve("expected.safetensors"));
    }

    String kind() {
        return meta.get("kind").getAsString();
    }

    JsonObject params() {
        return meta.getAsJsonObject("params");
    }

    NDArray input(String name, NDManager manager) {
        return inputs.load(name, manager, DataType.FLOAT32);
    }

    boolean hasInput(String name) {
        return inputs.contains(name);
    }

    boolean hasExpected(String name) {
        return expected.contains(name);
    }

    JsonObject tolerance(String name) {
        return meta.getAsJsonObject("expected").getAsJsonObject(name);
    }

    /** Elementwise |actual − expected| ≤ atol + rtol·|expected| with the case's own tolerances. */
    void assertClose(String name, double[] actual) {
        JsonObject tol = tolerance(name);
        double atol = tol.get("atol").getAsDouble();
        double rtol = tol.get("rtol").getAsDouble();
        String dtype = expected.info(name).dtype();
        double[] exp;
        if (dtype.startsWith("I")) {
            exp = Arrays.stream(expected.loadLongs(name)).asDoubleStream().toArray();
        } else if (dtype.equals("F64")) {
            exp = readF64(name);
        } else {
            float[] f = expected.loadFloats(name);
            exp = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                exp[i] = f[i];
            }
        }
        assertEquals(exp.length, actual.length, name + ": element count");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < exp.length; i++) {
            double err = Math.abs(actual[i] - exp[i]);
            double allowed = atol + rtol * Math.abs(exp[i]);
            double ratio = allowed == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : err / allowed;
            if (Double.isNaN(actual[i]) || ratio > worst) {
                worst = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : ratio;
                worstAt = i;
            }
        }
        final int at = worstAt;
        final double w = worst;
        assertTrue(
                w <= 1.0,
                () -> dir.getFileName() + "/" + name + ": worst error " + w + "x tolerance at " + at + " (actual "
                        + actual[at] + ", expected " + exp[at] + ", atol " + atol + ", rtol " + rtol + ")");
        checked.add(name);
    }

    void assertClose(String name, NDArray actual) {
        assertClose(name, actual.toType(DataType.FLOAT64, false).toDoubleArray());
    }

    void assertClose(String name, float[] actual) {
        double[] d = new double[actual.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = actual[i];
        }
        assertClose(name, d);
    }

    private double[] readF64(String name) {
        try (NDManager m = NDManager.newBaseManager()) {
            return expected.load(name, m, DataType.FLOAT64).toDoubleArray();
        }
    }

    /** Every non-diagnostic expected tensor must have been compared. */
    void assertAllPassFailTensorsChecked() {
        for (var e : meta.getAsJsonObject("expected").entrySet()) {
            boolean diagnostic = e.getValue().getAsJsonObject().has("diagnostic")
                    && e.getValue().getAsJsonObject().get("diagnostic").getAsBoolean();
            if (!diagnostic) {
                assertTrue(checked.contains(e.getKey()), dir.getFileName() + ": " + e.getKey() + " was not checked");
            }
        }
    }

    @Override
    public void close() {
        inputs.close();
        expected.close();
    }
}

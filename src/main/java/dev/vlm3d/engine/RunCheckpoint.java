package dev.vlm3d.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.engine.field.Parameter;
import dev.vlm3d.engine.field.ParameterGroup;
import dev.vlm3d.nn.HostArrays;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Binary checkpoint of a {@link Vlm3dRun}: magic, format version, seed, step, then named float32 tensors
 * (parameters, their two Adam moments), per-group optimizer step counts, the occupancy grid, and the step history
 * (for curves). Randomness needs no state: it is a function of (seed, step).
 */
final class RunCheckpoint {

    private static final long MAGIC = 0x564c4d33445f434bL; // "VLM3D_CK"
    /** 2 added each step's memory figure and skip flags; version 1 checkpoints still load. */
    private static final int VERSION = 2;

    private static final int CHUNK_FLOATS = 1 << 20;

    private RunCheckpoint() {}

    static void write(Vlm3dRun run, OutputStream stream) throws IOException {
        DataOutputStream out = new DataOutputStream(stream);
        out.writeLong(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(run.config().seed());
        out.writeInt(run.currentStep());
        AdamW opt = run.optimizer();
        out.writeInt(run.parameters().size() * 3);
        for (int i = 0; i < run.parameters().size(); i++) {
            Parameter p = run.parameters().get(i);
            writeTensor(out, p.name(), p.array());
            writeTensor(out, p.name() + "#m", opt.firstMoment(i));
            writeTensor(out, p.name() + "#v", opt.secondMoment(i));
        }
        out.writeInt(ParameterGroup.values().length);
        for (ParameterGroup g : ParameterGroup.values()) {
            out.writeUTF(g.name());
            out.writeInt(opt.stepCount(g));
        }
        float[] occ = run.occupancyGrid().occupancyValues();
        out.writeInt(occ.length);
        writeFloats(out, occ);
        out.writeInt(run.history().size());
        for (StepReport r : run.history()) {
            out.writeInt(r.step());
            out.writeInt(r.maxSteps());
            for (double d : new double[] {
                r.totalLoss(), r.guidanceLoss(), r.reward(), r.orientationLoss(), r.lambdaVlm(), r.lambdaOrient()
            }) {
                out.writeDouble(d);
            }
            out.writeInt(r.resolution());
            out.writeInt(r.batchSize());
            out.writeLong(r.samples());
            StepTiming t = r.timing();
            for (double d : new double[] {
                t.renderMs(), t.guidanceMs(), t.rewardMs(), t.backwardMs(), t.optimizerMs(), t.totalMs()
            }) {
                out.writeDouble(d);
            }
            out.writeInt(r.stats().size());
            for (Map.Entry<String, Double> e : r.stats().entrySet()) {
                out.writeUTF(e.getKey());
                out.writeDouble(e.getValue());
            }
            out.writeLong(r.memory().bytes());
            out.writeUTF(r.memory().source().name());
            out.writeBoolean(r.skipped());
            out.writeInt(r.skippedSteps());
        }
        out.flush();
    }

    static void read(Vlm3dRun run, InputStream stream) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        if (in.readLong() != MAGIC) {
            throw new IOException("not a VLM3D run checkpoint");
        }
        int version = in.readInt();
        if (version != VERSION && version != 1) {
            throw new IOException("unsupported checkpoint version " + version);
        }
        long seed = in.readLong();
        if (seed != run.config().seed()) {
            throw new IOException("checkpoint seed " + seed + " differs from the run's seed "
                    + run.config().seed());
        }
        int step = in.readInt();
        Map<String, NDArray> targets = new LinkedHashMap<>();
        AdamW opt = run.optimizer();
        for (int i = 0; i < run.parameters().size(); i++) {
            Parameter p = run.parameters().get(i);
            targets.put(p.name(), p.array());
            targets.put(p.name() + "#m", opt.firstMoment(i));
            targets.put(p.name() + "#v", opt.secondMoment(i));
        }
        int count = in.readInt();
        if (count != targets.size()) {
            throw new IOException("checkpoint has " + count + " tensors, the run " + targets.size());
        }
        for (int i = 0; i < count; i++) {
            String name = in.readUTF();
            NDArray target = targets.get(name);
            if (target == null) {
                throw new IOException("unknown tensor " + name);
            }
            int rank = in.readInt();
            long[] dims = new long[rank];
            for (int d = 0; d < rank; d++) {
                dims[d] = in.readLong();
            }
            if (!new Shape(dims).equals(target.getShape())) {
                throw new IOException(name + ": shape " + new Shape(dims) + " vs " + target.getShape());
            }
            float[] values = readFloats(in, (int) target.getShape().size());
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            try (NDScope scope = new NDScope()) {
                NDArray src = HostArrays.create(target.getManager(), values, target.getShape())
                        .toType(target.getDataType(), false);
                // in-place copy keeps the leaf (and its requires-grad flag) the optimizer holds
                target.set(new ai.djl.ndarray.index.NDIndex("..."), src);
            } finally {
                JniUtils.setGradMode(grad);
            }
        }
        int groups = in.readInt();
        for (int i = 0; i < groups; i++) {
            opt.setStepCount(ParameterGroup.valueOf(in.readUTF()), in.readInt());
        }
        int cells = in.readInt();
        run.occupancyGrid().restore(readFloats(in, cells));
        int reports = in.readInt();
        run.mutableHistory().clear();
        for (int i = 0; i < reports; i++) {
            int s = in.readInt();
            int max = in.readInt();
            double[] v = new double[6];
            for (int k = 0; k < 6; k++) {
                v[k] = in.readDouble();
            }
            int res = in.readInt();
            int batch = in.readInt();
            long samples = in.readLong();
            double[] t = new double[6];
            for (int k = 0; k < 6; k++) {
                t[k] = in.readDouble();
            }
            int n = in.readInt();
            Map<String, Double> stats = new LinkedHashMap<>();
            for (int k = 0; k < n; k++) {
                stats.put(in.readUTF(), in.readDouble());
            }
            StepMemory memory = StepMemory.UNKNOWN;
            boolean skipped = false;
            int skippedSteps = 0;
            if (version >= 2) {
                long bytes = in.readLong();
                memory = new StepMemory(bytes, StepMemory.Source.valueOf(in.readUTF()));
                skipped = in.readBoolean();
                skippedSteps = in.readInt();
            }
            run.mutableHistory()
                    .add(new StepReport(
                            s,
                            max,
                            v[0],
                            v[1],
                            v[2],
                            v[3],
                            v[4],
                            v[5],
                            res,
                            batch,
                            samples,
                            new StepTiming(t[0], t[1], t[2], t[3], t[4], t[5]),
                            Map.copyOf(stats),
                            memory,
                            skipped,
                            skippedSteps));
        }
        run.setCurrentStep(step);
        run.restoreSkipCounters();
    }

    private static void writeTensor(DataOutputStream out, String name, NDArray array) throws IOException {
        out.writeUTF(name);
        long[] dims = array.getShape().getShape();
        out.writeInt(dims.length);
        for (long d : dims) {
            out.writeLong(d);
        }
        try (NDScope scope = new NDScope()) {
            NDArray f = array.getDataType() == DataType.FLOAT32 ? array : array.toType(DataType.FLOAT32, false);
            writeFloats(out, f.toFloatArray());
        }
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        ByteBuffer buf =
                ByteBuffer.allocate(Math.min(values.length, CHUNK_FLOATS) * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int start = 0; start < values.length; start += CHUNK_FLOATS) {
            int end = Math.min(values.length, start + CHUNK_FLOATS);
            buf.clear();
            buf.asFloatBuffer().put(values, start, end - start);
            out.write(buf.array(), 0, (end - start) * 4);
        }
    }

    private static float[] readFloats(DataInputStream in, int count) throws IOException {
        float[] values = new float[count];
        byte[] bytes = new byte[Math.min(count, CHUNK_FLOATS) * 4];
        for (int start = 0; start < count; start += CHUNK_FLOATS) {
            int n = Math.min(count - start, CHUNK_FLOATS);
            in.readFully(bytes, 0, n * 4);
            ByteBuffer.wrap(bytes, 0, n * 4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer()
                    .get(values, start, n);
        }
        return values;
    }
}

package dev.vlm3d.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Non-causal attention restricted to contiguous segments of a packed sequence (Qwen2.5-VL's windows and per-image
 * blocks). Only the per-segment score blocks are formed, never an N×N matrix with a mask: segments of equal length are
 * gathered into one batch, attended, and the rows put back in sequence order with one inverse gather.
 */
public final class BlockDiagonalAttention {

    /** A contiguous run [start, start+length) of the packed sequence. */
    public record Segment(int start, int length) {}

    /**
     * Precomputed gather plan for one segmentation; reusable across layers. Close it only after the backward pass:
     * autograd keeps its index arrays, whose host memory DJL shares zero-copy.
     */
    public static final class Plan implements AutoCloseable {
        private final List<int[]> groups = new ArrayList<>();
        private final List<NDArray> groupIndices = new ArrayList<>();
        private final NDArray inverse;
        private final boolean identity;

        private Plan(List<Segment> segments, int total, NDManager manager) {
            Map<Integer, List<Segment>> byLength = new TreeMap<>();
            int covered = 0;
            for (Segment s : segments) {
                if (s.length() > 0) {
                    byLength.computeIfAbsent(s.length(), k -> new ArrayList<>()).add(s);
                    covered += s.length();
                }
            }
            if (covered != total) {
                throw new IllegalArgumentException("segments cover " + covered + " of " + total + " rows");
            }
            long[] order = new long[total];
            int pos = 0;
            for (Map.Entry<Integer, List<Segment>> e : byLength.entrySet()) {
                int len = e.getKey();
                List<Segment> segs = e.getValue();
                long[] idx = new long[len * segs.size()];
                int k = 0;
                for (Segment s : segs) {
                    for (int r = 0; r < len; r++) {
                        idx[k++] = s.start() + r;
                    }
                }
                System.arraycopy(idx, 0, order, pos, idx.length);
                pos += idx.length;
                groups.add(new int[] {segs.size(), len});
                groupIndices.add(HostArrays.create(manager, idx));
            }
            boolean inOrder = true;
            long[] inv = new long[total];
            for (int i = 0; i < total; i++) {
                inv[(int) order[i]] = i;
                inOrder &= order[i] == i;
            }
            identity = inOrder;
            inverse = HostArrays.create(manager, inv);
        }

        @Override
        public void close() {
            groupIndices.forEach(NDArray::close);
            inverse.close();
        }
    }

    private BlockDiagonalAttention() {}

    public static Plan plan(List<Segment> segments, int total, NDManager manager) {
        return new Plan(segments, total, manager);
    }

    /**
     * @param q, k, v [N, H, d]
     * @return [N, H, d]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, Plan plan, double scale) {
        long heads = q.getShape().get(1);
        long dim = q.getShape().get(2);
        NDList outputs = new NDList();
        for (int g = 0; g < plan.groups.size(); g++) {
            int count = plan.groups.get(g)[0];
            int len = plan.groups.get(g)[1];
            NDArray qg = gatherGroup(q, plan, g, count, len, heads, dim);
            NDArray kg = gatherGroup(k, plan, g, count, len, heads, dim);
            NDArray vg = gatherGroup(v, plan, g, count, len, heads, dim);
            NDArray scores = qg.matMul(kg.swapAxes(-1, -2));
            scores = scores.mul(Scalars.like(scores, scale));
            NDArray o = scores.softmax(-1).matMul(vg); // [count, H, len, d]
            outputs.add(o.transpose(0, 2, 1, 3).reshape((long) count * len, heads, dim));
        }
        NDArray packed = outputs.size() == 1 ? outputs.get(0) : NDArrays.concat(outputs, 0);
        return plan.identity ? packed : packed.get(plan.inverse);
    }

    private static NDArray gatherGroup(NDArray x, Plan plan, int g, int count, int len, long heads, long dim) {
        NDArray rows = plan.identity && plan.groups.size() == 1 ? x : x.get(plan.groupIndices.get(g));
        return rows.reshape(count, len, heads, dim).transpose(0, 2, 1, 3);
    }
}

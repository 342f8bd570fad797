package dev.vlm3d.engine.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.engine.field.EnvironmentBackground;
import dev.vlm3d.engine.field.NerfField;
import dev.vlm3d.engine.render.Camera;
import dev.vlm3d.engine.render.CameraBatch;
import dev.vlm3d.engine.render.OccupancyGrid;
import dev.vlm3d.engine.render.RayBatch;
import dev.vlm3d.engine.render.RenderOptions;
import dev.vlm3d.engine.render.RenderOutput;
import dev.vlm3d.engine.render.VolumeRenderer;
import java.awt.image.BufferedImage;
import java.util.List;

/** Evaluation renders (no gradient, rays in chunks) to RGB and normal-map images. */
public final class ViewRenderer {

    private final NerfField field;
    private final EnvironmentBackground background;
    private final OccupancyGrid grid;
    private final VolumeRenderer renderer;
    private final NDManager manager;

    public ViewRenderer(
            NerfField field,
            EnvironmentBackground background,
            OccupancyGrid grid,
            VolumeRenderer renderer,
            NDManager manager) {
        this.field = field;
        this.background = background;
        this.grid = grid;
        this.renderer = renderer;
        this.manager = manager;
    }

    /** @return {rgb, normal} images; the normal map shows (n + 1)/2 over white by opacity, in world axes */
    public BufferedImage[] render(Camera camera, int size) {
        int rays = size * size;
        float[] rgb = new float[rays * 3];
        float[] normal = new float[rays * 3];
        float[] opacity = new float[rays];
        int chunk = renderer.config().chunkRays(manager.getDevice());
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            RayBatch all = RayBatch.of(new CameraBatch(List.of(camera), size, size), manager, field.dtype(), false);
            for (int start = 0; start < rays; start += chunk) {
                int end = Math.min(rays, start + chunk);
                try (NDScope inner = new NDScope()) {
                    RenderOutput out = renderer.render(
                            field,
                            background,
                            grid,
                            all.slice(start, end),
                            new int[] {1, 1, end - start},
                            RenderOptions.evaluation(true));
                    copy(out.rgb(), rgb, start * 3);
                    copy(out.normal(), normal, start * 3);
                    copy(out.opacity(), opacity, start);
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        BufferedImage rgbImage = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        BufferedImage normalImage = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int p = 0; p < rays; p++) {
            int x = p % size;
            int y = p / size;
            rgbImage.setRGB(x, y, pack(rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]));
            float a = opacity[p];
            float[] n = new float[3];
            for (int d = 0; d < 3; d++) {
                // Σw·n has length ≈ opacity; divide to get a unit-ish normal, then blend over white
                float unit = a > 1e-6f ? normal[p * 3 + d] / a : 0f;
                n[d] = (unit + 1f) / 2f * a + (1f - a);
            }
            normalImage.setRGB(x, y, pack(n[0], n[1], n[2]));
        }
        return new BufferedImage[] {rgbImage, normalImage};
    }

    private static void copy(NDArray array, float[] target, int offset) {
        float[] values = array.toType(DataType.FLOAT32, false).toFloatArray();
        System.arraycopy(values, 0, target, offset, values.length);
    }

    static int pack(float r, float g, float b) {
        return (channel(r) << 16) | (channel(g) << 8) | channel(b);
    }

    private static int channel(float v) {
        return Math.round(Math.min(1f, Math.max(0f, v)) * 255f);
    }
}

package dev.vlm3d.engine.render;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vlm3d.nn.HostArrays;
import java.util.List;

/** The views of one step (group-major order) and their common square-pixel image size. */
public record CameraBatch(List<Camera> views, int height, int width) {

    public CameraBatch {
        views = List.copyOf(views);
    }

    public int size() {
        return views.size();
    }

    /** [B, 4, 4] camera-to-world matrices. */
    public NDArray c2w(NDManager manager) {
        float[] data = new float[views.size() * 16];
        for (int b = 0; b < views.size(); b++) {
            for (int i = 0; i < 16; i++) {
                data[b * 16 + i] = (float) views.get(b).c2w()[i];
            }
        }
        return HostArrays.create(manager, data, new Shape(views.size(), 4, 4));
    }

    public float[] elevations() {
        float[] out = new float[views.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) views.get(i).elevationDeg();
        }
        return out;
    }

    public float[] azimuths() {
        float[] out = new float[views.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) views.get(i).azimuthDeg();
        }
        return out;
    }

    public float[] distances() {
        float[] out = new float[views.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) views.get(i).distance();
        }
        return out;
    }

    /**
     * Rays through pixel centres, image row 0 at the top; directions normalized (threestudio get_rays).
     *
     * @return {origins [B·H·W, 3], directions [B·H·W, 3], light positions per ray [B·H·W, 3]} in {@code dtype}
     */
    public NDArray[] rays(NDManager manager, DataType dtype) {
        int n = views.size() * height * width;
        float[] o = new float[n * 3];
        float[] d = new float[n * 3];
        float[] l = new float[n * 3];
        int r = 0;
        for (Camera cam : views) {
            double f = 0.5 * height / Math.tan(Math.toRadians(cam.fovyDeg()) / 2);
            double[] m = cam.c2w();
            for (int j = 0; j < height; j++) {
                for (int i = 0; i < width; i++) {
                    double cx = (i + 0.5 - width / 2.0) / f;
                    double cy = -(j + 0.5 - height / 2.0) / f;
                    double cz = -1;
                    double wx = m[0] * cx + m[1] * cy + m[2] * cz;
                    double wy = m[4] * cx + m[5] * cy + m[6] * cz;
                    double wz = m[8] * cx + m[9] * cy + m[10] * cz;
                    double len = Math.sqrt(wx * wx + wy * wy + wz * wz);
                    o[r * 3] = (float) m[3];
                    o[r * 3 + 1] = (float) m[7];
                    o[r * 3 + 2] = (float) m[11];
                    d[r * 3] = (float) (wx / len);
                    d[r * 3 + 1] = (float) (wy / len);
                    d[r * 3 + 2] = (float) (wz / len);
                    l[r * 3] = (float) cam.lightPosition()[0];
                    l[r * 3 + 1] = (float) cam.lightPosition()[1];
                    l[r * 3 + 2] = (float) cam.lightPosition()[2];
                    r++;
                }
            }
        }
        Shape shape = new Shape(n, 3);
        return new NDArray[] {
            HostArrays.create(manager, o, shape).toType(dtype, false),
            HostArrays.create(manager, d, shape).toType(dtype, false),
            HostArrays.create(manager, l, shape).toType(dtype, false)
        };
    }
}

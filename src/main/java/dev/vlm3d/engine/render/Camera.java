package dev.vlm3d.engine.render;

/**
 * One pinhole view in threestudio conventions: z-up world, OpenGL camera axes (+x right, +y up, looking down −z).
 *
 * @param c2w           camera-to-world 4×4, row-major: rotation columns [right, up, −lookat], translation = position
 * @param fovyDeg       vertical field of view
 * @param elevationDeg  elevation above the xy plane
 * @param azimuthDeg    azimuth from +x towards +y
 * @param distance      distance from the origin
 * @param lightPosition point light position (world)
 */
public record Camera(
        double[] c2w, double fovyDeg, double elevationDeg, double azimuthDeg, double distance, double[] lightPosition) {

    /** The camera on a sphere around the origin looking at it (threestudio's c2w construction, up = +z). */
    public static Camera orbit(
            double elevationDeg, double azimuthDeg, double distance, double fovyDeg, double[] lightPosition) {
        double e = Math.toRadians(elevationDeg);
        double a = Math.toRadians(azimuthDeg);
        double[] p = {distance * Math.cos(e) * Math.cos(a), distance * Math.cos(e) * Math.sin(a), distance * Math.sin(e)
        };
        double[] lookat = normalize(new double[] {-p[0], -p[1], -p[2]});
        double[] right = normalize(cross(lookat, new double[] {0, 0, 1}));
        double[] up = normalize(cross(right, lookat));
        double[] m = {
            right[0],
            up[0],
            -lookat[0],
            p[0],
            right[1],
            up[1],
            -lookat[1],
            p[1],
            right[2],
            up[2],
            -lookat[2],
            p[2],
            0,
            0,
            0,
            1
        };
        return new Camera(
                m, fovyDeg, elevationDeg, azimuthDeg, distance, lightPosition == null ? p.clone() : lightPosition);
    }

    public double[] position() {
        return new double[] {c2w[3], c2w[7], c2w[11]};
    }

    static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    static double[] normalize(double[] v) {
        double n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        if (n < 1e-12) {
            // looking straight down the z axis: any horizontal right vector is valid
            return new double[] {0, 1, 0};
        }
        return new double[] {v[0] / n, v[1] / n, v[2] / n};
    }
}

package dev.vlm3d.engine.render;

import java.util.List;

/**
 * The MVDream random multi-view camera data module (threestudio conventions, z-up world, angles in degrees).
 *
 * @param resolutions        square render sizes per phase (paper: [64, 256])
 * @param batchSizes         views per step per phase, multiples of {@code viewsPerGroup} (paper: [8, 4])
 * @param milestones         steps at which the next phase starts (paper: [5000])
 * @param viewsPerGroup      views 90°·4/n apart sharing elevation, distance, fovy and light (paper: 4)
 * @param distanceMin        camera distance range; relative to the FOV when {@code relativeRadius} (paper 0.8..1.0)
 * @param distanceMax        see distanceMin
 * @param relativeRadius     distance = U(min, max) / tan(fovy/2) (threestudio default true)
 * @param fovyMinDeg         vertical FOV range (paper: 15..60)
 * @param fovyMaxDeg         see fovyMinDeg
 * @param elevationMinDeg    elevation range (paper: 0..30)
 * @param elevationMaxDeg    see elevationMinDeg
 * @param lightDistanceMin   light distance range (paper: 0.8..1.5)
 * @param lightDistanceMax   see lightDistanceMin
 * @param lightPerturb       std of the light direction perturbation (paper: 1.0)
 * @param evalElevationDeg   evaluation elevation (15)
 * @param evalDistance       evaluation camera distance, absolute (3.0)
 * @param evalFovyDeg        evaluation FOV (40)
 */
public record CameraConfig(
        List<Integer> resolutions,
        List<Integer> batchSizes,
        List<Integer> milestones,
        int viewsPerGroup,
        float distanceMin,
        float distanceMax,
        boolean relativeRadius,
        float fovyMinDeg,
        float fovyMaxDeg,
        float elevationMinDeg,
        float elevationMaxDeg,
        float lightDistanceMin,
        float lightDistanceMax,
        float lightPerturb,
        float evalElevationDeg,
        float evalDistance,
        float evalFovyDeg) {

    public CameraConfig {
        resolutions = List.copyOf(resolutions);
        batchSizes = List.copyOf(batchSizes);
        milestones = List.copyOf(milestones);
        if (resolutions.size() != milestones.size() + 1 || batchSizes.size() != resolutions.size()) {
            throw new IllegalArgumentException("need one resolution and batch size per phase (milestones + 1)");
        }
        for (int b : batchSizes) {
            if (b % viewsPerGroup != 0) {
                throw new IllegalArgumentException("batch size " + b + " is not a multiple of " + viewsPerGroup);
            }
        }
    }

    public static CameraConfig paper() {
        return new CameraConfig(
                List.of(64, 256),
                List.of(8, 4),
                List.of(5000),
                4,
                0.8f,
                1.0f,
                true,
                15f,
                60f,
                0f,
                30f,
                0.8f,
                1.5f,
                1.0f,
                15f,
                3.0f,
                40f);
    }

    /** The same sampler with other training phases (render sizes, views per step, milestones). */
    public CameraConfig withPhases(
            List<Integer> newResolutions, List<Integer> newBatchSizes, List<Integer> newMilestones) {
        return new CameraConfig(
                newResolutions,
                newBatchSizes,
                newMilestones,
                viewsPerGroup,
                distanceMin,
                distanceMax,
                relativeRadius,
                fovyMinDeg,
                fovyMaxDeg,
                elevationMinDeg,
                elevationMaxDeg,
                lightDistanceMin,
                lightDistanceMax,
                lightPerturb,
                evalElevationDeg,
                evalDistance,
                evalFovyDeg);
    }

    private int phase(int step) {
        int p = 0;
        while (p < milestones.size() && step >= milestones.get(p)) {
            p++;
        }
        return p;
    }

    public int resolutionAt(int step) {
        return resolutions.get(phase(step));
    }

    public int batchSizeAt(int step) {
        return batchSizes.get(phase(step));
    }
}

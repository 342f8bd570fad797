package dev.vlm3d.engine;

import dev.vlm3d.engine.render.CameraConfig;
import dev.vlm3d.engine.render.RenderConfig;
import java.util.List;

/** Small configurations for the engine tests. */
final class TestConfigs {

    static final float FOVY = 40f;

    private TestConfigs() {}

    /** The tiny run config (random backgrounds, shading after half the steps) at another size and sample count. */
    static RunConfig small(int steps, int size, int samples) {
        RunConfig base = RunConfig.tiny(steps);
        CameraConfig c = base.camera();
        CameraConfig camera = new CameraConfig(
                List.of(size),
                List.of(4),
                List.of(),
                4,
                c.distanceMin(),
                c.distanceMax(),
                true,
                FOVY,
                FOVY,
                c.elevationMinDeg(),
                c.elevationMaxDeg(),
                c.lightDistanceMin(),
                c.lightDistanceMax(),
                c.lightPerturb(),
                c.evalElevationDeg(),
                c.evalDistance(),
                c.evalFovyDeg());
        RenderConfig r = base.render();
        RenderConfig render = new RenderConfig(
                samples,
                r.occupancyResolution(),
                r.occupancyEvery(),
                r.occupancyDecay(),
                r.occupancyThreshold(),
                r.earlyStopEps(),
                r.backgroundRandomProb(),
                r.ambientOnlySteps(),
                r.albedoProb(),
                r.texturelessProb(),
                r.chunkRays());
        return base.withCamera(camera).withRender(render);
    }

    /** Albedo-only rendering, fixed FOV (the sphere double needs it), no random background. */
    static RunConfig reconstruction(int steps, int size) {
        RunConfig base = RunConfig.tiny(steps);
        CameraConfig c = base.camera();
        CameraConfig camera = new CameraConfig(
                List.of(size),
                List.of(4),
                List.of(),
                4,
                c.distanceMin(),
                c.distanceMax(),
                true,
                FOVY,
                FOVY,
                -30f,
                60f,
                c.lightDistanceMin(),
                c.lightDistanceMax(),
                c.lightPerturb(),
                c.evalElevationDeg(),
                c.evalDistance(),
                c.evalFovyDeg());
        RenderConfig r = base.render();
        RenderConfig render = new RenderConfig(
                r.samplesPerRay(),
                r.occupancyResolution(),
                r.occupancyEvery(),
                r.occupancyDecay(),
                r.occupancyThreshold(),
                r.earlyStopEps(),
                0f,
                Integer.MAX_VALUE,
                r.albedoProb(),
                r.texturelessProb(),
                r.chunkRays());
        double orient = Double.parseDouble(System.getProperty("test.orient", "0"));
        LossConfig loss = new LossConfig(1.0, new Schedule(0, orient, orient, 0), Schedule.constant(0), 0);
        // ten times the paper's learning rates: a few hundred CPU steps instead of thousands
        OptimizerConfig o = base.optimizer();
        OptimizerConfig fast = new OptimizerConfig(
                o.encodingLr() * 5,
                o.densityLr() * 10,
                o.featureLr() * 10,
                o.backgroundLr() * 10,
                o.beta1(),
                o.beta2(),
                o.eps(),
                o.weightDecay());
        return base.withCamera(camera).withRender(render).withLoss(loss).withOptimizer(fast);
    }
}

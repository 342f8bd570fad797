package dev.vlm3d.engine.guidance;

import ai.djl.ndarray.NDArray;

/**
 * What a guidance term sees of one optimization step.
 *
 * @param rgb         renders [B, H, W, 3] in [0, 1], float32, part of the autograd graph (threestudio's comp_rgb)
 * @param c2w         camera-to-world matrices [B, 4, 4] (threestudio/OpenGL convention), for camera conditioning
 * @param elevationDeg per-view elevation in degrees
 * @param azimuthDeg  per-view azimuth in degrees
 * @param cameraDistance per-view camera distance
 * @param globalStep  current step (0-based), drives timestep annealing
 * @param maxSteps    total steps of the run
 */
public record GuidanceInput(
        NDArray rgb,
        NDArray c2w,
        float[] elevationDeg,
        float[] azimuthDeg,
        float[] cameraDistance,
        int globalStep,
        int maxSteps) {}

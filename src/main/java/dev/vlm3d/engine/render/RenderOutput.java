package dev.vlm3d.engine.render;

import ai.djl.ndarray.NDArray;

/**
 * Composited outputs of one batch of B views at H×W.
 *
 * @param rgb             [B, H, W, 3] final colour (foreground + background·(1 − opacity))
 * @param opacity         [B, H, W, 1]
 * @param depth           [B, H, W, 1] Σ w·t (not divided by opacity, as nerfacc)
 * @param normal          [B, H, W, 3] Σ w·n, or null when normals were not requested
 * @param orientationLoss scalar Σ stopgrad(w)·max(0, n·d)² / #rays with opacity > 0, or null without normals
 * @param samples         number of samples evaluated (after pruning)
 */
public record RenderOutput(
        NDArray rgb, NDArray opacity, NDArray depth, NDArray normal, NDArray orientationLoss, long samples) {}

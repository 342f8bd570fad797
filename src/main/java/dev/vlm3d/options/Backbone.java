package dev.vlm3d.options;

import java.util.Locale;

/** The diffusion model behind the SDS term. */
public enum Backbone {
    /** MVDream multi-view UNet (4 views per group, camera-conditioned, x0-reconstruction SDS): the paper. */
    MVDREAM,
    /** Stable Diffusion 2.1-base, single view, DreamFusion SDS (threestudio's dreamfusion-sd setting). */
    SD21;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

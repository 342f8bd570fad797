package dev.vlm3d.evaluation;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The image a GPTEval3D question shows the judge: per method the selected views in a grid of √n columns, the RGB
 * grid above the normal grid (or one of them, per ensemble), and the two methods side by side, left = "object 1".
 * Views are used at their stored size; a view of another size is scaled to the first one's (the reference would
 * fail to concatenate them).
 */
public final class Composites {

    private Composites() {}

    /** One method's half of the composite for an ensemble. */
    public static BufferedImage methodImage(Path assetFolder, Gpteval3d.Ensemble e) throws IOException {
        int available = BenchmarkViews.countViews(assetFolder);
        List<Integer> views = BenchmarkViews.selectedViews(available, e.numViews());
        int cols = (int) Math.round(Math.sqrt(e.numViews()));
        int rows = views.size() / cols;
        BufferedImage probe = ImageIO.read(
                assetFolder.resolve(BenchmarkViews.rgbName(views.get(0))).toFile());
        int w = probe.getWidth();
        int h = probe.getHeight();
        int blocks = (e.rgb() ? 1 : 0) + (e.normal() ? 1 : 0);
        BufferedImage out = new BufferedImage(cols * w, blocks * rows * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        int block = 0;
        for (boolean normal : new boolean[] {false, true}) {
            if (normal ? !e.normal() : !e.rgb()) {
                continue;
            }
            for (int k = 0; k < views.size(); k++) {
                String name = normal ? BenchmarkViews.normalName(views.get(k)) : BenchmarkViews.rgbName(views.get(k));
                BufferedImage view = ImageIO.read(assetFolder.resolve(name).toFile());
                if (view == null) {
                    throw new IOException(assetFolder.resolve(name) + " is not a readable image");
                }
                int x = (k % cols) * w;
                int y = (block * rows + k / cols) * h;
                g.drawImage(view, x, y, w, h, null);
            }
            block++;
        }
        g.dispose();
        return out;
    }

    /** left | right, at the height of the taller (the other padded with black, which never happens in practice). */
    public static BufferedImage sideBySide(BufferedImage left, BufferedImage right) {
        BufferedImage out = new BufferedImage(
                left.getWidth() + right.getWidth(),
                Math.max(left.getHeight(), right.getHeight()),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(left, 0, 0, null);
        g.drawImage(right, left.getWidth(), 0, null);
        g.dispose();
        return out;
    }
}

package dev.vlm3d.models.qwen25vl;

import dev.vlm3d.nn.BlockDiagonalAttention.Segment;
import java.util.ArrayList;
import java.util.List;

/**
 * Host-side layout of the vision tower for a list of image grids: the merged-unit permutation into window order, the
 * window segments (windowed blocks) and the per-image segments (full-attention blocks), all in window order. Windows
 * tile each image's merged grid from the top-left corner, row-major, the last row/column possibly partial; windows
 * never span two images, and empty windows do not exist here (HF pads and then drops them).
 */
public record VisionWindows(int[] windowIndex, List<Segment> windowSegments, List<Segment> imageSegments) {

    public static VisionWindows of(int[][] gridThw, int mergeSize, int windowUnits) {
        int unitsPerToken = mergeSize * mergeSize;
        List<Integer> index = new ArrayList<>();
        List<Segment> windows = new ArrayList<>();
        List<Segment> images = new ArrayList<>();
        int unitOffset = 0;
        int tokenPos = 0;
        for (int[] g : gridThw) {
            int lh = g[1] / mergeSize;
            int lw = g[2] / mergeSize;
            for (int t = 0; t < g[0]; t++) {
                int frameStart = tokenPos;
                for (int wy = 0; wy < lh; wy += windowUnits) {
                    for (int wx = 0; wx < lw; wx += windowUnits) {
                        int units = 0;
                        for (int y = wy; y < Math.min(wy + windowUnits, lh); y++) {
                            for (int x = wx; x < Math.min(wx + windowUnits, lw); x++) {
                                index.add(unitOffset + y * lw + x);
                                units++;
                            }
                        }
                        windows.add(new Segment(tokenPos, units * unitsPerToken));
                        tokenPos += units * unitsPerToken;
                    }
                }
                images.add(new Segment(frameStart, tokenPos - frameStart));
                unitOffset += lh * lw;
            }
        }
        return new VisionWindows(index.stream().mapToInt(Integer::intValue).toArray(), windows, images);
    }

    /** HF's cu_window_seqlens after dropping empty windows: [0, end of window 0, ...]. */
    public int[] cumulativeWindowLengths() {
        int[] cu = new int[windowSegments.size() + 1];
        for (int i = 0; i < windowSegments.size(); i++) {
            cu[i + 1] = cu[i] + windowSegments.get(i).length();
        }
        return cu;
    }

    /** HF's cu_seqlens of the full-attention blocks. */
    public int[] cumulativeImageLengths() {
        int[] cu = new int[imageSegments.size() + 1];
        for (int i = 0; i < imageSegments.size(); i++) {
            cu[i + 1] = cu[i] + imageSegments.get(i).length();
        }
        return cu;
    }
}

package dev.vlm3d.evaluation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.models.qwen25vl.MropePositions;
import dev.vlm3d.models.qwen25vl.QwenVlImageProcessor;
import dev.vlm3d.models.qwen25vl.QwenVlModel;
import dev.vlm3d.models.qwen25vl.QwenVlTokenizer;
import dev.vlm3d.nn.HostArrays;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The local judge: Qwen2.5-VL through our own model code, without gradients. The user turn is what the benchmark
 * sends GPT-4V (instruction + suffix, then the composite); instead of free generation the answer is read from the
 * next-token logits of the option tokens "1", "2", "3", one criterion at a time, with the assistant turn prefilled
 * in the instruction's own output format: "Final answer:\n", then the options already chosen separated by spaces
 * (the reward reads "Yes"/"No" the same way, dev.vlm3d.engine.reward.QwenVlReward). The vision tower runs once per
 * question; the language model once per criterion. See docs/evaluation.md for why and what it changes.
 */
public final class QwenJudge implements Judge {

    /** The assistant prefix before the first option; the example output of every instruction ends this way. */
    static final String ANSWER_PREFIX = "Final answer:\n";

    private final QwenVlModel model;
    private final QwenVlImageProcessor processor;
    private final String label;
    private final long[] optionIds;
    private final boolean owned;

    /**
     * @param maxPixels bound on the composite's pixels after smart_resize (≤ 0: the folder's preprocessor_config)
     * @param owned     close the model with the judge
     */
    public QwenJudge(QwenVlModel model, long maxPixels, String label, boolean owned) {
        this.model = model;
        this.processor = maxPixels > 0 ? model.processor().withPixelBounds(3136, maxPixels) : model.processor();
        this.label = label;
        this.owned = owned;
        QwenVlTokenizer t = model.tokenizer();
        this.optionIds = new long[] {t.singleTokenId("1"), t.singleTokenId("2"), t.singleTokenId("3")};
    }

    @Override
    public List<Answer> judge(BufferedImage composite, String userText, int criteria) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = NDManager.newBaseManager(model.device())) {
            NDArray image = toArray(composite, m).toType(model.precision().activations(), false);
            QwenVlImageProcessor.Processed p = processor.process(List.of(image));
            int merge = model.config().vision().spatialMergeSize();
            long[] prompt = model.tokenizer()
                    .promptIds(
                            null,
                            List.of(QwenVlTokenizer.Content.text(userText), QwenVlTokenizer.Content.image()),
                            p.imageTokens(merge));
            NDArray imageEmbeds = model.vision().forward(p.pixelValues(), p.gridThw(), null);
            long pad = model.tokenizer().imagePadId();
            List<Answer> answers = new ArrayList<>(criteria);
            StringBuilder prefix = new StringBuilder(ANSWER_PREFIX);
            for (int c = 0; c < criteria; c++) {
                long[] ids = concat(prompt, model.tokenizer().encode(prefix.toString()));
                long[][] positions = MropePositions.of(ids, pad, p.gridThw(), merge);
                NDArray embeds = model.text().spliceImages(ids, pad, imageEmbeds);
                double[] logits = model.text()
                        .lastLogits(embeds, positions, null)
                        .toType(DataType.FLOAT64, false)
                        .toDoubleArray();
                Answer a = answer(logits, optionIds);
                answers.add(a);
                prefix.append(a.choice()).append(' ');
            }
            return answers;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Softmax over the three option logits, argmax (ties go to the lower option), and their full-softmax mass. */
    static Answer answer(double[] logits, long[] optionIds) {
        double max = Double.NEGATIVE_INFINITY;
        for (double z : logits) {
            max = Math.max(max, z);
        }
        double all = 0;
        for (double z : logits) {
            all += Math.exp(z - max);
        }
        double[] e = new double[3];
        double sum = 0;
        int best = 0;
        for (int k = 0; k < 3; k++) {
            double z = logits[(int) optionIds[k]];
            e[k] = Math.exp(z - max);
            sum += e[k];
            if (z > logits[(int) optionIds[best]]) {
                best = k;
            }
        }
        double[] probs = {e[0] / sum, e[1] / sum, e[2] / sum};
        return new Answer(best + 1, probs, sum / all);
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = new long[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** [3, H, W] in [0, 1] from 8-bit RGB. */
    static NDArray toArray(BufferedImage image, NDManager m) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[] data = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = image.getRGB(x, y);
                data[y * w + x] = ((rgb >> 16) & 0xFF) / 255f;
                data[h * w + y * w + x] = ((rgb >> 8) & 0xFF) / 255f;
                data[2 * h * w + y * w + x] = (rgb & 0xFF) / 255f;
            }
        }
        return HostArrays.create(m, data, new Shape(3, h, w));
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s (Qwen2.5-VL, option-token logits, %s)", label, model.precision());
    }

    @Override
    public void close() {
        if (owned) {
            model.close();
        }
    }
}

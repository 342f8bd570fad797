package dev.vlm3d.models.qwen25vl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Qwen2.5-VL-Instruct (3B/7B or any config.json of that architecture) as explicit DJL code, differentiable from the
 * last-position logits back to float images: tokenizer + chat template, image preprocessing, vision tower, language
 * model. Weights are frozen; only arrays the caller marks (or derives from marked arrays) carry gradients.
 */
public final class QwenVlModel implements AutoCloseable {

    /** Everything one forward produced; arrays live in the images' manager. */
    public record Output(
            long[] inputIds,
            int[][] gridThw,
            long[][] positionIds,
            NDArray pixelValues,
            NDArray imageEmbeds,
            NDArray logitsLast) {}

    private final QwenVlConfig config;
    private final QwenVlPrecision precision;
    private final NDManager manager;
    private final QwenVlWeights weights;
    private final QwenVlTokenizer tokenizer;
    private final QwenVlImageProcessor processor;
    private final QwenVlVision vision;
    private final QwenVlText text;

    private QwenVlModel(
            QwenVlConfig config,
            QwenVlPrecision precision,
            NDManager manager,
            QwenVlWeights weights,
            QwenVlTokenizer tokenizer,
            QwenVlImageProcessor processor) {
        this.config = config;
        this.precision = precision;
        this.manager = manager;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.processor = processor;
        QwenVlOps ops = new QwenVlOps(precision);
        this.vision = new QwenVlVision(config.vision(), weights, ops);
        this.text = new QwenVlText(config.text(), weights, ops);
    }

    /** A Hugging Face snapshot folder holding config.json, safetensors, tokenizer.json and the chat template. */
    public static QwenVlModel load(Path modelDir, Device device, QwenVlPrecision precision) {
        return load(modelDir, modelDir, device, precision);
    }

    /**
     * @param tokenizerDir folder with tokenizer.json, chat_template.json or tokenizer_config.json, and optionally
     *                     preprocessor_config.json (falls back to {@code modelDir} for the latter)
     */
    public static QwenVlModel load(Path modelDir, Path tokenizerDir, Device device, QwenVlPrecision precision) {
        QwenVlConfig config = QwenVlConfig.read(modelDir);
        NDManager manager = NDManager.newBaseManager(device);
        QwenVlTokenizer tokenizer = null;
        try {
            QwenVlWeights weights = QwenVlWeights.load(modelDir, manager, precision);
            tokenizer = QwenVlTokenizer.load(tokenizerDir);
            Path preprocessorDir =
                    Files.isRegularFile(tokenizerDir.resolve("preprocessor_config.json")) ? tokenizerDir : modelDir;
            QwenVlImageProcessor processor = QwenVlImageProcessor.load(preprocessorDir, config.vision());
            checkTokenIds(config, tokenizer);
            return new QwenVlModel(config, precision, manager, weights, tokenizer, processor);
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e;
        }
    }

    private static void checkTokenIds(QwenVlConfig config, QwenVlTokenizer tokenizer) {
        if (tokenizer.imagePadId() != config.imageTokenId()
                || tokenizer.visionStartId() != config.visionStartTokenId()
                || tokenizer.visionEndId() != config.visionEndTokenId()) {
            throw new IllegalStateException("tokenizer and config.json disagree on the vision token ids");
        }
    }

    public QwenVlConfig config() {
        return config;
    }

    public QwenVlPrecision precision() {
        return precision;
    }

    public QwenVlTokenizer tokenizer() {
        return tokenizer;
    }

    public QwenVlImageProcessor processor() {
        return processor;
    }

    public QwenVlVision vision() {
        return vision;
    }

    public QwenVlText text() {
        return text;
    }

    /**
     * Arrays held by the model's own managers (weights and constants). Constant across calls when nothing leaks into
     * them; a step's arrays belong to the step's manager.
     */
    public int residentArrayCount() {
        return manager.getManagedArrays().size();
    }

    /** The device the weights live on; inputs must be there too. */
    public Device device() {
        return manager.getDevice();
    }

    /**
     * One user turn [images..., question] → last-position logits.
     *
     * @param images        each [3, H, W] in [0, 1] of the precision's activation dtype
     * @param systemMessage null for the chat template's default
     */
    public Output forward(List<NDArray> images, String systemMessage, String question) {
        return forward(images, systemMessage, QwenVlTokenizer.imagesThenText(images.size(), question));
    }

    /** A user turn with any order of images and text items; the i-th image item is {@code images.get(i)}. */
    public Output forward(List<NDArray> images, String systemMessage, List<QwenVlTokenizer.Content> user) {
        return forward(images, systemMessage, user, processor);
    }

    /** As above with another image processor (e.g. {@link QwenVlImageProcessor#withPixelBounds}). */
    public Output forward(
            List<NDArray> images,
            String systemMessage,
            List<QwenVlTokenizer.Content> user,
            QwenVlImageProcessor processor) {
        QwenVlImageProcessor.Processed p = processor.process(images);
        long[] ids = tokenizer.promptIds(
                systemMessage, user, p.imageTokens(config.vision().spatialMergeSize()));
        return forwardPixels(p.pixelValues(), p.gridThw(), ids, null);
    }

    /** [image × B, question] for B views of one size, given as one [B, 3, H, W] batch in [0, 1]. */
    public Output forwardBatch(NDArray images, String systemMessage, String question) {
        QwenVlImageProcessor.Processed p = processor.processBatch(images);
        int[] tokens = p.imageTokens(config.vision().spatialMergeSize());
        long[] ids =
                tokenizer.promptIds(systemMessage, QwenVlTokenizer.imagesThenText(tokens.length, question), tokens);
        return forwardPixels(p.pixelValues(), p.gridThw(), ids, null);
    }

    /** The model from already-patchified pixel values and prompt ids (e.g. the HF processor's pixel_values). */
    public Output forwardPixels(NDArray pixelValues, int[][] gridThw, long[] ids, QwenVlVision.Trace trace) {
        NDArray imageEmbeds = vision.forward(pixelValues, gridThw, trace);
        long[][] positions = MropePositions.of(
                ids, tokenizer.imagePadId(), gridThw, config.vision().spatialMergeSize());
        NDArray embeds = text.spliceImages(ids, tokenizer.imagePadId(), imageEmbeds);
        if (trace != null) {
            trace.record("inputs_embeds", embeds);
        }
        NDArray logits = text.lastLogits(embeds, positions, trace);
        return new Output(ids, gridThw, positions, pixelValues, imageEmbeds, logits);
    }

    @Override
    public void close() {
        tokenizer.close();
        weights.close();
        manager.close();
    }
}

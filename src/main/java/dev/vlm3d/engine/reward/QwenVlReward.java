package dev.vlm3d.engine.reward;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.vlm3d.engine.guidance.BilinearResize;
import dev.vlm3d.models.qwen25vl.QwenVlModel;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.nn.DifferentiableCast;
import dev.vlm3d.nn.Scalars;
import dev.vlm3d.text.InputText;
import java.nio.file.Path;
import java.util.Map;

/**
 * The VLM3D reward on Qwen2.5-VL: all views of a step (or only the first, the paper's single-view ablation) in one
 * user turn followed by a question of the paper, and r = z_yes − z_no of the next-token logits (Eq. 5), or in
 * probability form r = p_yes − p_no = 2σ(z_yes − z_no) − 1 (the released loss p_no − p_yes, negated). The answer ids
 * are looked up in the tokenizer ("Yes" and "No" without a leading space, the first token after "assistant\n").
 *
 * <p>What the VLM sees is what the released guidance gives it: the renders resized bilinearly to
 * {@value #RELEASED_INPUT_SIZE}² (align_corners=False, the tensor the VAE also gets) and clamped to [0, 1], then the
 * processor's smart_resize to 252², i.e. 81 visual tokens per view whatever the render size (docs/paper-vs-code.md).
 * Gradients flow from r through the model, the preprocessing and the resize into the renders.
 */
public final class QwenVlReward implements RewardModel {

    /** MVDream's image_size: the released guidance resizes every render to this before the VAE and the VLM. */
    public static final int RELEASED_INPUT_SIZE = 256;

    private final QwenVlModel model;
    private final long yesId;
    private final long noId;

    public QwenVlReward(QwenVlModel model) {
        this.model = model;
        this.yesId = model.tokenizer().singleTokenId("Yes");
        this.noId = model.tokenizer().singleTokenId("No");
    }

    /** Loads a Hugging Face snapshot folder (config, safetensors, tokenizer, chat template) onto a device. */
    public static QwenVlReward load(Path modelDir, Device device, QwenVlPrecision precision) {
        return new QwenVlReward(QwenVlModel.load(modelDir, device, precision));
    }

    public static QwenVlReward load(Path modelDir, Path tokenizerDir, Device device, QwenVlPrecision precision) {
        return new QwenVlReward(QwenVlModel.load(modelDir, tokenizerDir, device, precision));
    }

    public QwenVlModel model() {
        return model;
    }

    @Override
    public Reward forPrompt(String prompt, RewardOptions options) {
        return forPrompt(prompt, options, 0);
    }

    /**
     * @param maxViews use at most this many of the renders (in order); ≤ 0 for all. {@code options.singleView()}
     *                 overrides it with 1.
     */
    public Reward forPrompt(String prompt, RewardOptions options, int maxViews) {
        if (InputText.controlToken(prompt) != null) {
            // the same check POST /jobs makes (dev.vlm3d.api.JobRequestParser): a job never gets here with one
            throw new IllegalArgumentException("prompt contains a chat-template control token such as <|im_end|>");
        }
        String question = QuestionTemplates.question(options.question(), prompt);
        int views = options.singleView() ? 1 : maxViews;
        return new VlmReward(question, options.form(), views, RELEASED_INPUT_SIZE);
    }

    /**
     * A reward that asks a custom question verbatim (no paper template), e.g. for evaluation or tests.
     *
     * @param inputSize resize the renders to inputSize² (bilinear, then clamp to [0, 1]) as the released guidance does
     *                  with {@link #RELEASED_INPUT_SIZE}; ≤ 0 gives them to the processor as they are
     */
    public Reward forQuestion(String question, RewardOptions.Form form, int maxViews, int inputSize) {
        return new VlmReward(question, form, maxViews, inputSize);
    }

    final class VlmReward implements Reward {
        private final String question;
        private final RewardOptions.Form form;
        private final int maxViews;
        private final int inputSize;

        VlmReward(String question, RewardOptions.Form form, int maxViews, int inputSize) {
            this.question = question;
            this.form = form;
            this.maxViews = maxViews;
            this.inputSize = inputSize;
        }

        /** The question exactly as it goes into the user turn. */
        String question() {
            return question;
        }

        /** The views as the processor receives them: [views, 3, s, s] in the compute dtype, still in the graph. */
        NDArray modelInput(NDArray rgb) {
            DataType compute = model.precision().activations();
            int b = Math.toIntExact(rgb.getShape().get(0));
            int views = maxViews > 0 ? Math.min(maxViews, b) : b;
            // [B, H, W, 3] → [views, 3, H, W]; the cast only applies in the float64 mode and keeps the graph
            NDArray chw = DifferentiableCast.cast(rgb, compute).transpose(0, 3, 1, 2);
            NDArray shown = views == b ? chw : chw.get("0:" + views);
            if (inputSize <= 0) {
                return shown;
            }
            NDArray resized = BilinearResize.resize(shown, inputSize, inputSize);
            return clampUnit(resized);
        }

        /** The model's forward on the views of one step (ids, grids, logits). */
        QwenVlModel.Output evaluate(NDArray rgb) {
            return model.forwardBatch(modelInput(rgb), null, question);
        }

        @Override
        public RewardResult compute(NDArray rgb) {
            QwenVlModel.Output out = evaluate(rgb);
            NDArray zYes = out.logitsLast().get(yesId);
            NDArray zNo = out.logitsLast().get(noId);
            NDArray logOdds = zYes.sub(zNo);
            NDArray r = form == RewardOptions.Form.PROBABILITY
                    ? Activation.sigmoid(logOdds).mul(Scalars.like(logOdds, 2)).sub(Scalars.like(logOdds, 1))
                    : logOdds;
            NDArray reward = DifferentiableCast.cast(r, rgb.getDataType());
            double yes = zYes.toType(DataType.FLOAT64, false).getDouble();
            double no = zNo.toType(DataType.FLOAT64, false).getDouble();
            return new RewardResult(
                    reward,
                    reward.toType(DataType.FLOAT64, false).getDouble(),
                    Map.of("z_yes", yes, "z_no", no, "views", (double) out.gridThw().length, "prompt_tokens", (double)
                            out.inputIds().length));
        }

        @Override
        public void close() {
            // nothing per job beyond the question string; the model is shared and closed by its owner
        }
    }

    /**
     * torch.clamp(x, 0, 1) with its gradient (1 where 0 ≤ x ≤ 1, else 0); DJL's clip would make its bounds from
     * Java buffers that the backward pass reads after they may be freed (see {@link Scalars}).
     */
    static NDArray clampUnit(NDArray x) {
        NDArray zero = Scalars.like(x, 0);
        NDArray one = Scalars.like(x, 1);
        // x·[0 ≤ x ≤ 1] + [x > 1]: both masks are constants, so the gradient is the in-range mask
        NDArray inside = x.gte(zero).logicalAnd(x.lte(one)).toType(x.getDataType(), false);
        NDArray above = x.gt(one).toType(x.getDataType(), false);
        return x.mul(inside).add(above);
    }

    @Override
    public void close() {
        model.close();
    }
}

package dev.vlm3d.engine.reward;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.vlm3d.models.qwen25vl.QwenVlModel;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.nn.DifferentiableCast;
import dev.vlm3d.text.InputText;
import java.nio.file.Path;
import java.util.Map;

/**
 * The VLM3D reward on Qwen2.5-VL: all views of a step (or only the first, the paper's single-view ablation) in one
 * user turn followed by a question of the paper, and r = z_yes − z_no of the next-token logits (Eq. 5), or
 * P(yes) = σ(z_yes − z_no) (Eq. 4). The answer ids are looked up in the tokenizer ("Yes" and "No" without a leading
 * space, the first token after "assistant\n"). Gradients flow from r through the model and the preprocessing into
 * the renders.
 */
public final class QwenVlReward implements RewardModel {

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
        return new VlmReward(question, options.form(), views);
    }

    /** A reward that asks a custom question verbatim (no paper template), e.g. for evaluation or tests. */
    public Reward forQuestion(String question, RewardOptions.Form form, int maxViews) {
        return new VlmReward(question, form, maxViews);
    }

    private final class VlmReward implements Reward {
        private final String question;
        private final RewardOptions.Form form;
        private final int maxViews;

        VlmReward(String question, RewardOptions.Form form, int maxViews) {
            this.question = question;
            this.form = form;
            this.maxViews = maxViews;
        }

        @Override
        public RewardResult compute(NDArray rgb) {
            DataType compute = model.precision().activations();
            int b = Math.toIntExact(rgb.getShape().get(0));
            int views = maxViews > 0 ? Math.min(maxViews, b) : b;
            // [B, H, W, 3] → [views, 3, H, W]; the cast only applies in the float64 mode and keeps the graph
            NDArray chw = DifferentiableCast.cast(rgb, compute).transpose(0, 3, 1, 2);
            NDArray shown = views == b ? chw : chw.get("0:" + views);
            QwenVlModel.Output out = model.forwardBatch(shown, null, question);
            NDArray zYes = out.logitsLast().get(yesId);
            NDArray zNo = out.logitsLast().get(noId);
            NDArray logOdds = zYes.sub(zNo);
            NDArray r = form == RewardOptions.Form.PROBABILITY ? Activation.sigmoid(logOdds) : logOdds;
            NDArray reward = DifferentiableCast.cast(r, rgb.getDataType());
            double yes = zYes.toType(DataType.FLOAT64, false).getDouble();
            double no = zNo.toType(DataType.FLOAT64, false).getDouble();
            return new RewardResult(reward, reward.toType(DataType.FLOAT64, false).getDouble(),
                    Map.of("z_yes", yes, "z_no", no, "views", (double) views,
                            "prompt_tokens", (double) out.inputIds().length));
        }

        @Override
        public void close() {
            // nothing per job beyond the question string; the model is shared and closed by its owner
        }
    }

    @Override
    public void close() {
        model.close();
    }
}

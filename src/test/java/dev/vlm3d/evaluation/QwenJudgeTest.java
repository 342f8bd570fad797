package dev.vlm3d.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vlm3d.models.TinyModelSet;
import dev.vlm3d.models.qwen25vl.QwenVlImageProcessor;
import dev.vlm3d.models.qwen25vl.QwenVlModel;
import dev.vlm3d.models.qwen25vl.QwenVlPrecision;
import dev.vlm3d.models.qwen25vl.QwenVlTokenizer;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The judge's logit reading (docs/evaluation.md), on the tiny random Qwen2.5-VL: mechanics, not judgement. */
class QwenJudgeTest {

    @Test
    void optionProbabilitiesAreTheSoftmaxOverTheThreeOptionTokens() {
        double[] logits = new double[10];
        logits[4] = 2;
        logits[5] = 1;
        logits[6] = 0;
        logits[0] = 3;
        Judge.Answer a = QwenJudge.answer(logits, new long[] {4, 5, 6});
        double z = Math.exp(2) + Math.exp(1) + 1;
        assertThat(a.choice()).isEqualTo(1);
        assertThat(a.result()).isEqualTo(-1);
        assertThat(a.probabilities()[0]).isCloseTo(Math.exp(2) / z, within(1e-12));
        assertThat(a.probabilities()[2]).isCloseTo(1 / z, within(1e-12));
        assertThat(a.optionMass()).isCloseTo(z / (z + Math.exp(3) + 6), within(1e-12));
        assertThat(QwenJudge.answer(new double[] {0, 0, 5}, new long[] {0, 1, 2})
                        .result())
                .isZero();
    }

    @Test
    void eachCriterionIsReadAfterTheChosenOptionsAsOneFullForwardWouldReadIt() {
        Path dir = TinyModelSet.ensure(Path.of("target/vlm3d-cache").toAbsolutePath())
                .vlmDir();
        try (QwenVlModel model = QwenVlModel.load(dir, Device.cpu(), QwenVlPrecision.FP32);
                QwenJudge judge = new QwenJudge(model, 0, "tiny", false)) {
            BufferedImage image = new BufferedImage(56, 28, BufferedImage.TYPE_INT_RGB);
            SplittableRandom rng = new SplittableRandom(3);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 56; x++) {
                    image.setRGB(x, y, rng.nextInt(0x1000000));
                }
            }
            Gpteval3d bench = Gpteval3d.load();
            Gpteval3d.Ensemble e = bench.ensembles().get(3); // n1_d0342: four criteria
            String text = bench.question(e, "A torn hat");
            List<Judge.Answer> answers = judge.judge(image, text, 4);
            assertThat(answers).hasSize(4);
            // the reference: the whole prompt, prefix included, through the model's ordinary forward each time
            StringBuilder prefix = new StringBuilder(QwenJudge.ANSWER_PREFIX);
            for (Judge.Answer a : answers) {
                try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                    NDArray img = QwenJudge.toArray(image, m);
                    QwenVlImageProcessor.Processed p = model.processor().process(List.of(img));
                    long[] ids = model.tokenizer()
                            .promptIds(
                                    null,
                                    List.of(QwenVlTokenizer.Content.text(text), QwenVlTokenizer.Content.image()),
                                    p.imageTokens(2));
                    long[] more = model.tokenizer().encode(prefix.toString());
                    long[] all = java.util.Arrays.copyOf(ids, ids.length + more.length);
                    System.arraycopy(more, 0, all, ids.length, more.length);
                    double[] logits = model.forwardPixels(p.pixelValues(), p.gridThw(), all, null)
                            .logitsLast()
                            .toType(DataType.FLOAT64, false)
                            .toDoubleArray();
                    long[] options = {
                        model.tokenizer().singleTokenId("1"),
                        model.tokenizer().singleTokenId("2"),
                        model.tokenizer().singleTokenId("3")
                    };
                    Judge.Answer expected = QwenJudge.answer(logits, options);
                    assertThat(a.choice()).isEqualTo(expected.choice());
                    for (int k = 0; k < 3; k++) {
                        assertThat(a.probabilities()[k]).isCloseTo(expected.probabilities()[k], within(1e-6));
                    }
                }
                prefix.append(a.choice()).append(' ');
            }
            // the instruction text reaches the model verbatim, the prompt quoted by the benchmark's suffix
            assertThat(text)
                    .startsWith(bench.instruction(e))
                    .endsWith("\"A torn hat\"\nPlease compare these two 3D " + "objects as instructed.");
        }
    }
}

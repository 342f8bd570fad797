package dev.vlm3d.models.qwen25vl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.vlm3d.models.qwen25vl.QwenVlFixtures.FixtureSet;
import dev.vlm3d.models.qwen25vl.QwenVlFixtures.ModelDir;
import dev.vlm3d.weights.SafetensorsCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Config layouts, tensor-name schemes, smart_resize, the resize matrix and the parameter count, per fixture set. */
class QwenVlPartsTest {

    @Test
    void everyModelDirOfASetReadsToTheSameConfigWhateverItsLayout() {
        for (FixtureSet set : QwenVlFixtures.sets()) {
            QwenVlConfig first = null;
            for (ModelDir dir : set.models()) {
                QwenVlConfig c = QwenVlConfig.read(dir.dir());
                if (first == null) {
                    first = c;
                    continue;
                }
                assertEquals(describe(first), describe(c), dir.dir().toString());
            }
        }
    }

    private static String describe(QwenVlConfig c) {
        QwenVlConfig.Vision v = c.vision();
        QwenVlConfig.Text t = c.text();
        return String.join(
                ",",
                String.valueOf(v.depth()),
                String.valueOf(v.hiddenSize()),
                String.valueOf(v.numHeads()),
                String.valueOf(v.intermediateSize()),
                String.valueOf(v.outHiddenSize()),
                String.valueOf(v.patchSize()),
                String.valueOf(v.temporalPatchSize()),
                String.valueOf(v.spatialMergeSize()),
                String.valueOf(v.inChannels()),
                String.valueOf(v.windowSize()),
                java.util.Arrays.toString(v.fullAttentionBlocks()),
                String.valueOf(v.ropeTheta()),
                String.valueOf(t.numLayers()),
                String.valueOf(t.hiddenSize()),
                String.valueOf(t.numHeads()),
                String.valueOf(t.numKvHeads()),
                String.valueOf(t.headDim()),
                String.valueOf(t.intermediateSize()),
                String.valueOf(t.vocabSize()),
                String.valueOf(t.rmsNormEps()),
                String.valueOf(t.ropeTheta()),
                java.util.Arrays.toString(t.mropeSection()),
                String.valueOf(t.tieWordEmbeddings()),
                String.valueOf(c.imageTokenId()),
                String.valueOf(c.visionStartTokenId()),
                String.valueOf(c.visionEndTokenId()));
    }

    @Test
    void bothTensorNamingSchemesMapToTheSameCanonicalNames() {
        for (FixtureSet set : QwenVlFixtures.sets()) {
            Set<String> first = null;
            for (ModelDir dir : set.models()) {
                try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir.dir())) {
                    Set<String> canonical = ckpt.names().stream()
                            .map(QwenVlWeightNames::canonical)
                            .collect(Collectors.toCollection(TreeSet::new));
                    assertEquals(ckpt.names().size(), canonical.size(), "mapping is one-to-one");
                    assertTrue(canonical.contains(QwenVlWeightNames.PATCH_EMBED));
                    assertTrue(canonical.contains(QwenVlWeightNames.EMBED_TOKENS));
                    if (first == null) {
                        first = canonical;
                    } else {
                        assertEquals(first, canonical, dir.dir().toString());
                    }
                }
            }
        }
        assertEquals(
                "visual.blocks.0.attn.qkv.weight",
                QwenVlWeightNames.canonical("model.visual.blocks.0.attn.qkv.weight"));
        assertEquals(
                "model.layers.1.mlp.up_proj.weight",
                QwenVlWeightNames.canonical("model.language_model.layers.1.mlp.up_proj.weight"));
        assertEquals("lm_head.weight", QwenVlWeightNames.canonical("lm_head.weight"));
    }

    @Test
    void parameterCountFromTheConfigEqualsTheCheckpoint() {
        for (FixtureSet set : QwenVlFixtures.sets()) {
            for (ModelDir dir : set.models()) {
                try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir.dir())) {
                    long stored = ckpt.names().stream()
                            .mapToLong(n -> ckpt.info(n).numel())
                            .sum();
                    assertEquals(stored, QwenVlCost.parameterCount(QwenVlConfig.read(dir.dir())), dir.toString());
                }
            }
        }
    }

    @Test
    void smartResizeMatchesEveryRecordedBranch() {
        for (FixtureSet set : QwenVlFixtures.sets()) {
            Path file = set.root().resolve("preprocess/smart_resize_cases.json");
            if (!Files.isRegularFile(file)) {
                continue;
            }
            JsonObject json = QwenVlFixtures.readJson(file);
            int factor = json.get("factor").getAsInt();
            for (JsonElement e : json.getAsJsonArray("cases")) {
                JsonObject c = e.getAsJsonObject();
                int[] got = SmartResize.resize(
                        c.get("height").getAsInt(),
                        c.get("width").getAsInt(),
                        factor,
                        c.get("min_pixels").getAsLong(),
                        c.get("max_pixels").getAsLong());
                assertArrayEquals(
                        new int[] {
                            c.get("resized_height").getAsInt(),
                            c.get("resized_width").getAsInt()
                        },
                        got,
                        c.toString());
            }
        }
    }

    @Test
    void antialiasedBicubicMatrixMatchesTheRecordedResize() {
        for (FixtureSet set : QwenVlFixtures.sets()) {
            Path file = set.root().resolve("preprocess/resize_256_to_252.safetensors");
            if (!Files.isRegularFile(file)) {
                continue;
            }
            try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(file)) {
                String name = ckpt.names().iterator().next();
                long[] shape = ckpt.info(name).shape();
                float[] want = ckpt.loadFloats(name);
                double[][] got = AntialiasedBicubic.matrix((int) shape[1], (int) shape[0]);
                double max = 0;
                for (int i = 0; i < shape[0]; i++) {
                    for (int j = 0; j < shape[1]; j++) {
                        max = Math.max(max, Math.abs(want[(int) (i * shape[1] + j)] - (float) got[i][j]));
                    }
                }
                assertEquals(0.0, max, 0.0, "float32 weights of the " + name + " matrix");
            }
        }
    }
}

package dev.vlm3d.evaluation;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlm3d.engine.export.Mesh;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the triangles of a GLB (glTF 2.0 binary) into one {@link Mesh} in threestudio's z-up world: POSITION,
 * optional COLOR_0 (float or normalized integer, RGB or RGBA) and indices, over all primitives of all meshes. Node
 * transforms are not applied (our own GLBs have none; docs/evaluation.md). glTF is y-up: (x, y, z) → (x, −z, y), the
 * inverse of what {@code GlbWriter} writes.
 */
public final class GlbReader {

    private static final int MAGIC = 0x46546C67;

    private GlbReader() {}

    public static Mesh read(Path glb) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(glb)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 20 || b.getInt(0) != MAGIC || b.getInt(4) != 2) {
            throw new IOException(glb + " is not a glTF 2.0 binary");
        }
        int jsonLength = b.getInt(12);
        String json = new String(b.array(), 20, jsonLength, StandardCharsets.UTF_8);
        int binStart = 20 + jsonLength + 8;
        ByteBuffer bin = binStart <= b.capacity()
                ? b.duplicate().position(binStart).slice().order(ByteOrder.LITTLE_ENDIAN)
                : ByteBuffer.allocate(0);
        JsonObject gltf = JsonParser.parseString(json).getAsJsonObject();
        List<float[]> positions = new ArrayList<>();
        List<float[]> colors = new ArrayList<>();
        List<int[]> indices = new ArrayList<>();
        if (gltf.has("meshes")) {
            for (JsonElement m : gltf.getAsJsonArray("meshes")) {
                for (JsonElement p : m.getAsJsonObject().getAsJsonArray("primitives")) {
                    JsonObject prim = p.getAsJsonObject();
                    if (prim.has("mode") && prim.get("mode").getAsInt() != 4) {
                        continue; // points or lines have no surface to render
                    }
                    JsonObject attrs = prim.getAsJsonObject("attributes");
                    float[] pos = floats(gltf, bin, attrs.get("POSITION").getAsInt(), 3);
                    int count = pos.length / 3;
                    float[] col = attrs.has("COLOR_0")
                            ? floats(gltf, bin, attrs.get("COLOR_0").getAsInt(), 3)
                            : null;
                    int[] idx;
                    if (prim.has("indices")) {
                        idx = ints(gltf, bin, prim.get("indices").getAsInt());
                    } else {
                        idx = new int[count];
                        for (int i = 0; i < count; i++) {
                            idx[i] = i;
                        }
                    }
                    positions.add(pos);
                    colors.add(col != null ? col : grey(count));
                    indices.add(idx);
                }
            }
        }
        int nv = 0;
        int ni = 0;
        for (int i = 0; i < positions.size(); i++) {
            nv += positions.get(i).length;
            ni += indices.get(i).length;
        }
        float[] pos = new float[nv];
        float[] col = new float[nv];
        int[] tri = new int[ni];
        int vo = 0;
        int io = 0;
        for (int i = 0; i < positions.size(); i++) {
            float[] p = positions.get(i);
            for (int v = 0; v < p.length; v += 3) {
                pos[vo + v] = p[v];
                pos[vo + v + 1] = -p[v + 2];
                pos[vo + v + 2] = p[v + 1];
            }
            System.arraycopy(colors.get(i), 0, col, vo, p.length);
            for (int k : indices.get(i)) {
                tri[io++] = k + vo / 3;
            }
            vo += p.length;
        }
        return new Mesh(pos, tri, col);
    }

    private static float[] grey(int count) {
        float[] c = new float[count * 3];
        java.util.Arrays.fill(c, 0.8f);
        return c;
    }

    /** An accessor as floats, keeping the first {@code keep} components (RGBA colours lose A). */
    private static float[] floats(JsonObject gltf, ByteBuffer bin, int accessor, int keep) throws IOException {
        JsonObject acc = gltf.getAsJsonArray("accessors").get(accessor).getAsJsonObject();
        int count = acc.get("count").getAsInt();
        int comps = switch (acc.get("type").getAsString()) {
            case "SCALAR" -> 1;
            case "VEC2" -> 2;
            case "VEC3" -> 3;
            case "VEC4" -> 4;
            default -> throw new IOException("unsupported accessor type " + acc.get("type"));
        };
        int type = acc.get("componentType").getAsInt();
        boolean normalized = acc.has("normalized") && acc.get("normalized").getAsBoolean();
        int size = componentSize(type);
        View view = view(gltf, acc, comps * size);
        float[] out = new float[count * keep];
        for (int i = 0; i < count; i++) {
            for (int c = 0; c < keep; c++) {
                int at = view.offset + i * view.stride + c * size;
                out[i * keep + c] = switch (type) {
                    case 5126 -> bin.getFloat(at);
                    case 5121 -> (bin.get(at) & 0xFF) / (normalized ? 255f : 1f);
                    case 5123 -> (bin.getShort(at) & 0xFFFF) / (normalized ? 65535f : 1f);
                    default -> throw new IOException("unsupported float component type " + type);
                };
            }
        }
        return out;
    }

    private static int[] ints(JsonObject gltf, ByteBuffer bin, int accessor) throws IOException {
        JsonObject acc = gltf.getAsJsonArray("accessors").get(accessor).getAsJsonObject();
        int count = acc.get("count").getAsInt();
        int type = acc.get("componentType").getAsInt();
        int size = componentSize(type);
        View view = view(gltf, acc, size);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            int at = view.offset + i * view.stride;
            out[i] = switch (type) {
                case 5125 -> bin.getInt(at);
                case 5123 -> bin.getShort(at) & 0xFFFF;
                case 5121 -> bin.get(at) & 0xFF;
                default -> throw new IOException("unsupported index component type " + type);
            };
        }
        return out;
    }

    private record View(int offset, int stride) {}

    private static View view(JsonObject gltf, JsonObject acc, int elementBytes) throws IOException {
        if (!acc.has("bufferView")) {
            throw new IOException("sparse or empty accessors are not supported");
        }
        JsonArray views = gltf.getAsJsonArray("bufferViews");
        JsonObject v = views.get(acc.get("bufferView").getAsInt()).getAsJsonObject();
        if (v.get("buffer").getAsInt() != 0) {
            throw new IOException("only the GLB's own binary chunk is supported");
        }
        int offset = (v.has("byteOffset") ? v.get("byteOffset").getAsInt() : 0)
                + (acc.has("byteOffset") ? acc.get("byteOffset").getAsInt() : 0);
        int stride = v.has("byteStride") ? v.get("byteStride").getAsInt() : elementBytes;
        return new View(offset, stride);
    }

    private static int componentSize(int type) throws IOException {
        return switch (type) {
            case 5120, 5121 -> 1;
            case 5122, 5123 -> 2;
            case 5125, 5126 -> 4;
            default -> throw new IOException("unknown component type " + type);
        };
    }
}

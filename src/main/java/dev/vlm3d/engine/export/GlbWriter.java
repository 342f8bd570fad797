package dev.vlm3d.engine.export;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * glTF 2.0 binary (GLB) with one triangle primitive: POSITION, NORMAL, COLOR_0 (float RGB) and uint32 indices, plus
 * an unlit-looking rough, non-metallic material. glTF is y-up, so threestudio's z-up world is rotated
 * (x, y, z) → (x, z, −y).
 */
public final class GlbWriter {

    private static final int GLB_MAGIC = 0x46546C67;
    private static final int CHUNK_JSON = 0x4E4F534A;
    private static final int CHUNK_BIN = 0x004E4942;

    private GlbWriter() {}

    public static void write(Mesh mesh, OutputStream out) throws IOException {
        int nv = mesh.vertexCount();
        int nt = mesh.triangleCount();
        float[] pos = toYUp(mesh.positions());
        float[] nrm = toYUp(mesh.vertexNormals());
        float[] col = mesh.colors();
        int posBytes = nv * 12;
        int idxBytes = nt * 3 * 4;
        int binLength = posBytes * (col != null ? 3 : 2) + idxBytes;
        ByteBuffer bin = ByteBuffer.allocate(pad4(binLength)).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : pos) {
            bin.putFloat(f);
        }
        for (float f : nrm) {
            bin.putFloat(f);
        }
        if (col != null) {
            for (float f : col) {
                bin.putFloat(Math.min(1f, Math.max(0f, f)));
            }
        }
        for (int i : mesh.triangles()) {
            bin.putInt(i);
        }

        JsonObject gltf = new JsonObject();
        JsonObject asset = new JsonObject();
        asset.addProperty("version", "2.0");
        asset.addProperty("generator", "vlm3d-server");
        gltf.add("asset", asset);
        gltf.addProperty("scene", 0);
        JsonObject scene = new JsonObject();
        JsonArray sceneNodes = new JsonArray();
        scene.add("nodes", sceneNodes);
        gltf.add("scenes", array(scene));
        if (nt > 0) {
            sceneNodes.add(0);
            JsonObject node = new JsonObject();
            node.addProperty("mesh", 0);
            gltf.add("nodes", array(node));
            JsonObject attributes = new JsonObject();
            attributes.addProperty("POSITION", 0);
            attributes.addProperty("NORMAL", 1);
            if (col != null) {
                attributes.addProperty("COLOR_0", 2);
            }
            JsonObject primitive = new JsonObject();
            primitive.add("attributes", attributes);
            primitive.addProperty("indices", col != null ? 3 : 2);
            primitive.addProperty("material", 0);
            primitive.addProperty("mode", 4);
            JsonObject meshJson = new JsonObject();
            meshJson.add("primitives", array(primitive));
            gltf.add("meshes", array(meshJson));
            JsonObject pbr = new JsonObject();
            pbr.addProperty("metallicFactor", 0.0);
            pbr.addProperty("roughnessFactor", 1.0);
            JsonObject material = new JsonObject();
            material.add("pbrMetallicRoughness", pbr);
            material.addProperty("doubleSided", false);
            gltf.add("materials", array(material));

            JsonArray views = new JsonArray();
            JsonArray accessors = new JsonArray();
            int offset = 0;
            views.add(view(offset, posBytes, 34962));
            accessors.add(accessor(0, nv, "VEC3", 5126, pos));
            offset += posBytes;
            views.add(view(offset, posBytes, 34962));
            accessors.add(accessor(1, nv, "VEC3", 5126, null));
            offset += posBytes;
            if (col != null) {
                views.add(view(offset, posBytes, 34962));
                accessors.add(accessor(2, nv, "VEC3", 5126, null));
                offset += posBytes;
            }
            views.add(view(offset, idxBytes, 34963));
            accessors.add(accessor(views.size() - 1, nt * 3, "SCALAR", 5125, null));
            gltf.add("bufferViews", views);
            gltf.add("accessors", accessors);
            JsonObject buffer = new JsonObject();
            buffer.addProperty("byteLength", binLength);
            gltf.add("buffers", array(buffer));
        }

        byte[] json = gltf.toString().getBytes(StandardCharsets.UTF_8);
        int jsonPadded = pad4(json.length);
        boolean hasBin = nt > 0;
        int total = 12 + 8 + jsonPadded + (hasBin ? 8 + bin.capacity() : 0);
        ByteBuffer header = ByteBuffer.allocate(12 + 8).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(GLB_MAGIC).putInt(2).putInt(total).putInt(jsonPadded).putInt(CHUNK_JSON);
        out.write(header.array());
        out.write(json);
        for (int i = json.length; i < jsonPadded; i++) {
            out.write(' ');
        }
        if (hasBin) {
            ByteBuffer binHeader = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            binHeader.putInt(bin.capacity()).putInt(CHUNK_BIN);
            out.write(binHeader.array());
            out.write(bin.array());
        }
        out.flush();
    }

    static float[] toYUp(float[] xyz) {
        float[] out = new float[xyz.length];
        for (int i = 0; i < xyz.length; i += 3) {
            out[i] = xyz[i];
            out[i + 1] = xyz[i + 2];
            out[i + 2] = -xyz[i + 1];
        }
        return out;
    }

    private static int pad4(int n) {
        return (n + 3) & ~3;
    }

    private static JsonArray array(JsonObject o) {
        JsonArray a = new JsonArray();
        a.add(o);
        return a;
    }

    private static JsonObject view(int offset, int length, int target) {
        JsonObject v = new JsonObject();
        v.addProperty("buffer", 0);
        v.addProperty("byteOffset", offset);
        v.addProperty("byteLength", length);
        v.addProperty("target", target);
        return v;
    }

    private static JsonObject accessor(int view, int count, String type, int componentType, float[] boundsOf) {
        JsonObject a = new JsonObject();
        a.addProperty("bufferView", view);
        a.addProperty("componentType", componentType);
        a.addProperty("count", count);
        a.addProperty("type", type);
        if (boundsOf != null) {
            float[] min = {Float.MAX_VALUE, Float.MAX_VALUE, Float.MAX_VALUE};
            float[] max = {-Float.MAX_VALUE, -Float.MAX_VALUE, -Float.MAX_VALUE};
            for (int i = 0; i < boundsOf.length; i++) {
                min[i % 3] = Math.min(min[i % 3], boundsOf[i]);
                max[i % 3] = Math.max(max[i % 3], boundsOf[i]);
            }
            JsonArray mn = new JsonArray();
            JsonArray mx = new JsonArray();
            for (int d = 0; d < 3; d++) {
                mn.add(min[d]);
                mx.add(max[d]);
            }
            a.add("min", mn);
            a.add("max", mx);
        }
        return a;
    }
}

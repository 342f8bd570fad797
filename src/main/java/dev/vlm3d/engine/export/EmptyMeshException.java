package dev.vlm3d.engine.export;

import java.io.IOException;

/**
 * The density has no surface at the export threshold. A GLB of nothing is not valid glTF and not a result, so export
 * stops here, before spending the renders' time on an asset without a mesh.
 */
public final class EmptyMeshException extends IOException {

    public EmptyMeshException(String message) {
        super(message);
    }
}

package dev.vlm3d.artifacts;

/** OUTPUT artifacts are what clients download; CHECKPOINT blobs are resumable run state, never listed. */
public enum ArtifactKind {
    OUTPUT,
    CHECKPOINT
}

package dev.vlm3d.worker;

/** Opaque resumable state saved by a generator, with the step it was taken after. */
public record Checkpoint(int step, byte[] state) {}

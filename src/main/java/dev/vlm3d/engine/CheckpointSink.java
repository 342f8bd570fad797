package dev.vlm3d.engine;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Receives periodic checkpoints. The writer streams the checkpoint into whatever stream the sink opens. */
@FunctionalInterface
public interface CheckpointSink {

    void save(int step, CheckpointWriter writer) throws IOException;

    @FunctionalInterface
    interface CheckpointWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    CheckpointSink NONE = (step, writer) -> {};

    /** Keeps the latest checkpoint as {@code file}, replaced atomically. */
    static CheckpointSink toFile(Path file) {
        return (step, writer) -> {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
                writer.writeTo(out);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        };
    }
}

package dev.vlm3d.weights;

/** A checkpoint on disk is missing, malformed or not what the model expects. */
public class WeightsException extends RuntimeException {

    public WeightsException(String message) {
        super(message);
    }

    public WeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}

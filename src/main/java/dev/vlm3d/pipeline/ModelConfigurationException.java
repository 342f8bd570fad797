package dev.vlm3d.pipeline;

/** The configured model folders or device cannot run: missing files, wrong architecture, not enough memory. */
public class ModelConfigurationException extends RuntimeException {

    public ModelConfigurationException(String message) {
        super(message);
    }

    public ModelConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.vlm3d.worker;

/**
 * A generation failure with a stable machine-readable {@code code} (shown to clients as the job's error code).
 * Transient failures (out of memory, a device reset) are retried with backoff up to the job's max attempts;
 * permanent ones (a prompt the models cannot take, missing weights) fail the job at once.
 */
public class GenerationException extends Exception {

    private final String code;
    private final boolean retryable;

    private GenerationException(String code, String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.retryable = retryable;
    }

    public static GenerationException transientFailure(String code, String message, Throwable cause) {
        return new GenerationException(code, message, true, cause);
    }

    public static GenerationException permanentFailure(String code, String message, Throwable cause) {
        return new GenerationException(code, message, false, cause);
    }

    public String code() {
        return code;
    }

    public boolean retryable() {
        return retryable;
    }
}

package dev.vlm3d.options;

/** A generation option that is unknown, of the wrong type or out of range; {@code field} names it for clients. */
public class InvalidOptionException extends IllegalArgumentException {

    private final String code;
    private final String field;

    public InvalidOptionException(String code, String field, String message) {
        super(message);
        this.code = code;
        this.field = field;
    }

    /** UNKNOWN_OPTION, INVALID_FIELD or UNKNOWN_PRESET. */
    public String code() {
        return code;
    }

    public String field() {
        return field;
    }
}

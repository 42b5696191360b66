package io.widedeep.core.model;

/** A snapshot or delta that cannot be used: truncated, corrupted, of another format or another model. */
public class ModelFormatException extends Exception {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

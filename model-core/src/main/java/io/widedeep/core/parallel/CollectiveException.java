package io.widedeep.core.parallel;

/** A collective could not complete: a peer stalled past the timeout, left, or spoke out of turn. */
public class CollectiveException extends RuntimeException {
    public CollectiveException(String message) {
        super(message);
    }

    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.widedeep.schemas;

/** A message that cannot be turned into a record. The message says why, in words fit for a dead-letter reason. */
public class MalformedMessageException extends Exception {
    public MalformedMessageException(String reason, Throwable cause) {
        super(reason, cause);
    }

    public MalformedMessageException(String reason) {
        super(reason);
    }
}

package io.widedeep.serving.http;

/** A request the server refuses: the 4xx status, the message the client gets and, for a 405, the methods allowed. */
final class BadRequest extends Exception {
    final int status;
    final String allow;

    BadRequest(int status, String message) {
        this(status, message, null);
    }

    BadRequest(int status, String message, String allow) {
        super(message, null, false, false);
        this.status = status;
        this.allow = allow;
    }
}

package io.widedeep.core.spec;

/** An invalid feature spec or configuration. The message starts with the offending key path. */
public class SpecException extends IllegalArgumentException {
    private final String key;

    public SpecException(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
    }

    /** The dotted path of the offending key, e.g. {@code deep.hidden[1]}. */
    public String key() {
        return key;
    }
}

package io.widedeep.core.config;

/**
 * Something the user configured is invalid: an option ({@link OptionException}) or a feature spec
 * ({@link io.widedeep.core.spec.SpecException}). The message starts with the offending key, so a
 * command can print it as is and exit with status 2.
 */
public class ConfigException extends IllegalArgumentException {
    private final String key;

    public ConfigException(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
    }

    /** The offending key: an option such as {@code --port}, or a spec path such as {@code deep.hidden[1]}. */
    public String key() {
        return key;
    }
}

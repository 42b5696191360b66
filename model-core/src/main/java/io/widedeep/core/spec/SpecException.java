package io.widedeep.core.spec;

import io.widedeep.core.config.ConfigException;

/** An invalid feature spec. The message starts with the offending key path, e.g. {@code deep.hidden[1]}. */
public class SpecException extends ConfigException {
    public SpecException(String key, String problem) {
        super(key, problem);
    }
}

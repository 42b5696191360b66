package io.widedeep.core.config;

/** A command-line option or configuration-file key that is unknown, missing or out of range. */
public class OptionException extends ConfigException {
    public OptionException(String option, String problem) {
        super(option, problem);
    }
}

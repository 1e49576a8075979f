package io.isthmus.runtime.config;

/** A model.yaml (or model path) that cannot be used; the message is one line naming the file and key. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}

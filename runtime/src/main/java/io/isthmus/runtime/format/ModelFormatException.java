package io.isthmus.runtime.format;

/** A weight or tokenizer file that cannot be read as what it claims to be; the message names the file. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

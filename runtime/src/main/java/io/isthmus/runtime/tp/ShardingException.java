package io.isthmus.runtime.tp;

/** A model cannot be split over the requested number of ranks; the message names the tensor and why. */
public final class ShardingException extends RuntimeException {
    public ShardingException(String message) {
        super(message);
    }
}

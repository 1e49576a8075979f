package io.isthmus.runtime.config;

import java.util.Objects;

/**
 * The {@code server} section: when present, the job serves HTTP.
 *
 * @param host address to bind
 * @param port TCP port; 0 picks a free one
 */
public record ServerSpec(String host, int port) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;

    public ServerSpec {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
    }
}

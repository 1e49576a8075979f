package io.isthmus.collectives.tcp;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How a {@link TcpCommunicator} finds its peers and how long it waits for them.
 *
 * @param masterHost  where rank 0 runs the bootstrap every rank registers with
 *                    ({@code ISTHMUS_MASTER_ADDR}, as torch's MASTER_ADDR)
 * @param masterPort  its port ({@code ISTHMUS_MASTER_PORT})
 * @param listenHost  the address every rank's server sockets bind to (rank 0's bootstrap, every
 *                    rank's data port) and then advertise; null binds all interfaces and
 *                    advertises the address this rank reached the master from
 * @param dataPort    the port each rank accepts its ring predecessor on; 0 takes an ephemeral one
 * @param frameBytes  the largest payload of one frame; a longer message travels as several
 * @param joinTimeout how long {@code create} waits for the bootstrap and the ring connections
 * @param timeout     how long a collective waits for the neighbour's next frame
 */
public record TcpOptions(String masterHost, int masterPort, String listenHost, int dataPort, int frameBytes,
        Duration joinTimeout, Duration timeout) {

    public static final String MASTER_ADDR = "ISTHMUS_MASTER_ADDR";
    public static final String MASTER_PORT = "ISTHMUS_MASTER_PORT";

    public TcpOptions {
        if (masterHost == null || masterHost.isBlank()) {
            throw new IllegalArgumentException("the master host is empty");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException("master port " + masterPort + " outside 1-65535");
        }
        if (dataPort < 0 || dataPort > 65535) {
            throw new IllegalArgumentException("data port " + dataPort + " outside 0-65535");
        }
        if (frameBytes < 64 || frameBytes > Frames.MAX_PAYLOAD_BYTES || frameBytes % 4 != 0) {
            throw new IllegalArgumentException("frameBytes " + frameBytes + " must be a multiple of 4 in [64, "
                    + Frames.MAX_PAYLOAD_BYTES + "]");
        }
        Objects.requireNonNull(joinTimeout, "joinTimeout");
        Objects.requireNonNull(timeout, "timeout");
        if (joinTimeout.isNegative() || joinTimeout.isZero() || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive: join " + joinTimeout + ", collective " + timeout);
        }
    }

    /** Master at host:port, every interface, ephemeral data ports, 1 MiB frames, 60 s to join, 30 s per frame. */
    public static TcpOptions of(String masterHost, int masterPort) {
        return new TcpOptions(masterHost, masterPort, null, 0, 1 << 20, Duration.ofSeconds(60), Duration.ofSeconds(30));
    }

    /** {@link #of} with the master from {@code ISTHMUS_MASTER_ADDR} and {@code ISTHMUS_MASTER_PORT}. */
    public static TcpOptions fromEnvironment(Map<String, String> environment) {
        String host = environment.get(MASTER_ADDR);
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException(MASTER_ADDR + " is not set (the host where rank 0 runs the bootstrap)");
        }
        String port = environment.get(MASTER_PORT);
        if (port == null || port.isBlank()) {
            throw new IllegalArgumentException(MASTER_PORT + " is not set (the bootstrap's port on " + host.trim() + ")");
        }
        int number;
        try {
            number = Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(MASTER_PORT + "=" + port + " is not a port number (1-65535)");
        }
        if (number < 1 || number > 65535) {
            throw new IllegalArgumentException(MASTER_PORT + "=" + port + " is not a port number (1-65535)");
        }
        return of(host.trim(), number);
    }

    public TcpOptions withListenHost(String host) {
        return new TcpOptions(masterHost, masterPort, host, dataPort, frameBytes, joinTimeout, timeout);
    }

    public TcpOptions withDataPort(int port) {
        return new TcpOptions(masterHost, masterPort, listenHost, port, frameBytes, joinTimeout, timeout);
    }

    public TcpOptions withFrameBytes(int bytes) {
        return new TcpOptions(masterHost, masterPort, listenHost, dataPort, bytes, joinTimeout, timeout);
    }

    public TcpOptions withTimeouts(Duration newJoinTimeout, Duration newTimeout) {
        return new TcpOptions(masterHost, masterPort, listenHost, dataPort, frameBytes, newJoinTimeout, newTimeout);
    }
}

package io.isthmus.collectives.tcp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A port to announce for a job's bootstrap on one machine (benchmarks, tests). The kernel's pick
 * for a bind to port 0 comes from the ephemeral range, where it is free only until the next
 * outgoing connection or port-0 bind takes it — in a job starting up, the ranks' own data
 * listeners do exactly that between the pick and rank 0's bind ("Address already in use"). So the
 * port is drawn from below that range, which no ephemeral pick reaches, and checked free.
 */
public final class FreePorts {

    /** Lowest port drawn: above the registered services' usual ones. */
    private static final int LOWEST = 10_000;
    /** Linux's default start of the ephemeral range, where /proc cannot be read. */
    private static final int DEFAULT_EPHEMERAL_START = 32_768;
    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    private FreePorts() {
    }

    /** A loopback port below the ephemeral range that nobody listens on right now. */
    public static int belowEphemeralRange() {
        int end = ephemeralStart();
        if (end <= LOWEST + 1) {
            throw new IllegalStateException("the ephemeral port range starts at " + end + "; no port below it to draw");
        }
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, end);
            try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return probe.getLocalPort();
            } catch (IOException taken) {
                // someone listens there; draw again
            }
        }
        throw new IllegalStateException("no free loopback port in " + LOWEST + ".." + (end - 1) + " after 200 draws");
    }

    /** The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range). */
    static int ephemeralStart() {
        try {
            // a stream, not Files.readString: /proc files report size 0 and readString returned one byte
            String[] range;
            try (var in = Files.newInputStream(EPHEMERAL_RANGE)) {
                range = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
            }
            return Integer.parseInt(range[0]);
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL_START;
        }
    }
}

package io.isthmus.collectives.tcp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class FreePortsTest {

    @Test
    void drawsABindablePortBelowTheEphemeralRange() throws IOException {
        int start = FreePorts.ephemeralStart();
        for (int i = 0; i < 20; i++) {
            int port = FreePorts.belowEphemeralRange();
            assertTrue(port >= 10_000 && port < start, port + " outside 10000.." + (start - 1));
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertTrue(s.isBound());
            }
        }
    }
}

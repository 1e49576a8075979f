package io.isthmus.collectives.tcp;

import io.isthmus.collectives.shm.PeerTimeoutException;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How the ranks learn each other's data addresses, as torch's MASTER_ADDR/MASTER_PORT store does:
 * rank 0 listens at the master host and port; every other rank connects there (retrying until the
 * master is up), registers its rank and data address, and once every rank has registered gets the
 * whole table back. Blocking sockets: it runs once, before the ring exists.
 *
 * <p>A registration is magic, rank, world size, host, port. The reply is TABLE and a (host, port)
 * per rank; MISSING, the ranks that never registered and the timeout, when rank 0 gave up waiting
 * (so every registered rank names them too); or REFUSED and why.
 */
final class TcpBootstrap {
    private static final int MAGIC = 0x49535448; // "ISTH"
    private static final int TABLE = 1;
    private static final int MISSING = 2;
    private static final int REFUSED = 3;
    /** A registered rank waits this long past the deadline for rank 0's verdict. */
    private static final long GRACE_MILLIS = 2000;
    private static final long RETRY_MILLIS = 50;

    private TcpBootstrap() {
    }

    /** Every rank's data address, by rank; {@code dataPort} is this rank's. */
    static List<RankAddress> exchange(int rank, int worldSize, int dataPort, TcpOptions options, long deadline) {
        return rank == 0 ? serve(worldSize, dataPort, options, deadline) : register(rank, worldSize, dataPort, options, deadline);
    }

    private static List<RankAddress> serve(int worldSize, int dataPort, TcpOptions options, long deadline) {
        String master = RankAddress.hostPort(options.masterHost(), options.masterPort());
        RankAddress[] table = new RankAddress[worldSize];
        table[0] = new RankAddress(0, advertised(options, options.masterHost()), dataPort);
        Socket[] registered = new Socket[worldSize];
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            try {
                server.bind(bindAddress(options, options.masterPort()), worldSize);
            } catch (IOException e) {
                throw new UncheckedIOException("rank 0 cannot listen for the bootstrap on port " + options.masterPort()
                        + " (" + e.getMessage() + ")", e);
            }
            for (int count = 1; count < worldSize; ) {
                long left = millisLeft(deadline);
                if (left <= 0) {
                    List<Integer> missing = new ArrayList<>();
                    for (int r = 1; r < worldSize; r++) {
                        if (registered[r] == null) {
                            missing.add(r);
                        }
                    }
                    for (Socket socket : registered) {
                        if (socket != null) {
                            replyMissing(socket, missing, options.joinTimeout());
                        }
                    }
                    throw new PeerTimeoutException(0, missing, "register with the bootstrap at " + master,
                            options.joinTimeout());
                }
                server.setSoTimeout(clampMillis(left));
                Socket socket;
                try {
                    socket = server.accept();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                RankAddress address = accept(socket, worldSize, registered, left);
                if (address != null) {
                    registered[address.rank()] = socket;
                    table[address.rank()] = address;
                    count++;
                }
            }
            for (int r = 1; r < worldSize; r++) {
                DataOutputStream out = output(registered[r]);
                out.writeInt(TABLE);
                for (RankAddress address : table) {
                    out.writeUTF(address.host());
                    out.writeInt(address.port());
                }
                out.flush();
            }
            return List.of(table);
        } catch (IOException e) {
            throw new UncheckedIOException("rank 0: the bootstrap at " + master + " failed (" + e.getMessage() + ")", e);
        } finally {
            Arrays.stream(registered).forEach(TcpBootstrap::closeQuietly);
        }
    }

    /** Reads one registration; returns the rank's address, or null (and closes) when it is refused. */
    private static RankAddress accept(Socket socket, int worldSize, Socket[] registered, long leftMillis) {
        try {
            socket.setSoTimeout(clampMillis(leftMillis));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            if (in.readInt() != MAGIC) {
                closeQuietly(socket); // not a rank of ours
                return null;
            }
            int rank = in.readInt();
            int world = in.readInt();
            String host = in.readUTF();
            int port = in.readInt();
            String refusal = world != worldSize ? "rank " + rank + " joined a world of " + world + ", rank 0 one of " + worldSize
                    : rank < 1 || rank >= worldSize ? "rank " + rank + " is outside a world of " + worldSize
                    : registered[rank] != null ? "rank " + rank + " registered twice"
                    : null;
            if (refusal == null) {
                return new RankAddress(rank, host, port);
            }
            DataOutputStream out = output(socket);
            out.writeInt(REFUSED);
            out.writeUTF(refusal);
            out.flush();
        } catch (IOException e) {
            // a connection that broke off before it registered was no rank yet: keep waiting
        }
        closeQuietly(socket);
        return null;
    }

    private static void replyMissing(Socket socket, List<Integer> missing, Duration timeout) {
        try {
            DataOutputStream out = output(socket);
            out.writeInt(MISSING);
            out.writeInt(missing.size());
            for (int rank : missing) {
                out.writeInt(rank);
            }
            out.writeLong(timeout.toMillis());
            out.flush();
        } catch (IOException e) {
            // that rank is gone as well; rank 0's own error names the missing ones
        }
    }

    private static List<RankAddress> register(int rank, int worldSize, int dataPort, TcpOptions options, long deadline) {
        String master = RankAddress.hostPort(options.masterHost(), options.masterPort());
        try (Socket socket = connect(rank, options, master, deadline)) {
            DataOutputStream out = output(socket);
            out.writeInt(MAGIC);
            out.writeInt(rank);
            out.writeInt(worldSize);
            out.writeUTF(advertised(options, socket.getLocalAddress().getHostAddress()));
            out.writeInt(dataPort);
            out.flush();
            socket.setSoTimeout(clampMillis(Math.max(1, millisLeft(deadline)) + GRACE_MILLIS));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int verdict = in.readInt();
            if (verdict == MISSING) {
                List<Integer> missing = new ArrayList<>();
                for (int i = in.readInt(); i > 0; i--) {
                    missing.add(in.readInt());
                }
                throw new PeerTimeoutException(rank, missing, "register with the bootstrap at " + master,
                        Duration.ofMillis(in.readLong()));
            }
            if (verdict == REFUSED) {
                throw new IllegalStateException("rank " + rank + ": the bootstrap at " + master + " refused it: " + in.readUTF());
            }
            if (verdict != TABLE) {
                throw new IllegalStateException("rank " + rank + ": the bootstrap at " + master + " replied " + verdict
                        + ", not a rank table: is another program listening there?");
            }
            List<RankAddress> table = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) {
                table.add(new RankAddress(r, in.readUTF(), in.readInt()));
            }
            return table;
        } catch (SocketTimeoutException e) {
            throw new PeerTimeoutException(rank, List.of(0), "send the rank table from its bootstrap at " + master,
                    options.joinTimeout());
        } catch (EOFException e) {
            throw new IllegalStateException("rank " + rank + ": rank 0 closed the bootstrap connection at " + master
                    + " before sending the rank table", e);
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + ": the bootstrap at " + master + " failed (" + e.getMessage() + ")", e);
        }
    }

    /** Connects to the master, retrying while nobody listens there yet. */
    private static Socket connect(int rank, TcpOptions options, String master, long deadline) throws IOException {
        InetSocketAddress address = new InetSocketAddress(options.masterHost(), options.masterPort());
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("rank " + rank + ": the master host " + options.masterHost()
                    + " does not resolve");
        }
        while (true) {
            long left = millisLeft(deadline);
            if (left <= 0) {
                throw new PeerTimeoutException(rank, List.of(0), "accept a bootstrap connection at " + master,
                        options.joinTimeout());
            }
            Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(address, clampMillis(left));
                return socket;
            } catch (ConnectException | NoRouteToHostException | SocketTimeoutException e) {
                closeQuietly(socket); // rank 0 is not up yet
                sleep(rank, Math.min(RETRY_MILLIS, left));
            } catch (IOException | RuntimeException e) {
                closeQuietly(socket);
                throw e;
            }
        }
    }

    /** The address this rank's sockets bind to: the listen host, or every interface. */
    static InetSocketAddress bindAddress(TcpOptions options, int port) {
        return options.listenHost() == null ? new InetSocketAddress(port) : new InetSocketAddress(options.listenHost(), port);
    }

    /** The host this rank tells the others: its listen host when it names one interface, else the fallback. */
    private static String advertised(TcpOptions options, String fallback) {
        String host = options.listenHost();
        return host == null || host.equals("0.0.0.0") || host.equals("::") ? fallback : host;
    }

    private static DataOutputStream output(Socket socket) throws IOException {
        return new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    }

    private static long millisLeft(long deadline) {
        return Math.ceilDiv(deadline - System.nanoTime(), 1_000_000L);
    }

    private static int clampMillis(long millis) {
        return (int) Math.clamp(millis, 1, Integer.MAX_VALUE);
    }

    private static void sleep(int rank, long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("rank " + rank + " interrupted while joining", e);
        }
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing: nothing left to do with it
            }
        }
    }
}

package io.isthmus.collectives.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The benchmark's baseline: an f32 allreduce over loopback TCP with plain blocking java.nio
 * SocketChannels in a star. Every rank sends its data to rank 0, which sums in rank order and sends
 * the result back. Not a production transport (that will be Netty, ring allreduce).
 */
final class TcpStarAllReduce implements AutoCloseable {
    private final int rank;
    private final SocketChannel[] peers; // rank 0: one per rank (index 0 unused); others: [0] = rank 0
    private final ByteBuffer buffer;

    private TcpStarAllReduce(int rank, SocketChannel[] peers, int maxFloats) {
        this.rank = rank;
        this.peers = peers;
        this.buffer = ByteBuffer.allocateDirect(4 * maxFloats).order(ByteOrder.nativeOrder());
    }

    /** Rank 0's side: listens on an ephemeral loopback port; {@link #accept} completes the star. */
    static ServerSocketChannel listen() throws IOException {
        return ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    static TcpStarAllReduce accept(ServerSocketChannel server, int worldSize, int maxFloats) throws IOException {
        SocketChannel[] peers = new SocketChannel[worldSize];
        for (int i = 1; i < worldSize; i++) {
            SocketChannel channel = server.accept();
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer hello = ByteBuffer.allocate(4);
            readFully(channel, hello);
            peers[hello.flip().getInt()] = channel;
        }
        return new TcpStarAllReduce(0, peers, maxFloats);
    }

    static TcpStarAllReduce connect(int port, int rank, int maxFloats) throws IOException {
        SocketChannel channel = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.write(ByteBuffer.allocate(4).putInt(0, rank));
        return new TcpStarAllReduce(rank, new SocketChannel[] {channel}, maxFloats);
    }

    void allReduceSum(float[] data, int offset, int length) {
        try {
            if (rank == 0) {
                for (int peer = 1; peer < peers.length; peer++) {
                    receive(peers[peer], length);
                    for (int i = 0; i < length; i++) {
                        data[offset + i] += buffer.getFloat(4 * i);
                    }
                }
                buffer.clear();
                buffer.asFloatBuffer().put(data, offset, length);
                for (int peer = 1; peer < peers.length; peer++) {
                    send(peers[peer], length);
                }
            } else {
                buffer.clear();
                buffer.asFloatBuffer().put(data, offset, length);
                send(peers[0], length);
                receive(peers[0], length);
                buffer.asFloatBuffer().get(data, offset, length);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + ": tcp allreduce failed", e);
        }
    }

    private void send(SocketChannel channel, int floats) throws IOException {
        ByteBuffer view = buffer.duplicate().position(0).limit(4 * floats);
        while (view.hasRemaining()) {
            channel.write(view);
        }
    }

    private void receive(SocketChannel channel, int floats) throws IOException {
        readFully(channel, buffer.clear().limit(4 * floats));
        buffer.clear();
    }

    private static void readFully(SocketChannel channel, ByteBuffer target) throws IOException {
        while (target.hasRemaining()) {
            if (channel.read(target) < 0) {
                throw new IOException("peer closed the connection");
            }
        }
    }

    @Override
    public void close() {
        for (SocketChannel channel : peers) {
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException ignored) {
                // closing a benchmark socket: nothing to recover
            }
        }
    }
}

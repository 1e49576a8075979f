package io.isthmus.collectives.tcp;

import io.isthmus.collectives.shm.PeerTimeoutException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A rank's two connections in the ring, on one Netty event-loop thread: frames go out to the
 * successor on a channel this rank opens, and come in from the predecessor on a channel it
 * accepts (after a hello saying who connects). The event loop queues incoming frames, then a
 * marker when the connection ends; the communicator's thread takes them in order.
 */
final class RingLinks implements AutoCloseable {
    /** How long close() lets the frames already written drain to the successor. */
    private static final long DRAIN_MILLIS = 5000;

    /** The connection from the predecessor ended; queued after its last frame. */
    private record Ended(String why) {
    }

    private final RingSchedule ring;
    private final EventLoopGroup group;
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final CountDownLatch greeted = new CountDownLatch(1);
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final ChannelFutureListener recordSendFailure = write -> {
        if (!write.isSuccess()) {
            failSends("a write failed (" + write.cause() + ")");
        }
    };
    private Channel server;
    private volatile Channel inbound;
    private Channel outbound;
    private volatile String sendFailure;
    private ChannelFuture lastWrite;

    private RingLinks(RingSchedule ring) {
        this.ring = ring;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("isthmus-tcp-rank" + ring.rank(), true),
                NioIoHandler.newFactory());
    }

    /** Starts the event loop and accepts the predecessor on the options' listen host and data port. */
    static RingLinks listen(RingSchedule ring, TcpOptions options) {
        RingLinks links = new RingLinks(ring);
        ChannelFuture bind = new ServerBootstrap().group(links.group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(Frames.decoder(), links.new PredecessorHandler());
                    }
                })
                .bind(TcpBootstrap.bindAddress(options, options.dataPort())).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            links.close();
            throw new IllegalStateException("rank " + ring.rank() + " cannot listen on port " + options.dataPort()
                    + " (" + bind.cause().getMessage() + ")", bind.cause());
        }
        links.server = bind.channel();
        return links;
    }

    /** The port the predecessor connects to. */
    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Opens the connection to the successor and says hello. */
    void connect(RankAddress successor, long deadline, Duration joinTimeout) {
        long left = Math.max(1, deadline - System.nanoTime());
        ChannelFuture connect = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.clamp(TimeUnit.NANOSECONDS.toMillis(left), 1, Integer.MAX_VALUE))
                .handler(new SuccessorHandler())
                .connect(successor.socketAddress());
        if (!connect.awaitUninterruptibly(left, TimeUnit.NANOSECONDS) || connect.cause() instanceof ConnectTimeoutException) {
            connect.channel().close();
            throw new PeerTimeoutException(ring.rank(), List.of(successor.rank()),
                    "accept the ring connection at " + RankAddress.hostPort(successor.host(), successor.port()), joinTimeout);
        }
        if (!connect.isSuccess()) {
            throw new IllegalStateException("rank " + ring.rank() + " cannot open its ring connection to " + successor
                    + " (" + connect.cause().getMessage() + ")", connect.cause());
        }
        outbound = connect.channel();
        send(Frames.hello(outbound.alloc(), ring.rank(), ring.worldSize()));
    }

    /** Waits for the predecessor's connection and hello. */
    void awaitPredecessor(long deadline, Duration joinTimeout) {
        try {
            if (!greeted.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                throw new PeerTimeoutException(ring.rank(), List.of(ring.predecessor()), "open its ring connection"
                        + (refused.isEmpty() ? "" : " (refused meanwhile: " + String.join("; ", refused) + ")"), joinTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("rank " + ring.rank() + " interrupted while joining", e);
        }
    }

    ByteBufAllocator allocator() {
        return outbound.alloc();
    }

    /** Queues a frame to the successor (the event loop writes it); takes ownership of the buffer. */
    void send(ByteBuf frame) {
        String failed = sendFailure;
        if (failed != null) {
            frame.release();
            throw new IllegalStateException("rank " + ring.rank() + ": cannot send to rank " + ring.successor() + ": " + failed);
        }
        lastWrite = outbound.writeAndFlush(frame).addListener(recordSendFailure);
    }

    /**
     * The next frame from the predecessor, to be released by the caller.
     *
     * @throws PeerTimeoutException  when none arrives within {@code timeout}
     * @throws IllegalStateException when the connection ended
     */
    ByteBuf receive(CollectiveCall call, Duration timeout) {
        Object item;
        try {
            item = inbox.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("rank " + ring.rank() + ": interrupted in " + call, e);
        }
        if (item == null) {
            throw new PeerTimeoutException(ring.rank(), List.of(ring.predecessor()), "send its part of " + call, timeout);
        }
        if (item instanceof Ended ended) {
            throw new IllegalStateException("rank " + ring.rank() + ": the connection from rank " + ring.predecessor()
                    + " " + ended.why() + " while this rank waited in " + call);
        }
        return (ByteBuf) item;
    }

    /** Lets the frames already written drain, closes every channel and stops the event loop. */
    @Override
    public void close() {
        ChannelFuture last = lastWrite;
        if (last != null) {
            last.awaitUninterruptibly(DRAIN_MILLIS);
        }
        for (Channel channel : new Channel[] {outbound, inbound, server}) {
            if (channel != null) {
                channel.close().awaitUninterruptibly(DRAIN_MILLIS);
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        for (Object item; (item = inbox.poll()) != null; ) {
            ReferenceCountUtil.release(item);
        }
    }

    private void failSends(String why) {
        if (sendFailure == null) {
            sendFailure = why;
        }
    }

    /** Why a connection's hello does not make it this rank's predecessor, or null when it does. */
    private String refusal(Frames.Hello hello, Channel channel) {
        if (hello == null) {
            return "a connection from " + channel.remoteAddress() + " that did not start with a hello";
        }
        if (hello.rank() != ring.predecessor() || hello.worldSize() != ring.worldSize()) {
            return "a connection from rank " + hello.rank() + " of a world of " + hello.worldSize() + " (expected rank "
                    + ring.predecessor() + " of " + ring.worldSize() + ")";
        }
        if (hello.littleEndian() != (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN)) {
            return "rank " + hello.rank() + " stores values in another byte order than rank " + ring.rank();
        }
        return inbound != null ? "a second connection from rank " + hello.rank() : null;
    }

    /** On an accepted connection: checks the hello, then queues every frame. */
    private final class PredecessorHandler extends ChannelInboundHandlerAdapter {
        private boolean accepted;

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            ByteBuf frame = (ByteBuf) message;
            if (accepted) {
                inbox.add(frame);
                return;
            }
            String refusal;
            try {
                refusal = refusal(Frames.readHello(frame), context.channel());
            } finally {
                frame.release();
            }
            if (refusal != null) {
                refused.add(refusal);
                context.close();
                return;
            }
            accepted = true;
            inbound = context.channel();
            greeted.countDown();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            if (accepted) {
                inbox.add(new Ended("closed"));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            if (accepted) {
                inbox.add(new Ended("failed (" + cause + ")"));
            } else {
                refused.add("a connection from " + context.channel().remoteAddress() + " that failed (" + cause + ")");
            }
            context.close();
        }
    }

    /** On the connection to the successor, which never sends: notes when it ends. */
    private final class SuccessorHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            ReferenceCountUtil.release(message);
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            failSends("rank " + ring.successor() + " closed the connection");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            failSends("the connection failed (" + cause + ")");
            context.close();
        }
    }
}

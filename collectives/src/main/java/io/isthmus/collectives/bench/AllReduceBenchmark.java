package io.isthmus.collectives.bench;

import io.isthmus.collectives.WireType;
import io.isthmus.collectives.shm.JobDirectory;
import io.isthmus.collectives.shm.ShmCommunicator;
import io.isthmus.collectives.tcp.FreePorts;
import io.isthmus.collectives.tcp.TcpCommunicator;
import io.isthmus.collectives.tcp.TcpOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * f32 allreduce latency and bus bandwidth of {@link ShmCommunicator}, of the Netty ring allreduce
 * of {@link TcpCommunicator} over loopback, and of a loopback TCP star ({@link TcpStarAllReduce}),
 * measured in the same run, each rank a separate JVM.
 *
 * <pre>java [isthmus.jvm.flags] -cp ... io.isthmus.collectives.bench.AllReduceBenchmark [--worlds 2,4] [--max-bytes 67108864]</pre>
 *
 * Prints a Markdown table per world size. Rank 0 times each call; bus bandwidth is
 * bytes × 2(N−1)/N ÷ p50 time (the NCCL convention).
 */
public final class AllReduceBenchmark {
    private static final int MIN_BYTES = 1 << 10;
    private static final long BYTES_PER_SIZE = 128L << 20; // data moved per size and transport
    private static final int MAX_ITERATIONS = 2000;
    private static final int MIN_ITERATIONS = 5;

    private AllReduceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String role = option(args, "--rank", null);
        int maxBytes = Integer.parseInt(option(args, "--max-bytes", String.valueOf(64 << 20)));
        if (role != null) {
            int rank = Integer.parseInt(role);
            int world = Integer.parseInt(option(args, "--world", "2"));
            runRank(Path.of(option(args, "--job", "")), rank, world, maxBytes);
            return;
        }
        System.out.printf("allreduce f32, ranks as separate JVMs on %d cores: shm, Netty TCP ring, loopback TCP star (java.nio)%n",
                Runtime.getRuntime().availableProcessors());
        for (String world : option(args, "--worlds", "2,4").split(",")) {
            coordinate(Integer.parseInt(world.trim()), maxBytes);
        }
    }

    private static String option(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    /** Starts ranks 1..N-1 as child JVMs and runs rank 0 here. */
    private static void coordinate(int world, int maxBytes) throws Exception {
        Path jobDir = JobDirectory.of("bench-" + ProcessHandle.current().pid() + "-" + world);
        List<Process> children = new ArrayList<>();
        try {
            for (int rank = 1; rank < world; rank++) {
                children.add(ChildJvm.start(AllReduceBenchmark.class, List.of("--rank", String.valueOf(rank),
                        "--world", String.valueOf(world), "--job", jobDir.toString(),
                        "--max-bytes", String.valueOf(maxBytes))));
            }
            runRank(jobDir, 0, world, maxBytes);
            for (Process child : children) {
                if (!child.waitFor(30, TimeUnit.SECONDS) || child.exitValue() != 0) {
                    throw new IllegalStateException("a benchmark rank failed: " + child.info());
                }
            }
        } finally {
            children.forEach(ChildJvm::kill);
            JobDirectory.remove(jobDir);
        }
    }

    private static void runRank(Path jobDir, int rank, int world, int maxBytes) throws IOException {
        int maxFloats = maxBytes / 4;
        ShmCommunicator.Options options = ShmCommunicator.Options.defaults();
        String bufferBytes = System.getProperty("isthmus.bench.bufferBytes");
        if (bufferBytes != null) {
            int buffer = Integer.parseInt(bufferBytes);
            options = new ShmCommunicator.Options(buffer, Math.min(buffer, options.smallMaxBytes()),
                    options.joinTimeout(), options.timeout());
        }
        try (ShmCommunicator shm = ShmCommunicator.create(jobDir, rank, world, options);
                TcpStarAllReduce star = joinTcp(shm, maxFloats);
                TcpCommunicator ring = joinRing(shm)) {
            float[] data = new float[maxFloats];
            if (rank == 0) {
                System.out.printf("%n%d ranks%n%n", world);
                System.out.println("| size | shm p50 µs | shm p99 µs | shm busbw GB/s | ring p50 µs | ring p99 µs"
                        + " | ring busbw GB/s | star p50 µs | star p99 µs | star busbw GB/s | star/shm p50 | ring/shm p50 |");
                System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            }
            // JIT warm-up for every transport before the first timed size
            int warmUpFloats = Math.min(4096, maxFloats);
            measure(4 * MAX_ITERATIONS, () -> shm.allReduceSum(data, 0, warmUpFloats, WireType.F32));
            measure(MAX_ITERATIONS, () -> ring.allReduceSum(data, 0, warmUpFloats, WireType.F32));
            measure(MAX_ITERATIONS, () -> star.allReduceSum(data, 0, warmUpFloats));
            for (int bytes = MIN_BYTES; bytes <= maxBytes; bytes *= 4) {
                int floats = bytes / 4;
                int iterations = (int) Math.clamp(BYTES_PER_SIZE / bytes, MIN_ITERATIONS, MAX_ITERATIONS);
                shm.barrier();
                Latencies shmTimes = measure(iterations, () -> shm.allReduceSum(data, 0, floats, WireType.F32));
                shm.barrier();
                Latencies ringTimes = measure(iterations, () -> ring.allReduceSum(data, 0, floats, WireType.F32));
                shm.barrier();
                Latencies starTimes = measure(iterations, () -> star.allReduceSum(data, 0, floats));
                if (rank == 0) {
                    printRow(bytes, world, shmTimes, ringTimes, starTimes);
                }
            }
            shm.barrier();
        }
    }

    /** Rank 0 picks a free loopback port for the ring's bootstrap and broadcasts it over shm. */
    private static TcpCommunicator joinRing(ShmCommunicator shm) throws IOException {
        byte[] port = new byte[4];
        if (shm.rank() == 0) {
            ByteBuffer.wrap(port).putInt(FreePorts.belowEphemeralRange());
        }
        shm.broadcast(port, 0, 4, 0);
        TcpOptions options = TcpOptions.of("127.0.0.1", ByteBuffer.wrap(port).getInt()).withListenHost("127.0.0.1");
        return TcpCommunicator.create(shm.rank(), shm.worldSize(), options);
    }

    /** Rank 0 listens on an ephemeral port and broadcasts it over shm; the others connect. */
    private static TcpStarAllReduce joinTcp(ShmCommunicator shm, int maxFloats) throws IOException {
        byte[] port = new byte[4];
        if (shm.rank() == 0) {
            try (ServerSocketChannel server = TcpStarAllReduce.listen()) {
                ByteBuffer.wrap(port).putInt(((java.net.InetSocketAddress) server.getLocalAddress()).getPort());
                shm.broadcast(port, 0, 4, 0);
                return TcpStarAllReduce.accept(server, shm.worldSize(), maxFloats);
            }
        }
        shm.broadcast(port, 0, 4, 0);
        return TcpStarAllReduce.connect(ByteBuffer.wrap(port).getInt(), shm.rank(), maxFloats);
    }

    private static Latencies measure(int iterations, Runnable call) {
        for (int i = 0; i < Math.max(MIN_ITERATIONS, iterations / 4); i++) {
            call.run(); // warm-up: JIT and page faults
        }
        Latencies times = new Latencies(iterations);
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            call.run();
            times.add(System.nanoTime() - start);
        }
        return times;
    }

    private static void printRow(int bytes, int world, Latencies shm, Latencies ring, Latencies star) {
        StringBuilder row = new StringBuilder("| ").append(size(bytes)).append(" |");
        for (Latencies times : new Latencies[] {shm, ring, star}) {
            double p50 = times.quantileMicros(0.5);
            row.append(String.format(Locale.ROOT, " %.1f | %.1f | %.2f |", p50, times.quantileMicros(0.99),
                    bytes * 2.0 * (world - 1) / world / p50 / 1e3));
        }
        double shmP50 = shm.quantileMicros(0.5);
        row.append(String.format(Locale.ROOT, " %.1f× | %.1f× |", star.quantileMicros(0.5) / shmP50, ring.quantileMicros(0.5) / shmP50));
        System.out.println(row);
    }

    private static String size(int bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
    }
}

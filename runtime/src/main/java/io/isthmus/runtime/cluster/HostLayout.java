package io.isthmus.runtime.cluster;

import io.isthmus.collectives.hier.HostGroups;
import io.isthmus.collectives.tcp.TcpOptions;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which of a job's hosts this launcher runs on, as torchrun's {@code --nnodes}, {@code --node-rank},
 * {@code --master-addr} and {@code --master-port} say it ("host" here, because "node" is a NUMA node
 * in this project). Every host runs the same number of ranks, L; host h holds global ranks
 * h·L .. h·L + L − 1, so rank 0 (the driver) is on host 0, and the hosts' leaders (local rank 0)
 * talk over TCP through host 0's bootstrap at the master address.
 *
 * @param hosts      hosts in the job (1: a single-host job, which needs no master)
 * @param hostRank   this host's number, 0 for the driver's
 * @param masterAddr where host 0 listens for the other hosts' leaders (null with one host)
 * @param masterPort its port (0 with one host)
 */
public record HostLayout(int hosts, int hostRank, String masterAddr, int masterPort) {

    static final String HOSTS = "ISTHMUS_HOSTS";
    static final String HOST_RANK = "ISTHMUS_HOST_RANK";
    static final String LOCAL_RANK = "ISTHMUS_LOCAL_RANK";
    static final String LOCAL_WORLD_SIZE = "ISTHMUS_LOCAL_WORLD_SIZE";
    private static final HostLayout SINGLE = new HostLayout(1, 0, null, 0);

    public HostLayout {
        if (hosts < 1) {
            throw new IllegalArgumentException("--hosts must be at least 1, got " + hosts);
        }
        if (hostRank < 0 || hostRank >= hosts) {
            throw new IllegalArgumentException("--host-rank " + hostRank + " is not one of the " + hosts
                    + " hosts (0.." + (hosts - 1) + ")");
        }
        if (hosts > 1) {
            if (masterAddr == null || masterAddr.isBlank()) {
                throw new IllegalArgumentException("a job on " + hosts + " hosts needs --master-addr (host 0's address)");
            }
            if (masterPort < 1 || masterPort > 65535) {
                throw new IllegalArgumentException("a job on " + hosts + " hosts needs --master-port in 1-65535, got "
                        + masterPort);
            }
        }
    }

    /** A job on this host alone. */
    public static HostLayout single() {
        return SINGLE;
    }

    public boolean isMultiHost() {
        return hosts > 1;
    }

    /** Whether this host runs the driver (rank 0). */
    public boolean isDriverHost() {
        return hostRank == 0;
    }

    /** The global rank of local rank {@code localRank} when every host runs {@code localWorld} ranks. */
    public int globalRank(int localRank, int localWorld) {
        return hostRank * localWorld + localRank;
    }

    /** Which host each global rank is on, for {@code localWorld} ranks per host. */
    public HostGroups hostGroups(int localWorld) {
        return HostGroups.contiguous(hosts, localWorld);
    }

    /** The leaders' TCP options: host 0's bootstrap at the master address. */
    TcpOptions tcpOptions() {
        if (!isMultiHost()) {
            throw new IllegalStateException("a single-host job has no TCP leaders");
        }
        return TcpOptions.of(masterAddr, masterPort);
    }

    /**
     * What a worker of local rank {@code localRank} (of {@code localWorld} on this host) needs on top of
     * its rank plan's environment: its global rank and world size, and this layout.
     */
    Map<String, String> environment(int localRank, int localWorld) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("ISTHMUS_RANK", String.valueOf(globalRank(localRank, localWorld)));
        env.put("ISTHMUS_WORLD_SIZE", String.valueOf(hosts * localWorld));
        env.put(LOCAL_RANK, String.valueOf(localRank));
        env.put(LOCAL_WORLD_SIZE, String.valueOf(localWorld));
        env.put(HOSTS, String.valueOf(hosts));
        env.put(HOST_RANK, String.valueOf(hostRank));
        if (isMultiHost()) {
            env.put(TcpOptions.MASTER_ADDR, masterAddr);
            env.put(TcpOptions.MASTER_PORT, String.valueOf(masterPort));
        }
        return env;
    }

    /** The layout a worker's environment describes (a single host where it names none). */
    static HostLayout fromEnvironment(Map<String, String> env) {
        String hosts = env.get(HOSTS);
        if (hosts == null || hosts.isBlank() || Integer.parseInt(hosts.trim()) == 1) {
            return SINGLE;
        }
        TcpOptions master = TcpOptions.fromEnvironment(env);
        String hostRank = env.get(HOST_RANK);
        if (hostRank == null || hostRank.isBlank()) {
            throw new IllegalArgumentException(HOST_RANK + " is not set, but " + HOSTS + "=" + hosts);
        }
        return new HostLayout(Integer.parseInt(hosts.trim()), Integer.parseInt(hostRank.trim()),
                master.masterHost(), master.masterPort());
    }

    /** One line for plans and logs. */
    public String describe() {
        return isMultiHost()
                ? "host " + hostRank + " of " + hosts + " (master " + masterAddr + ":" + masterPort + ")"
                : "a single host";
    }
}

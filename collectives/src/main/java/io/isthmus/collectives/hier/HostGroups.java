package io.isthmus.collectives.hier;

import java.util.Arrays;

/**
 * Which host each rank of a job runs on. Hosts are numbered 0..H−1; a host's ranks are numbered
 * locally in ascending global rank, and its lowest rank (local rank 0) is its leader, which is
 * rank {@code host} among the leaders.
 */
public final class HostGroups {
    private final int[] hostOfRank;
    private final int[] localRank;
    private final int[][] ranksOn;

    private HostGroups(int[] hostOfRank) {
        this.hostOfRank = hostOfRank;
        int hosts = Arrays.stream(hostOfRank).max().orElse(-1) + 1;
        int[] sizes = new int[hosts];
        this.localRank = new int[hostOfRank.length];
        for (int rank = 0; rank < hostOfRank.length; rank++) {
            int host = hostOfRank[rank];
            if (host < 0) {
                throw new IllegalArgumentException("rank " + rank + " is on host " + host + "; hosts are numbered from 0");
            }
            localRank[rank] = sizes[host]++;
        }
        this.ranksOn = new int[hosts][];
        for (int host = 0; host < hosts; host++) {
            if (sizes[host] == 0) {
                throw new IllegalArgumentException("no rank is on host " + host + " of " + hosts
                        + "; hosts must be numbered 0.." + (hosts - 1) + " without gaps");
            }
            ranksOn[host] = new int[sizes[host]];
        }
        for (int rank = 0; rank < hostOfRank.length; rank++) {
            ranksOn[hostOfRank[rank]][localRank[rank]] = rank;
        }
    }

    /** {@code hostOfRank[r]} is the host of global rank r. */
    public static HostGroups of(int... hostOfRank) {
        if (hostOfRank.length == 0) {
            throw new IllegalArgumentException("a job needs at least one rank");
        }
        return new HostGroups(hostOfRank.clone());
    }

    /** {@code hosts} hosts of {@code ranksPerHost} consecutive ranks each. */
    public static HostGroups contiguous(int hosts, int ranksPerHost) {
        if (hosts < 1 || ranksPerHost < 1) {
            throw new IllegalArgumentException(hosts + " hosts of " + ranksPerHost + " ranks: both must be at least 1");
        }
        int[] hostOfRank = new int[hosts * ranksPerHost];
        for (int rank = 0; rank < hostOfRank.length; rank++) {
            hostOfRank[rank] = rank / ranksPerHost;
        }
        return new HostGroups(hostOfRank);
    }

    public int worldSize() {
        return hostOfRank.length;
    }

    public int hostCount() {
        return ranksOn.length;
    }

    public int hostOf(int rank) {
        return hostOfRank[rank];
    }

    /** The rank's index among its host's ranks. */
    public int localRank(int rank) {
        return localRank[rank];
    }

    /** How many ranks run on {@code host}. */
    public int hostSize(int host) {
        return ranksOn[host].length;
    }

    /** The global rank of local rank {@code local} on {@code host}. */
    public int globalRank(int host, int local) {
        return ranksOn[host][local];
    }

    public boolean isLeader(int rank) {
        return localRank[rank] == 0;
    }

    /** The ranks of the most crowded host. */
    public int largestHostSize() {
        return Arrays.stream(ranksOn).mapToInt(ranks -> ranks.length).max().orElseThrow();
    }

    @Override
    public String toString() {
        return "hosts of ranks " + Arrays.deepToString(ranksOn);
    }
}

package io.isthmus.collectives.shm;

/**
 * What a rank registers at the rendezvous.
 *
 * @param cores   its core list, as {@code 0-27,56-83}
 * @param node    the NUMA node its memory is bound to, or -1 when unbound
 * @param segment its segment file's name in the job directory
 */
public record RankInfo(int rank, long pid, String host, String cores, int node, String segment) {
    private static final String SEPARATOR = "\t";

    public RankInfo {
        for (String text : new String[] {host, cores, segment}) {
            if (text.contains(SEPARATOR)) {
                throw new IllegalArgumentException("a tab in " + text);
            }
        }
    }

    /** This process as {@code rank}: its pid, host name, current affinity and segment name. */
    public static RankInfo ofThisProcess(int rank, int node) {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "localhost";
        }
        return new RankInfo(rank, ProcessHandle.current().pid(), host,
                io.isthmus.numa.CoreList.format(io.isthmus.numa.Affinity.currentAffinity()), node,
                JobDirectory.segmentFile(java.nio.file.Path.of(""), rank).getFileName().toString());
    }

    String encode() {
        return String.join(SEPARATOR, String.valueOf(rank), String.valueOf(pid), host, cores,
                String.valueOf(node), segment);
    }

    static RankInfo decode(CharSequence text) {
        String[] fields = text.toString().split(SEPARATOR, -1);
        return new RankInfo(Integer.parseInt(fields[0]), Long.parseLong(fields[1]), fields[2], fields[3],
                Integer.parseInt(fields[4]), fields[5]);
    }
}

package io.isthmus.collectives.tcp;

import java.net.InetSocketAddress;

/** Where a rank accepts its ring predecessor's connection. */
record RankAddress(int rank, String host, int port) {

    InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return "rank " + rank + " at " + hostPort(host, port);
    }

    static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}

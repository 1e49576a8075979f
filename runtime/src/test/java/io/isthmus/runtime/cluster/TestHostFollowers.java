package io.isthmus.runtime.cluster;

import io.isthmus.numa.CoreList;
import io.isthmus.numa.RankPlanner;
import io.isthmus.numa.Topology;
import io.isthmus.runtime.api.Engine;

import java.nio.file.Path;

/**
 * Another host's launcher for MultiHostEngineTest, on this machine: {@code MODEL HOSTS HOST_RANK
 * MASTER_PORT CORES RANKS} runs that host's ranks (bound to CORES) as {@link HostFollowers} until
 * the driver ends the job; exits 0 then, 1 when a rank failed.
 */
public final class TestHostFollowers {

    public static void main(String[] args) throws Exception {
        var plan = new RankPlanner(Topology.live()).bindCoreList(CoreList.parse(args[4]), Integer.parseInt(args[5]));
        var hosts = new HostLayout(Integer.parseInt(args[1]), Integer.parseInt(args[2]), "127.0.0.1",
                Integer.parseInt(args[3]));
        try {
            HostFollowers.run(Engine.specOf(Path.of(args[0])), plan, hosts, System.out::println);
        } catch (WorkerFailure e) {
            System.out.println("host " + hosts.hostRank() + ": " + e.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }
}

package io.isthmus.numa;

/**
 * One online logical CPU.
 *
 * @param id       the kernel's CPU number
 * @param socket   its package ({@code topology/physical_package_id})
 * @param coreId   its core within the package ({@code topology/core_id}; unique per socket only)
 * @param node     the NUMA node whose cpulist holds it
 * @param siblings the online hardware threads of its physical core, itself included
 */
public record Cpu(int id, int socket, int coreId, int node, CpuSet siblings) {

    /** Whether this CPU is the lowest-numbered thread of its core, the one a plan uses. */
    public boolean isFirstThread() {
        return siblings.toArray()[0] == id;
    }
}

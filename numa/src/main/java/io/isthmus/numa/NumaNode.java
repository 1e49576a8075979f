package io.isthmus.numa;

import java.util.OptionalLong;

/**
 * A NUMA node. Memory-only nodes (HBM, CXL) have no CPUs.
 *
 * @param id            the node number
 * @param cpus          its online CPUs
 * @param memTotalBytes MemTotal of {@code nodeN/meminfo}, when the file exists
 */
public record NumaNode(int id, CpuSet cpus, OptionalLong memTotalBytes) {
}

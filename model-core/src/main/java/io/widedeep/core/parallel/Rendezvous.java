package io.widedeep.core.parallel;

import java.net.InetSocketAddress;

/**
 * Where the ranks of one group (one generation: a job attempt) find each other's addresses. The
 * trainer's implementation writes them to the storage every task manager shares already (the
 * checkpoint directory); tests and benchmarks keep them in memory.
 */
public interface Rendezvous {
    void publish(long generation, int rank, InetSocketAddress address);

    /** The address rank published for generation, waiting for it until the deadline; null if none came. */
    InetSocketAddress await(long generation, int rank, long deadlineNanos) throws InterruptedException;

    /**
     * Forgets rank's address: called by each rank once every rank above it (the only ones that dial
     * it) has connected.
     */
    default void retract(long generation, int rank) {}
}

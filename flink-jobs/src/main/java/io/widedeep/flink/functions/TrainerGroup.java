package io.widedeep.flink.functions;

import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.parallel.Collective;
import io.widedeep.core.parallel.TcpCollective;
import io.widedeep.flink.JobOptions;
import io.widedeep.flink.cluster.SharedDirRendezvous;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer subtasks of one job attempt as a {@link Collective} group: they find each other through
 * files in the checkpoint directory, and can compare their models at a checkpoint.
 */
final class TrainerGroup implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerGroup.class);

    private final Collective collective;
    private Counter checksPassed;

    private TrainerGroup(Collective collective) {
        this.collective = collective;
    }

    /**
     * Joins the other trainers of this attempt, or returns null for a single trainer. Every restart
     * restarts all trainers, each with the next attempt number: one group per attempt.
     */
    static TrainerGroup join(RuntimeContext ctx, JobOptions options) {
        var task = ctx.getTaskInfo();
        int rank = task.getIndexOfThisSubtask(), size = task.getNumberOfParallelSubtasks();
        if (size == 1) return null;
        String jobId = ctx.getJobInfo().getJobId().toString();
        Collective c = TcpCollective.open(rank, size, task.getAttemptNumber(),
                new SharedDirRendezvous(options.checkpointDir, jobId), bindHost(options), options.trainers.timeoutMs());
        LOG.info("trainer {} of {} joined its group (attempt {})", rank, size, task.getAttemptNumber());
        return new TrainerGroup(c);
    }

    private static String bindHost(JobOptions options) {
        if (options.trainers.bindHost() != null) return options.trainers.bindHost();
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot find this host's address for the trainers' group; set --trainer.bind.host", e);
        }
    }

    Collective collective() {
        return collective;
    }

    void countChecks(Counter passed) {
        this.checksPassed = passed;
    }

    /**
     * Compares every trainer's weights digest at a checkpoint (every trainer is between the same two
     * steps): a difference stops the job, since publishing one replica of a split model would hide it.
     */
    void verifyReplicas(WideDeepModel model, long checkpointId) {
        String digest = ModelCodec.weightsDigest(model);
        double[] mine = {Long.parseUnsignedLong(digest.substring(0, 13), 16)}; // 52 bits: exact in a double
        double[] all = new double[collective.size()];
        int[] counts = new int[collective.size()];
        Arrays.fill(counts, 1);
        collective.allGather(mine, counts, all);
        for (int r = 0; r < all.length; r++) {
            if (all[r] != all[0]) {
                throw new SuppressRestartsException(new IllegalStateException(String.format(
                        "checkpoint %d: trainer %d's model differs from trainer 0's (weights digests %s): the replicas "
                                + "have diverged", checkpointId, r, Arrays.toString(all))));
            }
        }
        if (checksPassed != null) checksPassed.inc();
        LOG.info("checkpoint {}: all {} trainers hold model {} ({} examples)", checkpointId, all.length,
                digest.substring(0, 16), model.trainedExamples());
    }

    @Override
    public void close() {
        collective.close();
    }
}

package io.widedeep.flink.local;

import io.widedeep.core.config.CommandLine;
import io.widedeep.flink.JobOptions;
import io.widedeep.flink.TrainingJob;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ExceptionUtils;

/**
 * {@code ./widedeep train}: the training job in this process (a Flink MiniCluster), crash-safe.
 * It resumes from the newest checkpoint retained in {@code checkpoint.dir} (after a stop, a crash
 * or {@code kill -9}) and says so on its first line; {@code --fresh} starts a new model instead.
 * The restored checkpoint is claimed: the job deletes it once its own checkpoints supersede it.
 */
public final class LocalTraining {
    private LocalTraining() {}

    public static void main(String[] argv) throws Exception {
        JobOptions options = CommandLine.parseOrExit("train", () -> new JobOptions(argv));
        boolean fresh = options.fresh;
        Configuration conf = TrainingJob.configuration(options);
        Optional<Path> latest = fresh ? Optional.empty() : RetainedCheckpoints.latest(options.checkpointDir);
        if (latest.isPresent()) {
            System.out.println("widedeep train: resuming from checkpoint " + latest.get()
                    + " (--fresh starts a new model instead)");
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, latest.get().toUri().toString());
            conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
        } else {
            System.out.println("widedeep train: starting a new model" + (fresh ? " (--fresh)"
                    : RetainedCheckpoints.localPath(options.checkpointDir) == null
                    ? " (checkpoint.dir is remote: resume on a cluster with flink run -s <checkpoint>)"
                    : " (no checkpoint retained in " + options.checkpointDir + ")"));
        }
        WorkingDirs.Claim work = WorkingDirs.claim(Path.of(System.getProperty("java.io.tmpdir"), "widedeep-flink"));
        if (work.removed() > 0) {
            System.out.println("widedeep train: removed " + work.removed() + " working director"
                    + (work.removed() == 1 ? "y" : "ies") + " left by runs that were killed");
        }
        conf.set(CoreOptions.TMP_DIRS, work.dir().toString());
        if (CommandLine.logFile() != null) {
            System.out.println("widedeep train: logs in " + CommandLine.logFile());
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        TrainingJob.build(env, options);
        try {
            env.execute(options.jobName);
        } catch (Exception e) {
            System.err.println("widedeep train: the job failed: " + rootMessage(e));
            System.exit(1);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable root = ExceptionUtils.stripExecutionException(e);
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}

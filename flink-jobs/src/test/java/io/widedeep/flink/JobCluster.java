package io.widedeep.flink;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/**
 * The MiniCluster the job's integration tests run on: one per test class through Flink's JUnit 5
 * extension; jobs started through {@code getExecutionEnvironment} while it runs are submitted to it.
 */
final class JobCluster {
    static MiniClusterExtension extension() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());
    }

    private JobCluster() {}
}

package io.widedeep.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The jar users submit with {@code flink run} carries the job, the model, the Kafka connector and
 * ND4J, and nothing a cluster provides or only tests need: no Flink runtime, no Kafka broker, no
 * Scala, no JUnit. (The reactor packages flink-jobs before this module's tests run.)
 */
class JobJarIT {
    private static final List<String> FORBIDDEN = List.of(
            "kafka/server/", "kafka/log/", "kafka/raft/", // the Scala broker (kafka_2.13)
            "org/apache/kafka/common/test/",              // Kafka's test kit
            "scala/", "org/junit/", "org/opentest4j/",
            "org/apache/flink/runtime/", "org/apache/flink/streaming/api/environment/",
            "org/apache/flink/api/common/", "org/apache/logging/log4j/core/");

    @Test
    void theJobJarHoldsTheJobAndNothingTheClusterOrTheTestsBring() throws IOException {
        Path jar;
        try (Stream<Path> files = Files.list(Path.of("..", "flink-jobs", "target"))) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().endsWith("-job.jar")).toList();
            assertEquals(1, jars.size(), "one job jar in flink-jobs/target: " + jars);
            jar = jars.get(0);
        }
        Set<String> required = Set.of("io/widedeep/flink/TrainingJob.class",
                "io/widedeep/core/model/WideDeepModel.class",
                "org/apache/flink/connector/kafka/source/KafkaSource.class",
                "org/apache/kafka/clients/consumer/KafkaConsumer.class");
        int found = 0;
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            var entries = zip.entries();
            while (entries.hasMoreElements()) {
                String name = entries.nextElement().getName();
                for (String prefix : FORBIDDEN) {
                    assertTrue(!name.startsWith(prefix), jar.getFileName() + " contains " + name);
                }
                if (required.contains(name)) found++;
            }
        }
        assertEquals(required.size(), found, "the job jar lacks one of " + required);
        System.out.printf("job jar %s: %,d bytes%n", jar.getFileName(), Files.size(jar));
    }
}

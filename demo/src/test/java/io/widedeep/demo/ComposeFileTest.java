package io.widedeep.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.widedeep.flink.JobOptions;
import io.widedeep.serving.ServingServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.RestOptions;
import org.junit.jupiter.api.Test;

/**
 * There is no Docker engine here, so the deployment is checked statically: every build context,
 * Dockerfile and file they copy exists, the ports agree with the code's defaults, and the commands
 * the compose file runs are accepted by the code's own option parsers.
 */
class ComposeFileTest {
    private static final Path DOCKER = Path.of("..", "docker").toAbsolutePath().normalize();
    private final JsonNode compose;

    ComposeFileTest() throws Exception {
        compose = new ObjectMapper(new YAMLFactory()).readTree(DOCKER.resolve("compose.yaml").toFile());
    }

    private JsonNode service(String name) {
        JsonNode s = compose.get("services").get(name);
        assertTrue(s != null, "service " + name + " is defined");
        return s;
    }

    @Test
    void everyBuildContextDockerfileAndCopiedFileExists() throws Exception {
        int builds = 0;
        for (var it = compose.get("services").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode build = e.getValue().get("build");
            if (build == null) continue;
            builds++;
            Path context = DOCKER.resolve(build.get("context").asText()).normalize();
            assertTrue(Files.isDirectory(context), e.getKey() + ": context " + context);
            Path dockerfile = context.resolve(build.get("dockerfile").asText());
            assertTrue(Files.isRegularFile(dockerfile), e.getKey() + ": " + dockerfile);
            if (build.has("target")) {
                assertTrue(Files.readString(dockerfile).contains(" AS " + build.get("target").asText() + "\n"),
                        e.getKey() + ": stage " + build.get("target").asText() + " in " + dockerfile);
            }
            String text = Files.readString(dockerfile);
            if (text.contains("mvn ")) {
                // a Maven build inside the image needs every module of the reactor (at least its POM)
                Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(DOCKER.resolve("../pom.xml")));
                while (module.find()) {
                    String m = module.group(1);
                    assertTrue(text.contains("COPY " + m + " ") || text.contains("COPY " + m + "/pom.xml "),
                            dockerfile.getFileName() + " copies module " + m);
                }
            }
            for (String line : Files.readAllLines(dockerfile)) {
                line = line.trim();
                if (!line.startsWith("COPY ") || line.contains("--from=")) continue;
                String[] parts = line.substring(5).trim().split("\\s+");
                for (int i = 0; i < parts.length - 1; i++) {
                    assertTrue(Files.exists(context.resolve(parts[i])), dockerfile.getFileName() + " copies " + parts[i]);
                }
            }
            // the image the other Flink services run is built by one of them
        }
        assertTrue(builds >= 4, "jobmanager, gpu taskmanager, serving and replay are built here");
        assertEquals(service("jobmanager").get("image").asText(), service("taskmanager").get("image").asText());
        // job-submit runs the jobmanager's image, or with FLINK_IMAGE the GPU TaskManager's (the GPU job jar)
        assertEquals("${FLINK_IMAGE:-" + service("jobmanager").get("image").asText() + "}", service("job-submit").get("image").asText());
        assertEquals("widedeep-flink-gpu", service("taskmanager-gpu").get("image").asText());
        for (var it = compose.get("services").fields(); it.hasNext(); ) {
            JsonNode vols = it.next().getValue().get("volumes");
            if (vols == null) continue;
            for (JsonNode v : vols) {
                String src = v.asText().split(":")[0];
                Matcher m = Pattern.compile("\\$\\{\\w+:-(.+)}").matcher(src);
                if (m.matches()) src = m.group(1);
                if (src.startsWith(".")) assertTrue(Files.exists(DOCKER.resolve(src)), "bind mount " + src);
            }
        }
    }

    @Test
    void portsAgreeWithTheCodesDefaults() {
        assertEquals(ServingServer.DEFAULT_PORT + ":" + ServingServer.DEFAULT_PORT, service("serving").get("ports").get(0).asText());
        assertEquals(RestOptions.PORT.defaultValue() + ":" + RestOptions.PORT.defaultValue(),
                service("jobmanager").get("ports").get(0).asText());
        List<String> cmd = new ArrayList<>();
        service("serving").get("command").forEach(c -> cmd.add(c.asText()));
        assertEquals(String.valueOf(ServingServer.DEFAULT_PORT), cmd.get(cmd.indexOf("--port") + 1));
        assertTrue(service("kafka").get("environment").get("KAFKA_ADVERTISED_LISTENERS").asText().contains("kafka:9092"));
    }

    @Test
    void commandsAreAcceptedByTheCodesOptionParsers() throws Exception {
        // as compose runs it with no variables set: ${NAME:-default} becomes the default
        String submit = service("job-submit").get("command").asText().trim().replaceAll("\\$\\{\\w+:-([^}]*)}", "$1");
        String[] words = submit.split("\\s+");
        int jar = 0;
        while (!words[jar].endsWith(".jar")) jar++;
        String flinkDockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
        assertTrue(flinkDockerfile.contains(words[jar]), "the job jar is where the image puts it: " + words[jar]);
        String[] jobArgs = java.util.Arrays.copyOfRange(words, jar + 1, words.length);
        JobOptions o = new JobOptions(jobArgs);
        assertEquals("kafka:9092", o.bootstrapServers);
        assertEquals(1, o.trainers.parallelism(), "one trainer unless TRAINERS says otherwise");

        String init = String.join("\n", toList(service("kafka-init").get("command")));
        for (String topic : List.of(o.clicksTopic, o.dlqTopic, o.updatesTopic, o.features.topic())) {
            assertTrue(init.contains("--topic " + topic + " "), "kafka-init creates " + topic);
            String line = init.substring(init.indexOf("--topic " + topic + " "));
            line = line.substring(0, line.indexOf("\n", line.indexOf("--partitions")));
            assertTrue(line.contains("retention.ms="), topic + " has a retention of its own: " + line);
        }
        assertTrue(init.contains("segment.ms="), "updates roll segments often enough for their retention to apply");
        String features = init.substring(init.indexOf("--topic " + o.features.topic() + " "));
        assertTrue(features.substring(0, features.indexOf("\n", features.indexOf("--partitions"))).contains("cleanup.policy=compact"),
                "the serving features are compacted: servers read each entity's latest state from the start");
        List<String> serving = toList(service("serving").get("command"));
        ServingServer.OPTIONS.parse(serving.toArray(new String[0]));
        List<String> replay = toList(service("replay").get("command")).stream()
                .map(w -> w.replaceAll("\\$\\{\\w+:-([^}]*)}", "$1")).toList();
        Replay.OPTIONS.parse(replay.toArray(new String[0]));
        assertTrue(compose.get("services").get("taskmanager-gpu").get("deploy").toString().contains("nvidia"));
        JsonNode gpu = compose.get("services").get("taskmanager-gpu");
        String gpuProps = gpu.get("environment").get("FLINK_PROPERTIES").asText();
        assertTrue(gpuProps.contains("external-resource.gpu.amount"), gpuProps);
        assertTrue(gpuProps.contains("-Dorg.bytedeco.javacpp.platform.extension=-gpu"), "JavaCPP loads libtorch's CUDA build there");
        assertEquals("-Pgpu", gpu.get("build").get("args").get("MAVEN_PROFILES").asText(), "the GPU job jar");
        assertTrue(submit.contains("--trainer.backend nd4j"), "the backend is chosen at submission, ND4J by default: " + submit);
    }

    @Test
    void prometheusScrapesServerAndFlinkAndGrafanaShowsTheirMetrics() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        // Flink reports to Prometheus on the port Prometheus scrapes
        String flinkProps = compose.get("x-flink-env").get("FLINK_PROPERTIES").asText();
        assertTrue(flinkProps.contains("PrometheusReporterFactory") && flinkProps.contains("metrics.reporter.prom.port: 9249"), flinkProps);
        JsonNode prom = yaml.readTree(DOCKER.resolve("prometheus/prometheus.yml").toFile());
        List<String> targets = new ArrayList<>();
        prom.get("scrape_configs").forEach(j -> j.get("static_configs").forEach(c -> c.get("targets").forEach(t -> targets.add(t.asText()))));
        int servingPort = Integer.parseInt(toList(service("serving").get("command")).get(toList(service("serving").get("command")).indexOf("--port") + 1));
        assertTrue(targets.containsAll(List.of("serving:" + servingPort, "jobmanager:9249", "taskmanager:9249")), targets.toString());
        for (String t : targets) {
            assertTrue(compose.get("services").has(t.split(":")[0]), "scrape target is a compose service: " + t);
        }
        // Grafana: provisioned data source and dashboard, mounted where the provisioning says
        JsonNode grafana = service("grafana");
        String mounts = grafana.get("volumes").toString();
        assertTrue(mounts.contains("./grafana/provisioning:/etc/grafana/provisioning") && mounts.contains("./grafana/dashboards:/var/lib/grafana/dashboards"), mounts);
        JsonNode ds = yaml.readTree(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yaml").toFile()).get("datasources").get(0);
        assertEquals("http://prometheus:9090", ds.get("url").asText());
        JsonNode provider = yaml.readTree(DOCKER.resolve("grafana/provisioning/dashboards/widedeep.yaml").toFile()).get("providers").get(0);
        assertEquals("/var/lib/grafana/dashboards", provider.get("options").get("path").asText());
        JsonNode dash = new ObjectMapper().readTree(DOCKER.resolve("grafana/dashboards/widedeep.json").toFile());
        StringBuilder exprs = new StringBuilder();
        for (JsonNode panel : dash.get("panels")) {
            assertEquals(ds.get("uid").asText(), panel.get("datasource").get("uid").asText(), panel.get("title").asText());
            panel.get("targets").forEach(t -> exprs.append(t.get("expr").asText()).append('\n'));
        }
        // every metric the dashboard asks for is one the code exports (server: Prometheus client; job: Flink gauges)
        String serverMetrics = Files.readString(Path.of("..", "serving", "src", "main", "java", "io", "widedeep", "serving", "http", "ServingMetrics.java"));
        StringBuilder jobSources = new StringBuilder();
        try (var files = Files.list(Path.of("..", "flink-jobs", "src", "main", "java", "io", "widedeep", "flink", "functions"))) {
            for (Path f : files.toList()) jobSources.append(Files.readString(f));
        }
        String trainer = jobSources.toString();
        Matcher m = Pattern.compile("(widedeep_[a-z_]+|flink_taskmanager_job_task_operator_([a-z_]+)|jvm_[a-z_]+)").matcher(exprs);
        int checked = 0;
        while (m.find()) {
            String name = m.group(1);
            if (name.startsWith("widedeep_")) {
                String base = name.replaceAll("_(bucket|total|count|sum)$", "");
                assertTrue(serverMetrics.contains("\"" + base + "\""), "the server exports " + name);
            } else if (m.group(2) != null) {
                assertTrue(trainer.contains("\"" + m.group(2) + "\""), "the job registers " + m.group(2));
            }
            checked++;
        }
        assertTrue(checked >= 15, "the dashboard covers the server and the job: " + exprs);
        for (String needed : List.of("widedeep_model_version", "widedeep_model_staleness_seconds", "widedeep_model_event_lag_seconds",
                "pv_logloss", "pv_auc", "examples_trained", "updates_held_back", "widedeep_request_seconds_bucket", "widedeep_freshness_seconds_bucket",
                "jvm_gc_collection_seconds", "dead_letters")) {
            assertTrue(exprs.toString().contains(needed), "the dashboard shows " + needed);
        }
    }

    private static List<String> toList(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isArray()) n.forEach(x -> out.add(x.asText())); else out.add(n.asText());
        return out;
    }
}

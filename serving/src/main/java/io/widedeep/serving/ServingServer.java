package io.widedeep.serving;

import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.OptionException;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.Settings;
import io.widedeep.serving.features.FeaturesFeed;
import io.widedeep.serving.features.ItemCatalog;
import io.widedeep.serving.features.UserFeatureStore;
import io.widedeep.serving.http.ApiHandler;
import io.widedeep.serving.http.Health;
import io.widedeep.serving.http.JsonErrorHandler;
import io.widedeep.serving.http.ServingMetrics;
import io.widedeep.serving.kafka.SupervisedFeed;
import io.widedeep.serving.os.SchedulerSlice;
import io.widedeep.serving.registry.ModelRegistry;
import io.widedeep.serving.registry.UpdateFeed;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code widedeep serve}: the model registry fed from the updates topic (and snapshot directory),
 * user histories and item attributes fed from the serving-features topic, and the HTTP API on Jetty.
 */
public final class ServingServer implements AutoCloseable {
    public static final int DEFAULT_PORT = 8080;

    /** The server's options: what parses them is what {@code --help} prints. */
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep serve --bootstrap.servers HOST:PORT [options]
            Serves recommendations over HTTP (POST /v1/recommend) from the newest model: loads the newest full
            snapshot, then applies the updates topic as it arrives; scores with the user histories and item
            attributes the training job publishes to the serving-features topic. /healthz, /readyz and /metrics
            (Prometheus) for operators.""")
            .table("""
                bootstrap.servers        required       text                  Kafka bootstrap servers
                port                     %d             0..65535              HTTP port (0: any free port)
                host                     0.0.0.0        text                  address to listen on
                topic.updates            model-updates  text                  topic the training job publishes model updates to
                topic.features           serving-features  text               the training job's serving features: user histories, item attributes and popularity
                features.dir             -              text                  local directory of the user-history store, emptied at start (default: a new one under java.io.tmpdir)
                features.cache.mb        64             8..1_048_576          memory of the user-history store's LRU block cache (its memtables add up to 32 MB)
                snapshot.dir             -              text                  the job's snapshot directory: start from its newest full snapshot
                threads                  16             2..1024               HTTP worker threads
                sched.slice.us           100            0..100_000            Linux scheduler slice of the server's threads (6.12+): a request preempts batch work within this (0: kernel default)
                reserved.threads         0              -1..1024              Jetty threads held ready to take over the selector (0: none; -1: Jetty's own choice)
                scoring.concurrency      0              0..1024               requests scored at once, in arrival order (0: no limit; on a dedicated host, its cores)
                max.connections          2048           1..1_000_000          open connections beyond this wait to be accepted
                idle.timeout.ms          30_000         100..3_600_000        an idle connection is closed after this long
                body.timeout.ms          5_000          100..600_000          a request body must arrive within this long (slow clients get 408)
                max.body.bytes           262_144        1024..67_108_864      largest request body (413 beyond)
                max.candidates           1000           1..100_000            most candidates a request may rank
                max.k                    1000           1..100_000            most items a request may ask for
                max.staleness.ms         900_000        0..2_592_000_000      /healthz fails when the served model is older than this (0: never)
                feed.timeout.ms          15_000         1000..3_600_000       a feed that cannot reach Kafka this long is reported down (it keeps retrying)
                items.max                1_000_000      100..                 items whose attributes and popularity are kept (the least recently shown go first)
                popular.size             1000           1..100_000            length of the popular-items list (candidates when a request has none)
                kafka.*                  -              -                     Kafka client properties, e.g. --kafka.security.protocol SASL_SSL
                """.formatted(DEFAULT_PORT));

    private final Server server;
    private final UpdateFeed updates;
    private final FeaturesFeed features;
    private final UserFeatureStore store;
    private final ModelRegistry registry = new ModelRegistry();
    private final Thread updateThread;
    private final Thread featuresThread;
    private final Recommender recommender;
    private final String schedulerSlice;

    public ServingServer(String[] argv) throws Exception {
        Settings s = OPTIONS.parse(argv);
        Properties kafka = s.withPrefix("kafka.");
        kafka.setProperty("bootstrap.servers", s.string("bootstrap.servers"));
        int port = s.intValue("port");
        ApiHandler.Limits limits = new ApiHandler.Limits(s.intValue("max.body.bytes"),
                s.intValue("max.candidates"), s.intValue("max.k"),
                s.longValue("body.timeout.ms"), s.intValue("scoring.concurrency"));
        long feedTimeoutMs = s.longValue("feed.timeout.ms");
        long maxStalenessMs = s.longValue("max.staleness.ms");
        long sliceMicros = s.longValue("sched.slice.us");
        if (sliceMicros > 0 && sliceMicros < 100) {
            throw new OptionException("--sched.slice.us", "must be 0 or in [100, 100000] (the kernel's range), got " + sliceMicros);
        }
        // every thread the server starts (Jetty's, the feeds') inherits the slice; this thread gets its own back
        try (SchedulerSlice slice = SchedulerSlice.forThreadsStartedHere(sliceMicros)) {
            schedulerSlice = slice.outcome();
            Path snapshots = s.has("snapshot.dir") ? Path.of(s.string("snapshot.dir").replaceFirst("^file://", "")) : null;
            updates = new UpdateFeed(registry, kafka, s.string("topic.updates"), snapshots, feedTimeoutMs);
            store = new UserFeatureStore(s.has("features.dir") ? Path.of(s.string("features.dir")) : UserFeatureStore.processDir(),
                    s.longValue("features.cache.mb") << 20);
            features = new FeaturesFeed(store, new ItemCatalog(s.intValue("items.max"), s.intValue("popular.size")),
                    registry, kafka, s.string("topic.features"), feedTimeoutMs);

            server = httpServer(s);
            server.setErrorHandler(new JsonErrorHandler());
            recommender = new Recommender(registry, features);
            List<SupervisedFeed> feeds = List.of(updates, features);
            server.setHandler(new ApiHandler(recommender, limits, new Health(registry, feeds, features, maxStalenessMs),
                    new ServingMetrics(registry, features, feeds, updates)));
            try {
                server.start();
            } catch (IOException e) {
                if (e instanceof BindException || e.getCause() instanceof BindException) {
                    server.stop();
                    throw new OptionException("--port", "port " + port + " is already in use; choose another with --port");
                }
                throw e;
            }
            updateThread = new Thread(updates, "update-feed");
            featuresThread = new Thread(features, "features-feed");
            updateThread.setDaemon(true);
            featuresThread.setDaemon(true);
            updateThread.start();
            featuresThread.start();
        }
    }

    /** Jetty with its thread pool, one connector and a connection limit, as the options say. */
    private static Server httpServer(Settings s) {
        int threads = s.intValue("threads");
        QueuedThreadPool pool = new QueuedThreadPool(threads, Math.min(threads, 4));
        pool.setName("http");
        // Without reserved threads Jetty hands each ready connection to a pool thread (produce-execute-consume)
        // instead of running it on the selector and waking a reserved thread to select next: on a server with
        // one busy core that hand-over is a context switch in every request's path, and it was the latency tail
        // (load-bench at c=4).
        pool.setReservedThreads(s.intValue("reserved.threads"));
        Server server = new Server(pool);
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(s.string("host"));
        connector.setPort(s.intValue("port"));
        connector.setIdleTimeout(s.longValue("idle.timeout.ms"));
        server.addConnector(connector);
        // beyond this many connections Jetty stops accepting until some close: a flood queues in the
        // kernel's backlog instead of exhausting memory and threads
        server.addBean(new ConnectionLimit(s.intValue("max.connections"), server));
        return server;
    }

    public int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    public Recommender recommender() {
        return recommender;
    }

    public ModelRegistry registry() {
        return registry;
    }

    public UpdateFeed updateFeed() {
        return updates;
    }

    public FeaturesFeed features() {
        return features;
    }

    @Override
    public void close() throws Exception {
        updates.close();
        features.close();
        server.stop();
        updateThread.join(5000);
        featuresThread.join(5000);
        store.close();
    }

    public static void main(String[] args) throws Exception {
        ServingServer s = CommandLine.parseOrExit("serve", () -> new ServingServer(args));
        System.err.println("widedeep serve: listening on port " + s.port() + " (scheduler slice " + s.schedulerSlice + ")"
                + (CommandLine.logFile() == null ? "" : "; logs in " + CommandLine.logFile()));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                s.close();
            } catch (Exception ignored) {
                // shutting down
            }
        }));
        s.server.join();
    }
}

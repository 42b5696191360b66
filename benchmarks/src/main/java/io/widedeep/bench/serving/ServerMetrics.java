package io.widedeep.bench.serving;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the bench reads from the server's {@code /metrics}. */
record ServerMetrics(double updatesApplied, long modelVersion, double uptimeSeconds) {
    static ServerMetrics scrape(String url) throws Exception {
        String text = LoadBench.HTTP.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double start = value(text, "process_start_time_seconds");
        return new ServerMetrics(value(text, "widedeep_updates_applied_total"), (long) value(text, "widedeep_model_version"),
                System.currentTimeMillis() / 1000.0 - start);
    }

    /** The value of an unlabelled sample in Prometheus text, NaN when absent. */
    static double value(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}

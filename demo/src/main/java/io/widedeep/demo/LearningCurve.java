package io.widedeep.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * The demo's learning curve. Every reading (wall time, examples trained, PV log loss and AUC over the
 * trailing window, PV log loss since the model's start, served version, freshness, epoch) is appended
 * to {@code learning-curve.csv} in the demo's directory, so the history survives restarts; each start
 * of the demo and each new epoch of the job (a restart or recovery) is recorded as a mark.
 * {@link #write} renders {@code learning-curve.html}: charts with axes, grid and hover values drawn by
 * uPlot (the npm package, from its WebJar), inlined so the page opens offline and refreshes itself.
 * A long history is thinned on the page (every point up to {@value #PAGE_POINTS}), never in the CSV.
 */
final class LearningCurve {
    static final int PAGE_POINTS = 10_000;
    private static final String HEADER = "kind,time_ms,examples,window_logloss,window_auc,logloss,version,freshness_ms,epoch,auc";

    record Point(long timeMs, long examples, double windowLogLoss, double windowAuc, double logLoss, long version,
                 long freshnessMs, long epoch, double auc) {}

    /** A start of the demo ({@code start}, {@code restart}) or a new epoch of the job ({@code epoch}). */
    record Mark(long timeMs, long examples, String kind) {}

    private final Path csv;
    private final Path html;
    private final String pageTemplate; // TEMPLATE with uPlot's CSS and script inlined, read once
    private final List<Point> points = new ArrayList<>();
    private final List<Mark> marks = new ArrayList<>();

    /** Loads the history under {@code dir} and marks this start. */
    LearningCurve(Path dir, long now) throws IOException {
        this.csv = dir.resolve("learning-curve.csv");
        this.html = dir.resolve("learning-curve.html");
        String dist = "META-INF/resources/webjars/uplot/" + uplotVersion() + "/dist/";
        this.pageTemplate = TEMPLATE.replace("/*UPLOT_CSS*/", resource(dist + "uPlot.min.css"))
                .replace("/*UPLOT_JS*/", resource(dist + "uPlot.iife.min.js"));
        if (Files.exists(csv)) {
            for (String line : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
                if (line.isEmpty() || line.startsWith("kind,")) continue;
                String[] f = line.split(",", -1);
                if (f[0].equals("point")) {
                    points.add(new Point(Long.parseLong(f[1]), Long.parseLong(f[2]), num(f[3]), num(f[4]), num(f[5]),
                            Long.parseLong(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]), f.length > 9 ? num(f[9]) : Double.NaN));
                } else {
                    marks.add(new Mark(Long.parseLong(f[1]), Long.parseLong(f[2]), f[0]));
                }
            }
        } else {
            Files.writeString(csv, HEADER + "\n", StandardCharsets.UTF_8);
        }
        mark(new Mark(now, points.isEmpty() ? 0 : points.get(points.size() - 1).examples(), marks.isEmpty() ? "start" : "restart"));
    }

    List<Point> points() {
        return points;
    }

    List<Mark> marks() {
        return marks;
    }

    /** Records a reading; a reading with no new examples is dropped, a new epoch is marked. */
    void add(Point p) throws IOException {
        if (p.examples() <= 0 || !Double.isFinite(p.windowLogLoss())) return;
        Point last = points.isEmpty() ? null : points.get(points.size() - 1);
        if (last != null && last.examples() == p.examples()) return;
        if (last != null && last.epoch() != p.epoch()) {
            mark(new Mark(p.timeMs(), p.examples(), "epoch"));
        }
        points.add(p);
        append(String.format(Locale.ROOT, "point,%d,%d,%s,%s,%s,%d,%d,%d,%s", p.timeMs(), p.examples(), text(p.windowLogLoss()),
                text(p.windowAuc()), text(p.logLoss()), p.version(), p.freshnessMs(), p.epoch(), text(p.auc())));
    }

    private void mark(Mark m) throws IOException {
        marks.add(m);
        append(m.kind() + "," + m.timeMs() + "," + m.examples() + ",,,,,,,");
    }

    private void append(String line) throws IOException {
        Files.writeString(csv, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** Renders the page (atomically: a browser never sees half a file). */
    void write() throws IOException {
        StringBuilder data = new StringBuilder("{\"points\":[");
        int step = Math.max(1, (points.size() + PAGE_POINTS - 1) / PAGE_POINTS);
        for (int i = 0; i < points.size(); i++) {
            if (i % step != 0 && i != points.size() - 1) continue;
            Point p = points.get(i);
            if (data.charAt(data.length() - 1) != '[') data.append(',');
            data.append(String.format(Locale.ROOT, "[%d,%d,%s,%s,%s,%d,%.3f,%s]", p.timeMs(), p.examples(), json(p.windowLogLoss()),
                    json(p.windowAuc()), json(p.logLoss()), p.version(), p.freshnessMs() / 1000.0, json(p.auc())));
        }
        data.append("],\"marks\":[");
        for (int i = 0; i < marks.size(); i++) {
            Mark m = marks.get(i);
            data.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "[%d,%d,\"%s\"]", m.timeMs(), m.examples(), m.kind()));
        }
        data.append("]}");
        String page = pageTemplate.replace("/*DATA*/", data.toString().replace("</", "<\\/"));
        Path tmp = html.resolveSibling(html.getFileName() + ".tmp");
        Files.writeString(tmp, page, StandardCharsets.UTF_8);
        Files.move(tmp, html, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static double num(String s) {
        return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }

    private static String text(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6f", v) : "";
    }

    private static String json(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6f", v) : "null";
    }

    private static String uplotVersion() {
        try (InputStream in = LearningCurve.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
            if (in == null) throw new IllegalStateException("uPlot's WebJar is not on the classpath");
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = LearningCurve.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) throw new IOException("missing " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static final String TEMPLATE = """
            <!doctype html><html><head><meta charset="utf-8"><title>widedeep learning curve</title>
            <meta http-equiv="refresh" content="5">
            <style>/*UPLOT_CSS*/
            body{font-family:system-ui,sans-serif;margin:24px;color:#222}h2{margin:0 0 4px}p{margin:4px 0 16px;color:#555}
            .chart{margin:0 0 28px}</style>
            <script>/*UPLOT_JS*/</script></head><body>
            <h2>widedeep: what the model learns, as it learns it</h2>
            <p id="summary"></p>
            <div class="chart" id="loss"></div><div class="chart" id="auc"></div><div class="chart" id="losstime"></div>
            <div class="chart" id="served"></div>
            <script id="curve-data" type="application/json">/*DATA*/</script>
            <script>
            const d = JSON.parse(document.getElementById('curve-data').textContent);
            // a restart breaks the lines: a gap (nulls) between the last reading before it and the first after
            const restartsAt = d.marks.filter(m => m[2] === 'restart').map(m => m[0]);
            const P = [];
            d.points.forEach((p, i) => {
              const prev = d.points[i - 1];
              if (prev && restartsAt.some(t => prev[0] < t && t <= p[0])) P.push([(prev[0] + p[0]) / 2, (prev[1] + p[1]) / 2, null, null, null, null, null, null]);
              P.push(p);
            });
            const col = i => P.map(p => p[i]);
            const last = d.points[d.points.length - 1];
            const count = (n, what) => n + ' ' + what + (n === 1 ? '' : 's');
            document.getElementById('summary').textContent = last
              ? `Progressive validation: every example is scored before it is trained on. ${last[1].toLocaleString()} examples trained; `
                + `served version ${last[5]}, ${last[6].toFixed(1)} s fresh; ${count(d.marks.filter(m => m[2] === 'restart').length, 'demo restart')} and `
                + `${count(d.marks.filter(m => m[2] === 'epoch').length, 'new job epoch')} marked (dashed lines). Refreshes every 5 s.`
              : 'Waiting for the first model ...';
            function marks(byTime) {
              return {hooks: {draw: [u => {
                const c = u.ctx; c.save(); c.setLineDash([6, 4]); c.strokeStyle = '#7f8c8d'; c.fillStyle = '#7f8c8d';
                c.font = (11 * devicePixelRatio) + 'px sans-serif';
                for (const m of d.marks) {
                  const x = u.valToPos(byTime ? m[0] / 1000 : m[1], 'x', true);
                  if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
                  c.beginPath(); c.moveTo(x, u.bbox.top); c.lineTo(x, u.bbox.top + u.bbox.height); c.stroke();
                  c.fillText(m[2], x + 4, u.bbox.top + 14 * devicePixelRatio);
                }
                c.restore();
              }]}};
            }
            const width = Math.min(1100, window.innerWidth - 60);
            const byExamples = {x: {time: false}};
            const xAxis = {label: 'examples trained', values: (u, v) => v.map(x => x.toLocaleString())};
            new uPlot({title: 'PV log loss (lower is better)', width, height: 300, scales: byExamples, plugins: [marks(false)],
                axes: [xAxis, {label: 'log loss', size: 70}],
                series: [{label: 'examples'}, {label: 'trailing window', stroke: '#c0392b', width: 2},
                         {label: 'since the model started', stroke: '#e59866', width: 2, dash: [4, 3]}]},
              [col(1), col(2), col(4)], document.getElementById('loss'));
            new uPlot({title: 'PV AUC (higher is better)', width, height: 260, scales: byExamples,
                plugins: [marks(false)], axes: [xAxis, {label: 'AUC', size: 70}],
                series: [{label: 'examples'}, {label: 'trailing window', stroke: '#2874a6', width: 2},
                         {label: "since the job's last start", stroke: '#85c1e9', width: 2, dash: [4, 3]}]},
              [col(1), col(3), col(7)], document.getElementById('auc'));
            new uPlot({title: 'PV log loss over time', width, height: 260, plugins: [marks(true)], scales: {x: {time: true}},
                axes: [{label: 'time'}, {label: 'log loss', size: 70}],
                series: [{label: 'time'}, {label: 'trailing window', stroke: '#c0392b', width: 2},
                         {label: 'since the model started', stroke: '#e59866', width: 2, dash: [4, 3]}]},
              [P.map(p => p[0] / 1000), col(2), col(4)], document.getElementById('losstime'));
            new uPlot({title: 'Served model: version and freshness (event to served model)', width, height: 260,
                plugins: [marks(true)], scales: {x: {time: true}, v: {}, f: {}},
                axes: [{label: 'time'}, {scale: 'v', label: 'version', size: 70},
                       {scale: 'f', side: 1, label: 'freshness (s)', grid: {show: false}, size: 70}],
                series: [{label: 'time'}, {label: 'version', scale: 'v', stroke: '#117a65', width: 2},
                         {label: 'freshness s', scale: 'f', stroke: '#af7ac5', width: 1}]},
              [P.map(p => p[0] / 1000), col(5), col(6)], document.getElementById('served'));
            </script></body></html>
            """;
}

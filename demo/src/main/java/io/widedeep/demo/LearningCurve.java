package io.widedeep.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Progressive-validation log loss and AUC over trained examples, as a self-contained HTML page (inline SVG). */
final class LearningCurve {
    private final List<double[]> points = new ArrayList<>(); // examples, logloss, auc

    void add(long examples, double logloss, double auc) {
        if (examples <= 0 || !Double.isFinite(logloss)) return;
        if (!points.isEmpty() && points.get(points.size() - 1)[0] == examples) return;
        points.add(new double[] {examples, logloss, Double.isFinite(auc) ? auc : Double.NaN});
    }

    void write(Path file) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>widedeep learning curve</title>")
                .append("<meta http-equiv=\"refresh\" content=\"5\"><style>body{font-family:sans-serif;margin:24px}")
                .append("svg{border:1px solid #ccc;margin:8px 0}</style></head><body>")
                .append("<h2>widedeep: progressive validation (trailing window)</h2>")
                .append("<p>Every example is scored before it is trained on. Refreshes every 5 s.</p>");
        chart(h, "PV log loss", 1, "#c0392b");
        chart(h, "PV AUC", 2, "#2874a6");
        h.append("</body></html>");
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, h, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void chart(StringBuilder h, String title, int col, String color) {
        int w = 760, ht = 260, pad = 50;
        double maxX = 1, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (double[] p : points) {
            if (Double.isNaN(p[col])) continue;
            maxX = Math.max(maxX, p[0]);
            minY = Math.min(minY, p[col]);
            maxY = Math.max(maxY, p[col]);
        }
        if (minY > maxY) { minY = 0; maxY = 1; }
        if (maxY - minY < 1e-6) { maxY += 0.01; minY -= 0.01; }
        h.append("<h3>").append(title).append("</h3><svg width=\"").append(w).append("\" height=\"").append(ht).append("\">");
        h.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\" font-size=\"11\">%.4f</text>", pad - 30, maxY));
        h.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\" font-size=\"11\">%.4f</text>", ht - pad + 4, minY));
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%,.0f examples</text>", w - 160, ht - 8, maxX));
        h.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\" points=\"");
        for (double[] p : points) {
            if (Double.isNaN(p[col])) continue;
            double x = pad + (w - 2 * pad) * p[0] / maxX;
            double y = ht - pad - (ht - 2 * pad) * (p[col] - minY) / (maxY - minY);
            h.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        h.append("\"/></svg>");
    }
}

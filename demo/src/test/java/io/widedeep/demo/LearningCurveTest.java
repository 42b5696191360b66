package io.widedeep.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The learning-curve page keeps every reading and marks every restart, across runs of the demo. */
class LearningCurveTest {
    @Test
    void thePageHoldsEveryPointAndTheRestartMarksAfterAResume(@TempDir Path dir) throws Exception {
        long t = 1_800_000_000_000L;
        LearningCurve first = new LearningCurve(dir, t);
        for (int i = 1; i <= 40; i++) {
            first.add(new LearningCurve.Point(t + i * 2000, i * 100, 0.5 - i * 0.001, 0.6 + i * 0.001, 0.52, i, 800, 7, 0.61));
        }
        first.add(new LearningCurve.Point(t + 90_000, 4000, 0.45, 0.64, 0.5, 41, 900, 7, 0.62)); // same examples: dropped
        first.write();

        // the demo stops and starts again: the job resumes in a new epoch
        LearningCurve second = new LearningCurve(dir, t + 200_000);
        assertEquals(40, second.points().size(), "the first run's history is read back");
        for (int i = 41; i <= 60; i++) {
            second.add(new LearningCurve.Point(t + 200_000 + i * 2000, i * 100, 0.45, 0.65, 0.5, i, 700, 9, 0.63));
        }
        second.write();

        String html = Files.readString(dir.resolve("learning-curve.html"));
        Matcher m = Pattern.compile("<script id=\"curve-data\" type=\"application/json\">(.*?)</script>", Pattern.DOTALL).matcher(html);
        assertTrue(m.find(), "the page embeds its data");
        JsonNode data = new ObjectMapper().readTree(m.group(1));
        assertEquals(60, data.get("points").size(), "every recorded point, from both runs");
        for (int i = 0; i < 60; i++) {
            assertEquals((i + 1) * 100L, data.get("points").get(i).get(1).asLong());
        }
        assertEquals(0.61, data.get("points").get(0).get(7).asDouble(), 1e-9, "AUC since the job's start, beside the window's");
        assertEquals(0.63, data.get("points").get(59).get(7).asDouble(), 1e-9);
        JsonNode marks = data.get("marks");
        assertEquals(3, marks.size(), marks.toString());
        assertEquals("start", marks.get(0).get(2).asText());
        assertEquals("restart", marks.get(1).get(2).asText());
        assertEquals(4000, marks.get(1).get(1).asLong(), "the restart sits where the first run stopped");
        assertEquals("epoch", marks.get(2).get(2).asText());
        assertEquals(4100, marks.get(2).get(1).asLong(), "the job's new epoch is marked at its first reading");
        // offline: uPlot is inlined, nothing is fetched
        assertTrue(html.contains("uPlot") && html.length() > 40_000, "uPlot inlined");
        assertTrue(!html.contains("<script src") && !html.contains("<link"), "no external resources");
    }
}

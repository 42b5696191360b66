package io.widedeep.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.spec.SpecException;
import io.widedeep.schemas.ClickEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadersTest {
    /** The Open Bandit samples in ../shared/data, read in place (never copied into the project). */
    static Path obd(String policy, String campaign) {
        Path p = Path.of("..", "..", "shared", "data", "open-bandit", policy, campaign, campaign + ".csv");
        return p.toAbsolutePath().normalize();
    }

    private static List<ClickEvent> readAll(EventReader r) throws Exception {
        List<ClickEvent> out = new ArrayList<>();
        try (r) {
            while (r.hasNext()) out.add(r.next());
        }
        return out;
    }

    @Test
    void readsOpenBanditLogsInTimeOrder() throws Exception {
        Path men = obd("random", "men");
        assumeTrue(Files.exists(men), "shared data present");
        List<ClickEvent> events = readAll(Readers.open("obd", men, null));
        assertEquals(10_000, events.size());
        assertEquals(46, events.stream().mapToInt(ClickEvent::getLabel).sum(), "46 clicks per the data README");
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).getEventTime() >= events.get(i - 1).getEventTime());
        }
        ClickEvent first = events.get(0);
        assertEquals("14", first.getItemId());
        assertEquals("3", first.getContext().get("position"));
        assertEquals(1574553793442L, first.getEventTime()); // 2019-11-24 00:03:13.442536 UTC
        assertTrue(first.getContext().containsKey("item_feature_1"));
    }

    @Test
    void readsCriteoAvazuMovieLensAndCsv(@TempDir Path dir) throws Exception {
        Path criteo = dir.resolve("day.tsv");
        String ints = "1\t\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13";
        String cats = String.join("\t", java.util.Collections.nCopies(25, "abcd")) + "\t";
        Files.writeString(criteo, "1\t" + ints + "\t" + cats + "\n0\t" + ints + "\t" + cats + "\n");
        List<ClickEvent> c = readAll(Readers.open("criteo", criteo, null));
        assertEquals(2, c.size());
        assertEquals(1, c.get(0).getLabel());
        assertEquals(12, c.get(0).getNumeric().size(), "I2 is missing");
        assertEquals(25, c.get(0).getContext().size(), "C26 is missing");

        Path avazu = dir.resolve("train.csv");
        Files.writeString(avazu, "id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,app_domain,"
                + "app_category,device_id,device_ip,device_model,device_type,device_conn_type,C14,C15,C16,C17,C18,C19,C20,C21\n"
                + "1000009418151094273,0,14102100,1005,0,1fbe01fe,f3845767,28905ebd,ecad2386,7801e8d9,07d7df22,"
                + "a99f214a,ddd2926e,44956a24,1,2,15706,320,50,1722,0,35,-1,79\n");
        ClickEvent a = readAll(Readers.open("avazu", avazu, null)).get(0);
        assertEquals("ddd2926e/44956a24", a.getUserId());
        assertEquals("15706", a.getItemId());
        assertEquals("00", a.getContext().get("hour_of_day"));

        Path ratings = dir.resolve("ratings.dat");
        Files.writeString(ratings, "1::10::5::978300760\n2::20::2::978300000\n");
        Files.writeString(dir.resolve("movies.dat"), "10::Heat (1995)::Action|Crime\n20::Toy Story (1995)::Animation\n");
        Files.writeString(dir.resolve("users.dat"), "1::F::1::10::48067\n2::M::56::16::70072\n");
        List<ClickEvent> ml = readAll(Readers.open("movielens", ratings, null));
        assertEquals("2", ml.get(0).getUserId(), "sorted by time");
        assertEquals(0, ml.get(0).getLabel());
        assertEquals(1, ml.get(1).getLabel());
        assertEquals("Action", ml.get(1).getContext().get("genre"));
        assertEquals("F", ml.get(1).getContext().get("gender"));

        Path csv = dir.resolve("log.csv");
        Files.writeString(csv, "ts,uid,iid,clicked,price,color\n5,u1,i1,1,9.5,red\n6,u2,i2,0,,blue\n");
        FeatureSpec spec = FeatureSpec.parse("""
                {"fields": [{"name": "item", "source": "item_id"}], "wide": {"fields": ["item"]},
                 "input": {"label": "clicked", "user": "uid", "item": "iid", "time": "ts",
                           "numeric": ["price"], "categorical": ["color"]}}""");
        List<ClickEvent> rows = readAll(Readers.open("csv", csv, spec));
        assertEquals(9.5, rows.get(0).getNumeric().get("price"));
        assertTrue(rows.get(1).getNumeric().isEmpty());
        assertEquals("blue", rows.get(1).getContext().get("color"));
        assertEquals(6, rows.get(1).getEventTime());

        Files.writeString(csv, "ts,uid,iid,clicked,price,color\n5,u1,i1,maybe,9.5,red\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> readAll(Readers.open("csv", csv, spec)));
        assertTrue(e.getMessage().contains("log.csv:2"), e.getMessage());
    }

    @Test
    void csvHonoursQuotesAndAcceptsOnlyTheConfiguredLabels(@TempDir Path dir) throws Exception {
        FeatureSpec spec = FeatureSpec.parse("""
                {"fields": [{"name": "item", "source": "item_id"}], "wide": {"fields": ["item"]},
                 "input": {"label": "clicked", "user": "uid", "item": "iid", "time_format": "row",
                           "categorical": ["title"]}}""");
        Path csv = dir.resolve("quoted.csv");
        Files.writeString(csv, "uid,iid,clicked,title\n"
                + "u1,i1,1,\"Hats, scarves and \"\"gloves\"\"\"\n"
                + "u2,\"i,2\",0,\"two\nlines\"\n");
        List<ClickEvent> rows = readAll(Readers.open("csv", csv, spec));
        assertEquals(2, rows.size());
        assertEquals("Hats, scarves and \"gloves\"", rows.get(0).getContext().get("title"));
        assertEquals("i,2", rows.get(1).getItemId());
        assertEquals("two\nlines", rows.get(1).getContext().get("title"));

        // 0.7 used to be truncated to 0; a label is exactly 0 or 1, with the line in the message
        Files.writeString(csv, "uid,iid,clicked,title\nu1,i1,1,a\nu1,i1,0,\"x\ny\"\nu2,i2,0.7,c\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> readAll(Readers.open("csv", csv, spec)));
        assertTrue(e.getMessage().contains("quoted.csv:5") && e.getMessage().contains("label '0.7'"), e.getMessage());

        FeatureSpec mapped = FeatureSpec.parse("""
                {"fields": [{"name": "item", "source": "item_id"}], "wide": {"fields": ["item"]},
                 "input": {"label": "outcome", "user": "uid", "item": "iid", "time_format": "row",
                           "positive_labels": ["click", "purchase"], "negative_labels": ["view"]}}""");
        Files.writeString(csv, "uid,iid,outcome\nu1,i1,view\nu1,i2,purchase\nu1,i3,click\n");
        List<ClickEvent> m = readAll(Readers.open("csv", csv, mapped));
        assertEquals(List.of(0, 1, 1), m.stream().map(ClickEvent::getLabel).toList());
        assertThrows(SpecException.class, () -> FeatureSpec.parse("""
                {"fields": [{"name": "item", "source": "item_id"}], "wide": {"fields": ["item"]},
                 "input": {"label": "o", "user": "u", "item": "i", "positive_labels": ["1"], "negative_labels": ["1"]}}"""));
    }
}

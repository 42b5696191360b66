package io.widedeep.datasets;

import io.widedeep.schemas.ClickEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * MovieLens ratings as implicit feedback: a rating of 4 or more is a click. Reads {@code ratings.dat}
 * (ML-1M: {@code user::movie::rating::time}) or {@code u.data} (ML-100K, tab separated), joined with
 * the user and movie metadata beside it when present ({@code users.dat}/{@code movies.dat} or
 * {@code u.user}/{@code u.item}): gender, age, occupation and the first genre (also the category
 * used by user histories). Ratings are not stored in time order, so they are sorted by time.
 */
public final class MovieLensReader implements EventReader {
    private static final String[] ML100K_GENRES = {"unknown", "Action", "Adventure", "Animation", "Children's",
            "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
            "Romance", "Sci-Fi", "Thriller", "War", "Western"};

    private final Iterator<ClickEvent> events;

    public MovieLensReader(Path path) throws IOException {
        boolean dat = path.getFileName().toString().endsWith(".dat");
        Map<String, String[]> users = new HashMap<>();
        Map<String, String> genres = new HashMap<>();
        Path userFile = path.resolveSibling(dat ? "users.dat" : "u.user");
        Path itemFile = path.resolveSibling(dat ? "movies.dat" : "u.item");
        if (Files.exists(userFile)) {
            for (String line : Files.readAllLines(userFile, StandardCharsets.ISO_8859_1)) {
                String[] f = dat ? line.split("::") : line.split("\\|");
                if (f.length < 4) continue;
                users.put(f[0], dat ? new String[] {f[1], f[2], f[3]} : new String[] {f[2], f[1], f[3]});
            }
        }
        if (Files.exists(itemFile)) {
            for (String line : Files.readAllLines(itemFile, StandardCharsets.ISO_8859_1)) {
                if (dat) {
                    String[] f = line.split("::");
                    if (f.length >= 3) genres.put(f[0], f[2].split("\\|")[0]);
                } else {
                    String[] f = line.split("\\|");
                    for (int g = 0; g < 19 && 5 + g < f.length; g++) {
                        if (f[5 + g].equals("1")) {
                            genres.put(f[0], ML100K_GENRES[g]);
                            break;
                        }
                    }
                }
            }
        }
        List<ClickEvent> all = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.ISO_8859_1)) {
            long lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                String[] f = dat ? line.split("::") : line.split("\t");
                if (f.length < 4) {
                    throw new IllegalArgumentException(path + ":" + lineNo + ": expected user, item, rating, time");
                }
                Map<String, String> ctx = new HashMap<>();
                String[] u = users.get(f[0]);
                if (u != null) {
                    ctx.put("gender", u[0]);
                    ctx.put("age", u[1]);
                    ctx.put("occupation", u[2]);
                }
                String genre = genres.get(f[1]);
                if (genre != null) ctx.put("genre", genre);
                int label = Double.parseDouble(f[2]) >= 4 ? 1 : 0;
                all.add(Events.labelled("ml" + lineNo, f[0], f[1], Long.parseLong(f[3].trim()) * 1000, ctx,
                        new HashMap<>(), label));
            }
        }
        all.sort(Comparator.comparingLong(ClickEvent::getEventTime)); // stable: ties keep file order
        events = all.iterator();
    }

    @Override
    public boolean hasNext() {
        return events.hasNext();
    }

    @Override
    public ClickEvent next() {
        return events.next();
    }

    @Override
    public void close() {}
}

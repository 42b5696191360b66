package io.widedeep.datasets;

import io.widedeep.schemas.ClickEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.NoSuchElementException;

/** Base for line-oriented formats: one event per line, malformed lines fail with file and line number. */
abstract class LineReader implements EventReader {
    private final BufferedReader in;
    private final Path path;
    private ClickEvent next;
    protected long lineNo;
    protected long row;

    LineReader(Path path, boolean skipHeader) throws IOException {
        this.path = path;
        this.in = Files.newBufferedReader(path, StandardCharsets.UTF_8);
        if (skipHeader) {
            header(in.readLine());
            lineNo++;
        }
    }

    /** Receives the header line (null for an empty file). */
    protected void header(String line) throws IOException {}

    /** Parses one line, or returns null to skip it. */
    protected abstract ClickEvent parse(String line);

    @Override
    public boolean hasNext() {
        while (next == null) {
            String line;
            try {
                line = in.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (line == null) {
                return false;
            }
            lineNo++;
            if (line.isEmpty()) continue;
            try {
                next = parse(line);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(path + ":" + lineNo + ": " + e.getMessage(), e);
            }
            if (next != null) row++;
        }
        return true;
    }

    @Override
    public ClickEvent next() {
        if (!hasNext()) throw new NoSuchElementException();
        ClickEvent e = next;
        next = null;
        return e;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** Splits on one character, keeping empty fields. */
    static String[] split(String line, char sep, int expected) {
        String[] out = new String[Math.max(expected, 1)];
        int n = 0, start = 0;
        for (int i = 0; i <= line.length(); i++) {
            if (i == line.length() || line.charAt(i) == sep) {
                if (n == out.length) out = Arrays.copyOf(out, out.length * 2);
                out[n++] = line.substring(start, i);
                start = i + 1;
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }
}

package io.widedeep.serving.http;

import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/** What a request must be before it is scored: its method, its body's type and encoding, its ids and context within bounds. */
final class RequestChecks {
    private RequestChecks() {}

    private static final String JSON_TYPE = "application/json";

    /**
     * Longest JSON key (context and numeric keys among them; the parser refuses longer ones) and
     * longest context value: features hash them, so anything longer is a mistake or an attack.
     */
    static final int MAX_KEY = 256;
    static final int MAX_CONTEXT_VALUE = 1024;

    static void requireGet(String method) throws BadRequest {
        if (!"GET".equals(method) && !"HEAD".equals(method)) throw new BadRequest(405, "use GET", "GET, HEAD");
    }

    /** Bodies are JSON in UTF-8: {@code application/json}, optionally with {@code charset=utf-8}. */
    static void requireJson(Request request) throws BadRequest {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type == null) throw new BadRequest(415, "Content-Type: application/json is required");
        String[] parts = type.split(";");
        boolean json = parts[0].trim().equalsIgnoreCase(JSON_TYPE);
        for (int i = 1; json && i < parts.length; i++) {
            String p = parts[i].trim().toLowerCase(Locale.ROOT);
            if (p.startsWith("charset=") && !p.equals("charset=utf-8") && !p.equals("charset=\"utf-8\"")) json = false;
        }
        if (!json) throw new BadRequest(415, "unsupported Content-Type '" + abbreviate(type) + "': use application/json (UTF-8)");
    }

    static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /** True when the bytes are well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
    static boolean validUtf8(byte[] b) {
        int i = 0, n = b.length;
        while (i < n) {
            int c = b[i] & 0xff;
            if (c < 0x80) {
                i++;
                continue;
            }
            int len, min;
            if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; }
            else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; }
            else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; }
            else return false;
            if (i + len > n) return false;
            int cp = c & (0xff >> (len + 1));
            for (int k = 1; k < len; k++) {
                int d = b[i + k] & 0xff;
                if ((d & 0xc0) != 0x80) return false;
                cp = (cp << 6) | (d & 0x3f);
            }
            if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
            i += len;
        }
        return true;
    }

    static void requireId(String name, String v) throws BadRequest {
        if (v == null || v.isEmpty()) throw new BadRequest(400, name + " is required");
        if (v.length() > 512) throw new BadRequest(400, name + " longer than 512 characters");
    }

    static void checkContext(Map<String, String> ctx, Map<String, Double> num) throws BadRequest {
        if (ctx != null) {
            if (ctx.size() > 256) throw new BadRequest(400, "context has more than 256 entries");
            for (Map.Entry<String, String> e : ctx.entrySet()) {
                if (e.getValue() == null) throw new BadRequest(400, "context." + e.getKey() + " is null");
                if (e.getValue().length() > MAX_CONTEXT_VALUE) {
                    throw new BadRequest(400, "context." + e.getKey() + " is longer than " + MAX_CONTEXT_VALUE
                            + " characters (" + e.getValue().length() + ")");
                }
            }
        }
        if (num != null) {
            if (num.size() > 256) throw new BadRequest(400, "numeric has more than 256 entries");
            for (Map.Entry<String, Double> e : num.entrySet()) {
                if (e.getValue() == null || !Double.isFinite(e.getValue())) {
                    throw new BadRequest(400, "numeric." + e.getKey() + " must be a finite number");
                }
            }
        }
    }
}

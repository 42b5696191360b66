package io.widedeep.core.events;

import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.Map;

/**
 * Decides whether a decoded event is usable, and if not says why (the reason that goes to the
 * dead-letter topic). Bounds keep one absurd record from blowing up keyed state.
 */
public final class ClickEventValidator {
    public static final int MAX_ID_LENGTH = 512;
    public static final int MAX_CONTEXT_ENTRIES = 256;
    public static final int MAX_VALUE_LENGTH = 4096;
    /** 2000-01-01: earlier event times are not real (data sets often count from 0 instead). */
    public static final long MIN_TIME = 946_684_800_000L;
    private static final long MAX_TIME = 32_503_680_000_000L; // 3000-01-01

    private ClickEventValidator() {}

    /** Null when the event is fine, else the reason it is not. */
    public static String problem(ClickEvent e) {
        String p;
        if ((p = id("event_id", e.getEventId())) != null) return p;
        if ((p = id("user_id", e.getUserId())) != null) return p;
        if ((p = id("item_id", e.getItemId())) != null) return p;
        if ((p = id("impression_id", e.getImpressionId())) != null) return p;
        if (e.getEventType() == null) return "missing event_type";
        long t = e.getEventTime();
        if (t < MIN_TIME || t > MAX_TIME) return "event_time " + t + " outside [2000, 3000)";
        Integer label = e.getLabel();
        if (label != null && label != 0 && label != 1) return "label must be 0 or 1, got " + label;
        if (label != null && e.getEventType() == EventType.CLICK) return "a CLICK cannot carry a label";
        Map<String, String> ctx = e.getContext();
        Map<String, Double> num = e.getNumeric();
        if (ctx.size() > MAX_CONTEXT_ENTRIES) return "context has " + ctx.size() + " entries (max " + MAX_CONTEXT_ENTRIES + ")";
        if (num.size() > MAX_CONTEXT_ENTRIES) return "numeric has " + num.size() + " entries (max " + MAX_CONTEXT_ENTRIES + ")";
        for (Map.Entry<String, String> c : ctx.entrySet()) {
            if (c.getKey().length() > MAX_ID_LENGTH || c.getValue() == null || c.getValue().length() > MAX_VALUE_LENGTH) {
                return "context entry '" + abbreviate(c.getKey()) + "' too long or null";
            }
        }
        for (Map.Entry<String, Double> n : num.entrySet()) {
            Double v = n.getValue();
            if (v == null || !Double.isFinite(v)) return "numeric '" + abbreviate(n.getKey()) + "' is " + v;
        }
        return null;
    }

    private static String id(String name, String v) {
        if (v == null || v.isEmpty()) return "missing " + name;
        if (v.length() > MAX_ID_LENGTH) return name + " longer than " + MAX_ID_LENGTH + " characters";
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}

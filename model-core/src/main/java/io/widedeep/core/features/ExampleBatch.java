package io.widedeep.core.features;

import java.util.Arrays;

/**
 * A mini-batch of examples in struct-of-arrays form, reused from batch to batch so that the hot path
 * allocates nothing once the arrays have grown to the stream's needs. Per row: the wide keys (after
 * hashing and crossing), the value hashes of every categorical field (several for multi-valued
 * history fields), the raw transformed numerics, the label, whether it is a late click (see
 * {@link FeatureRow}) and the event time.
 */
public final class ExampleBatch {
    private final int capacity;
    private final int numFields;
    private int size;

    final float[] labels;
    final boolean[] lateClicks;
    final long[] eventTimes;
    final float[] numerics; // [row * numFields + field], NaN-free
    long[] values = new long[1024];
    final int[] valueOffsets; // start of (row, field) at [row * numFields + field]; one extra at the end
    long[] wideKeys = new long[1024];
    final int[] wideOffsets;
    int valueCount;
    int wideCount;

    public ExampleBatch(int capacity, int numFields) {
        this.capacity = capacity;
        this.numFields = numFields;
        this.labels = new float[capacity];
        this.lateClicks = new boolean[capacity];
        this.eventTimes = new long[capacity];
        this.numerics = new float[capacity * numFields];
        this.valueOffsets = new int[capacity * numFields + 1];
        this.wideOffsets = new int[capacity + 1];
    }

    public int size() { return size; }
    public int capacity() { return capacity; }
    public boolean isFull() { return size == capacity; }
    public int numFields() { return numFields; }

    public void clear() {
        size = 0;
        valueCount = 0;
        wideCount = 0;
    }

    public float label(int row) { return labels[row]; }
    public boolean isLateClick(int row) { return lateClicks[row]; }
    public long eventTime(int row) { return eventTimes[row]; }
    public float numeric(int row, int field) { return numerics[row * numFields + field]; }

    public int valueStart(int row, int field) { return valueOffsets[row * numFields + field]; }
    public int valueEnd(int row, int field) { return valueOffsets[row * numFields + field + 1]; }
    public long value(int i) { return values[i]; }

    public int wideStart(int row) { return wideOffsets[row]; }
    public int wideEnd(int row) { return wideOffsets[row + 1]; }
    public long wideKey(int i) { return wideKeys[i]; }

    // ---- appending, used by FeatureExtractor ----

    int beginRow(float label, long eventTime) {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + ")");
        }
        int row = size++;
        labels[row] = label;
        lateClicks[row] = false;
        eventTimes[row] = eventTime;
        valueOffsets[row * numFields] = valueCount;
        wideOffsets[row] = wideCount;
        return row;
    }

    void addValue(long v) {
        if (valueCount == values.length) values = Arrays.copyOf(values, values.length * 2);
        values[valueCount++] = v;
    }

    void endField(int row, int field) {
        valueOffsets[row * numFields + field + 1] = valueCount;
    }

    void addWideKey(long k) {
        if (wideCount == wideKeys.length) wideKeys = Arrays.copyOf(wideKeys, wideKeys.length * 2);
        wideKeys[wideCount++] = k;
    }

    void endRow(int row) {
        wideOffsets[row + 1] = wideCount;
    }

    /** Appends a row extracted elsewhere ({@link FeatureExtractor#toRow}). */
    public void add(FeatureRow r) {
        int row = beginRow(r.label, r.eventTime);
        lateClicks[row] = r.lateClick;
        int start = 0;
        for (int f = 0; f < numFields; f++) {
            for (int i = start; i < r.fieldEnds[f]; i++) addValue(r.values[i]);
            start = r.fieldEnds[f];
            numerics[row * numFields + f] = r.numerics[f];
            endField(row, f);
        }
        for (long k : r.wideKeys) addWideKey(k);
        endRow(row);
    }

    /** Copies row {@code row} out as a standalone {@link FeatureRow}. */
    public FeatureRow row(int row) {
        FeatureRow r = new FeatureRow();
        int first = valueStart(row, 0);
        r.values = Arrays.copyOfRange(values, first, valueEnd(row, numFields - 1));
        r.fieldEnds = new int[numFields];
        r.numerics = new float[numFields];
        for (int f = 0; f < numFields; f++) {
            r.fieldEnds[f] = valueEnd(row, f) - first;
            r.numerics[f] = numerics[row * numFields + f];
        }
        r.wideKeys = Arrays.copyOfRange(wideKeys, wideStart(row), wideEnd(row));
        r.label = labels[row];
        r.lateClick = lateClicks[row];
        r.eventTime = eventTimes[row];
        return r;
    }
}

package io.widedeep.flink.functions;

import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.features.ServingFeatureRecords;
import io.widedeep.core.features.UserHistory;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.flink.records.FeaturePublishing;
import io.widedeep.flink.records.ItemShown;
import io.widedeep.flink.records.JoinTimes;
import io.widedeep.flink.records.KeyedRecord;
import io.widedeep.flink.records.SourceRecord;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.MalformedMessageException;
import io.widedeep.schemas.ServingFeatures;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Per user (keyed state on RocksDB): turns impressions and clicks into labelled examples and keeps
 * the user's history.
 *
 * <ul>
 *   <li>An impression waits, with the features it had when it was shown, for a click with its
 *   impression id. A click inside the attribution window (event time) makes it a positive at once;
 *   when the window closes without one it becomes a negative.</li>
 *   <li>A negative's impression is kept for {@code lateClickHorizonMs} more. A click that comes in
 *   that time (after the window: real click delays have long tails) is emitted as a <em>late
 *   click</em>, which the trainer learns as a correction of the negative (see {@code FeatureRow}),
 *   and counted in {@code late_clicks}. Horizon 0: such clicks are dropped as unmatched.</li>
 *   <li>A click that arrives before its impression (out of order) waits for it for one window.
 *   A click that finds no impression within the window is counted as {@code unmatched_clicks}.</li>
 *   <li>A pre-labelled impression (Criteo, Open Bandit ...) is an example as it stands.</li>
 *   <li>The history (recent clicked items and categories, counters; bounded by the spec) has a TTL,
 *   so users who stop coming back cost nothing.</li>
 *   <li>An event id seen within {@code dedupTtlMs} is a producer's retry: dropped and counted in
 *   {@code duplicates}, so at-least-once producers still train each event once.</li>
 *   <li>Each timer finds the impressions and clicks due at its time through an index by due time,
 *   instead of scanning everything the user has pending.</li>
 * </ul>
 * Features are extracted here, where the history lives, so the trainer only trains. An event is
 * decoded here only when its features are built (an impression when its label is known, a labelled
 * event at once); clicks are matched and impressions parked from the header the source already read.
 *
 * <p>This is also the one place serving features come from: every change of a history goes out on
 * {@link #USER_FEATURES} (when the spec has history fields), and every example's impression on
 * {@link #ITEMS_SHOWN}, so servers score with what training saw, under the same rules (dedup,
 * attribution, event time, TTL).
 */
public class ImpressionClickJoiner extends KeyedProcessFunction<String, SourceRecord, FeatureRow>
        implements CheckpointedFunction {
    /** A user's history after each change: a {@code ServingFeatures} record keyed {@code user:<id>}. */
    public static final OutputTag<KeyedRecord> USER_FEATURES = new OutputTag<>("user-features") {};
    /** Each example's impression, for the item's serving features (combined per item for up to {@link #ITEM_FLUSH_MS}). */
    public static final OutputTag<ItemShown> ITEMS_SHOWN = new OutputTag<>("items-shown") {};

    /** Longest an example's impression waits, combined with others of its item, before it goes to the item's publisher. */
    static final long ITEM_FLUSH_MS = 100;

    private final String specJson;
    private final JoinTimes times;
    private final FeaturePublishing publishing;

    private transient FeatureSpec spec;
    private transient boolean usesHistory;
    private transient FeatureExtractor extractor;
    private transient AvroSerde<ClickEvent> serde;
    private transient AvroSerde<ServingFeatures> featureSerde;
    private transient long specFingerprint;
    private transient ValueState<byte[]> history;
    private transient MapState<String, byte[]> pending;
    private transient MapState<String, byte[]> trainedNegatives;
    private transient MapState<String, Long> earlyClicks;
    private transient MapState<Long, String[]> due;
    private transient MapState<String, Boolean> seenEvents;
    private transient Counter duplicates;
    private transient Counter positives;
    private transient Counter negatives;
    private transient Counter labelled;
    private transient Counter unmatchedClicks;
    private transient Counter lateClicks;
    // when the event being handled reached Kafka, the source, validation (a closing window: now)
    private transient long kafkaTime;
    private transient long readAt;
    private transient long validatedAt;
    private transient long labelTime;

    private transient ItemsShownCombiner items;
    private transient ListState<ItemShown> itemsState;
    private transient long itemFlushAt; // processing time of the flush timer registered, 0: none

    public ImpressionClickJoiner(String specJson, JoinTimes times, FeaturePublishing publishing) {
        this.specJson = specJson;
        this.times = times;
        this.publishing = publishing;
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        items = new ItemsShownCombiner(publishing.popularityHalfLifeMs());
        itemsState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("items-shown", ItemShown.class));
        if (ctx.isRestored()) items.restore(itemsState.get());
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        itemsState.update(items.snapshot());
    }

    @Override
    public void open(OpenContext ctx) {
        spec = FeatureSpec.parse(specJson);
        extractor = new FeatureExtractor(spec);
        usesHistory = spec.usesHistory();
        serde = AvroSerde.clickEvents();
        featureSerde = AvroSerde.servingFeatures();
        specFingerprint = spec.fingerprint();
        StateTtlConfig historyTtl = StateTtlConfig.newBuilder(Duration.ofMillis(times.historyTtlMs()))
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired).build();
        ValueStateDescriptor<byte[]> h = new ValueStateDescriptor<>("history", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        h.enableTimeToLive(historyTtl);
        history = getRuntimeContext().getState(h);
        // Pending entries are removed by timers; the TTL only guards against anything left behind.
        long guard = Math.max(times.historyTtlMs(), 4 * (times.windowMs() + times.lateClickHorizonMs()));
        StateTtlConfig pendingTtl = StateTtlConfig.newBuilder(Duration.ofMillis(guard))
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite).build();
        MapStateDescriptor<String, byte[]> p = new MapStateDescriptor<>("pending-impressions", Types.STRING,
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        p.enableTimeToLive(pendingTtl);
        pending = getRuntimeContext().getMapState(p);
        MapStateDescriptor<String, byte[]> n = new MapStateDescriptor<>("trained-negatives", Types.STRING,
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        n.enableTimeToLive(pendingTtl);
        trainedNegatives = getRuntimeContext().getMapState(n);
        MapStateDescriptor<String, Long> c = new MapStateDescriptor<>("early-clicks", Types.STRING, Types.LONG);
        c.enableTimeToLive(pendingTtl);
        earlyClicks = getRuntimeContext().getMapState(c);
        MapStateDescriptor<Long, String[]> d = new MapStateDescriptor<>("due", Types.LONG, BasicArrayTypeInfo.STRING_ARRAY_TYPE_INFO);
        d.enableTimeToLive(pendingTtl);
        due = getRuntimeContext().getMapState(d);
        if (times.dedupTtlMs() > 0) {
            MapStateDescriptor<String, Boolean> seen = new MapStateDescriptor<>("seen-events", Types.STRING, Types.BOOLEAN);
            seen.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(times.dedupTtlMs()))
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired).build());
            seenEvents = getRuntimeContext().getMapState(seen);
        }
        var metrics = getRuntimeContext().getMetricGroup();
        positives = metrics.counter("positives");
        negatives = metrics.counter("negatives");
        labelled = metrics.counter("prelabelled");
        unmatchedClicks = metrics.counter("unmatched_clicks");
        lateClicks = metrics.counter("late_clicks");
        duplicates = metrics.counter("duplicates");
    }

    @Override
    public void processElement(SourceRecord r, Context ctx, Collector<FeatureRow> out) throws Exception {
        kafkaTime = r.kafkaTime;
        readAt = r.readAt;
        validatedAt = r.validatedAt;
        labelTime = r.eventTime;
        if (seenEvents != null) {
            if (seenEvents.contains(r.eventId)) {
                duplicates.inc();
                return;
            }
            seenEvents.put(r.eventId, Boolean.TRUE);
        }
        if (r.labelled && !usesHistory) {
            // pre-labelled and no history features: nothing to remember, skip the state round trip
            ClickEvent e = decode(r);
            collect(out, extractor.toRow(e, null, e.getLabel()));
            labelled.inc();
            shown(ctx, r.raw, e, e.getLabel() == 1, e.getEventTime());
            return;
        }
        UserHistory h = loadHistory();
        if (!r.click) {
            long earlyClick;
            if (r.labelled) {
                ClickEvent e = decode(r);
                collect(out, extractor.toRow(e, h, e.getLabel()));
                labelled.inc();
                shown(ctx, r.raw, e, e.getLabel() == 1, e.getEventTime());
                extractor.updateHistory(h, e, e.getLabel() == 1);
            } else if ((earlyClick = earlyClickTime(r.impressionId)) != Long.MIN_VALUE) {
                earlyClicks.remove(r.impressionId);
                ClickEvent e = decode(r);
                collect(out, extractor.toRow(e, h, 1f));
                positives.inc();
                shown(ctx, r.raw, e, true, earlyClick);
                extractor.updateHistory(h, e, true);
            } else {
                // parked as bytes: decoded once, when its label is known
                pending.put(r.impressionId, encodePending(r.eventTime, r.raw, h.toBytes()));
                dueAt(r.eventTime + times.windowMs(), IMPRESSION + r.impressionId, ctx);
                h.recordImpression(r.eventTime);
            }
            saveHistory(ctx, h);
        } else {
            String id = r.impressionId;
            byte[] p = pending.get(id);
            boolean late = p == null && (p = trainedNegatives.get(id)) != null;
            if (p != null) {
                if (late) {
                    trainedNegatives.remove(id);
                    lateClicks.inc();
                } else {
                    pending.remove(id);
                    positives.inc();
                }
                ClickEvent impression = emit(p, 1f, late, out, ctx, r.eventTime);
                extractor.recordClick(h, impression, r.eventTime);
                saveHistory(ctx, h);
            } else {
                earlyClicks.put(id, r.eventTime);
                dueAt(r.eventTime + times.windowMs(), CLICK + id, ctx);
            }
        }
    }

    /** Emits an example stamped with when the event that labelled it passed each stage so far. */
    private void collect(Collector<FeatureRow> out, FeatureRow row) {
        row.kafkaTime = kafkaTime;
        row.readAt = readAt;
        row.validatedAt = validatedAt;
        row.labelledAt = System.currentTimeMillis();
        row.labelTime = labelTime;
        out.collect(row);
    }

    private ClickEvent decode(SourceRecord r) {
        try {
            return serde.decode(r.raw);
        } catch (MalformedMessageException ex) {
            throw new IllegalStateException("record validated at the source no longer decodes", ex);
        }
    }

    private static final char IMPRESSION = 'i';
    private static final char CLICK = 'c';
    private static final char TRAINED_NEGATIVE = 'n';

    /** Registers a timer and files the (kind-prefixed) impression id under its due time. */
    private void dueAt(long time, String id, Context ctx) throws Exception {
        String[] ids = due.get(time);
        String[] grown = ids == null ? new String[1] : Arrays.copyOf(ids, ids.length + 1);
        grown[grown.length - 1] = id;
        due.put(time, grown);
        ctx.timerService().registerEventTimeTimer(time);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeatureRow> out) throws Exception {
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) { // the combined items' flush
            items.drainTo(s -> ctx.output(ITEMS_SHOWN, s));
            itemFlushAt = 0;
            return;
        }
        kafkaTime = readAt = validatedAt = System.currentTimeMillis(); // a negative is labelled now
        labelTime = timestamp; // by its window's end, in event time
        String[] ids = due.get(timestamp);
        if (ids == null) return;
        due.remove(timestamp);
        for (String tagged : ids) {
            String id = tagged.substring(1);
            if (tagged.charAt(0) == IMPRESSION) {
                byte[] p = pending.get(id);
                if (p == null) continue; // clicked meanwhile
                pending.remove(id);
                emit(p, 0f, false, out, ctx, 0);
                negatives.inc();
                if (times.lateClickHorizonMs() > 0) {
                    trainedNegatives.put(id, p);
                    dueAt(timestamp + times.lateClickHorizonMs(), TRAINED_NEGATIVE + id, ctx);
                }
            } else if (tagged.charAt(0) == TRAINED_NEGATIVE) {
                trainedNegatives.remove(id); // its horizon has passed: a click now is unmatched
            } else if (earlyClicks.contains(id)) {
                earlyClicks.remove(id);
                unmatchedClicks.inc();
            }
        }
    }

    /** The early click's event time, or Long.MIN_VALUE when none waits for this impression. */
    private long earlyClickTime(String impressionId) throws Exception {
        Long t = earlyClicks.get(impressionId);
        return t == null ? Long.MIN_VALUE : t;
    }

    /** Stores the history and, where serving uses histories, publishes it. */
    private void saveHistory(Context ctx, UserHistory h) throws Exception {
        history.update(h.toBytes());
        if (usesHistory) {
            String user = ctx.getCurrentKey();
            ServingFeatures f = ServingFeatureRecords.user(user, h, specFingerprint, System.currentTimeMillis(), times.historyTtlMs());
            ctx.output(USER_FEATURES, new KeyedRecord(ServingFeatureRecords.userKey(user), featureSerde.encode(f)));
        }
    }

    /** An example's impression, for its item's serving features: combined, and flushed by a processing-time timer. */
    private void shown(Context ctx, byte[] raw, ClickEvent impression, boolean clicked, long clickTime) {
        items.add(impression.getItemId(), impression.getEventTime(), raw, clicked, clickTime);
        if (itemFlushAt == 0) {
            itemFlushAt = ctx.timerService().currentProcessingTime() + Math.min(ITEM_FLUSH_MS, publishing.itemIntervalMs());
            ctx.timerService().registerProcessingTimeTimer(itemFlushAt);
        }
    }

    private UserHistory loadHistory() throws Exception {
        byte[] b = history.value();
        return b == null ? new UserHistory(spec.historyMaxItems()) : UserHistory.fromBytes(b, spec.historyMaxItems());
    }

    private static byte[] encodePending(long time, byte[] raw, byte[] historyBytes) {
        return ByteBuffer.allocate(8 + 4 + raw.length + historyBytes.length)
                .putLong(time).putInt(raw.length).put(raw).put(historyBytes).array();
    }

    /**
     * Emits a kept impression ({@link #encodePending}: time, Avro record, history as shown) as an
     * example with the features it had when it was shown; returns the impression.
     */
    private ClickEvent emit(byte[] kept, float label, boolean lateClick, Collector<FeatureRow> out, Context ctx,
                            long clickTime) throws MalformedMessageException {
        ByteBuffer b = ByteBuffer.wrap(kept);
        b.getLong();
        byte[] raw = new byte[b.getInt()];
        b.get(raw);
        ClickEvent impression = serde.decode(raw);
        byte[] asShown = new byte[b.remaining()];
        b.get(asShown);
        FeatureRow row = extractor.toRow(impression, UserHistory.fromBytes(asShown, spec.historyMaxItems()), label);
        row.lateClick = lateClick;
        collect(out, row);
        shown(ctx, raw, impression, label == 1f, clickTime);
        return impression;
    }
}

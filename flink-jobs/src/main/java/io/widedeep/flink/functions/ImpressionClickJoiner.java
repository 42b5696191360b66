package io.widedeep.flink.functions;

import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.features.UserHistory;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.flink.records.SourceRecord;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import io.widedeep.schemas.MalformedMessageException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Per user (keyed state on RocksDB): turns impressions and clicks into labelled examples and keeps
 * the user's history.
 *
 * <ul>
 *   <li>An impression waits, with the features it had when it was shown, for a click with its
 *   impression id. A click inside the attribution window (event time) makes it a positive at once;
 *   when the window closes without one it becomes a negative.</li>
 *   <li>A click that arrives before its impression (out of order) waits for it for one window.
 *   A click that finds no impression within the window is counted as {@code unmatched_clicks}.</li>
 *   <li>A pre-labelled impression (Criteo, Open Bandit ...) is an example as it stands.</li>
 *   <li>The history (recent clicked items and categories, counters; bounded by the spec) has a TTL,
 *   so users who stop coming back cost nothing.</li>
 * </ul>
 * Features are extracted here, where the history lives, so the trainer only trains.
 */
public class ImpressionClickJoiner extends KeyedProcessFunction<String, SourceRecord, FeatureRow> {
    private final String specJson;
    private final long windowMs;
    private final long historyTtlMs;

    private transient FeatureSpec spec;
    private transient boolean usesHistory;
    private transient FeatureExtractor extractor;
    private transient AvroSerde<ClickEvent> serde;
    private transient ValueState<byte[]> history;
    private transient MapState<String, byte[]> pending;
    private transient MapState<String, Long> earlyClicks;
    private transient Counter positives;
    private transient Counter negatives;
    private transient Counter labelled;
    private transient Counter unmatchedClicks;

    public ImpressionClickJoiner(String specJson, long windowMs, long historyTtlMs) {
        this.specJson = specJson;
        this.windowMs = windowMs;
        this.historyTtlMs = historyTtlMs;
    }

    @Override
    public void open(OpenContext ctx) {
        spec = FeatureSpec.parse(specJson);
        extractor = new FeatureExtractor(spec);
        usesHistory = spec.usesHistory();
        serde = AvroSerde.clickEvents();
        StateTtlConfig historyTtl = StateTtlConfig.newBuilder(Duration.ofMillis(historyTtlMs))
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired).build();
        ValueStateDescriptor<byte[]> h = new ValueStateDescriptor<>("history", org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        h.enableTimeToLive(historyTtl);
        history = getRuntimeContext().getState(h);
        // Pending entries are removed by timers; the TTL only guards against anything left behind.
        StateTtlConfig pendingTtl = StateTtlConfig.newBuilder(Duration.ofMillis(Math.max(historyTtlMs, 4 * windowMs)))
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite).build();
        MapStateDescriptor<String, byte[]> p = new MapStateDescriptor<>("pending-impressions", Types.STRING,
                org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        p.enableTimeToLive(pendingTtl);
        pending = getRuntimeContext().getMapState(p);
        MapStateDescriptor<String, Long> c = new MapStateDescriptor<>("early-clicks", Types.STRING, Types.LONG);
        c.enableTimeToLive(pendingTtl);
        earlyClicks = getRuntimeContext().getMapState(c);
        var metrics = getRuntimeContext().getMetricGroup();
        positives = metrics.counter("positives");
        negatives = metrics.counter("negatives");
        labelled = metrics.counter("prelabelled");
        unmatchedClicks = metrics.counter("unmatched_clicks");
    }

    @Override
    public void processElement(SourceRecord r, Context ctx, Collector<FeatureRow> out) throws Exception {
        ClickEvent e;
        try {
            e = serde.decode(r.raw);
        } catch (MalformedMessageException ex) {
            throw new IllegalStateException("record validated at the source no longer decodes", ex);
        }
        if (e.getLabel() != null && !usesHistory) {
            // pre-labelled and no history features: nothing to remember, skip the state round trip
            out.collect(extractor.toRow(e, null, e.getLabel()));
            labelled.inc();
            return;
        }
        UserHistory h = loadHistory();
        if (e.getEventType() == EventType.IMPRESSION) {
            if (e.getLabel() != null) {
                out.collect(extractor.toRow(e, h, e.getLabel()));
                labelled.inc();
                extractor.updateHistory(h, e, e.getLabel() == 1);
                history.update(h.toBytes());
                return;
            }
            Long clickedAt = earlyClicks.get(e.getImpressionId());
            if (clickedAt != null) {
                earlyClicks.remove(e.getImpressionId());
                out.collect(extractor.toRow(e, h, 1f));
                positives.inc();
                extractor.updateHistory(h, e, true);
            } else {
                pending.put(e.getImpressionId(), encodePending(e.getEventTime(), r.raw, h.toBytes()));
                ctx.timerService().registerEventTimeTimer(e.getEventTime() + windowMs);
                h.recordImpression(e.getEventTime());
            }
            history.update(h.toBytes());
        } else {
            byte[] p = pending.get(e.getImpressionId());
            if (p != null) {
                pending.remove(e.getImpressionId());
                ByteBuffer b = ByteBuffer.wrap(p);
                b.getLong();
                ClickEvent impression = decodeImpression(b);
                UserHistory asShown = UserHistory.fromBytes(remaining(b), spec.historyMaxItems());
                out.collect(extractor.toRow(impression, asShown, 1f));
                positives.inc();
                extractor.recordClick(h, impression, e.getEventTime());
                history.update(h.toBytes());
            } else {
                earlyClicks.put(e.getImpressionId(), e.getEventTime());
                ctx.timerService().registerEventTimeTimer(e.getEventTime() + windowMs);
            }
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeatureRow> out) throws Exception {
        List<String> due = new ArrayList<>();
        for (Map.Entry<String, byte[]> entry : pending.entries()) {
            long shownAt = ByteBuffer.wrap(entry.getValue()).getLong();
            if (shownAt + windowMs <= timestamp) {
                ByteBuffer b = ByteBuffer.wrap(entry.getValue());
                b.getLong();
                ClickEvent impression = decodeImpression(b);
                UserHistory asShown = UserHistory.fromBytes(remaining(b), spec.historyMaxItems());
                out.collect(extractor.toRow(impression, asShown, 0f));
                negatives.inc();
                due.add(entry.getKey());
            }
        }
        for (String id : due) pending.remove(id);
        due.clear();
        for (Map.Entry<String, Long> entry : earlyClicks.entries()) {
            if (entry.getValue() + windowMs <= timestamp) due.add(entry.getKey());
        }
        for (String id : due) {
            earlyClicks.remove(id);
            unmatchedClicks.inc();
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

    private ClickEvent decodeImpression(ByteBuffer b) throws MalformedMessageException {
        byte[] raw = new byte[b.getInt()];
        b.get(raw);
        return serde.decode(raw);
    }

    private static byte[] remaining(ByteBuffer b) {
        byte[] rest = new byte[b.remaining()];
        b.get(rest);
        return rest;
    }
}

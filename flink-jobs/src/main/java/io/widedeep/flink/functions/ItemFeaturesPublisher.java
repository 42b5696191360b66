package io.widedeep.flink.functions;

import io.widedeep.core.features.ServingFeatureRecords;
import io.widedeep.flink.records.FeaturePublishing;
import io.widedeep.flink.records.ItemShown;
import io.widedeep.flink.records.KeyedRecord;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.ItemFeatures;
import io.widedeep.schemas.MalformedMessageException;
import io.widedeep.schemas.ServingFeatures;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Per item (keyed state on RocksDB): the item's attributes as shown in its newest example's
 * impression, and its popularity from the clicks the joiner attributed to it (forward-decayed, see
 * {@link ServingFeatureRecords#addClick}; the joiner combines an item's examples for a moment before
 * they come here), published as {@code ServingFeatures} records keyed
 * {@code item:<id>}. An item that changes often is published at most every
 * {@code features.item.interval.ms}, with everything that changed meanwhile: the topic carries the
 * active items' state, not every impression. Items without examples for {@code items.ttl.ms} are
 * forgotten (state TTL), and their records expire at servers at the same time.
 */
public class ItemFeaturesPublisher extends KeyedProcessFunction<String, ItemShown, KeyedRecord> {
    private final FeaturePublishing publishing;
    private final long specFingerprint;

    private transient ValueState<byte[]> item;
    private transient AvroSerde<ClickEvent> events;
    private transient AvroSerde<ServingFeatures> features;

    /** State layout: shown at, log2 popularity, clicks, last published, timer due (0: none), then the impression's bytes. */
    private static final int HEADER = 5 * 8;

    public ItemFeaturesPublisher(FeaturePublishing publishing, long specFingerprint) {
        this.publishing = publishing;
        this.specFingerprint = specFingerprint;
    }

    @Override
    public void open(OpenContext ctx) {
        ValueStateDescriptor<byte[]> d = new ValueStateDescriptor<>("item", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        d.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(publishing.itemTtlMs()))
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired).build());
        item = getRuntimeContext().getState(d);
        events = AvroSerde.clickEvents();
        features = AvroSerde.servingFeatures();
    }

    @Override
    public void processElement(ItemShown s, Context ctx, Collector<KeyedRecord> out) throws Exception {
        byte[] old = item.value();
        long shownAt = Long.MIN_VALUE;
        double popularity = Double.NEGATIVE_INFINITY;
        long clicks = 0;
        long published = Long.MIN_VALUE;
        long timer = 0;
        byte[] impression = s.impression;
        if (old != null) {
            ByteBuffer b = ByteBuffer.wrap(old);
            shownAt = b.getLong();
            popularity = b.getDouble();
            clicks = b.getLong();
            published = b.getLong();
            timer = b.getLong();
            if (s.shownAt < shownAt) { // an older impression (a late click's): its attributes are not the newest
                impression = new byte[b.remaining()];
                b.get(impression);
            }
        }
        shownAt = Math.max(shownAt, s.shownAt);
        popularity = ServingFeatureRecords.addLog2(popularity, s.log2Clicks);
        clicks += s.clicks;
        long now = ctx.timerService().currentProcessingTime();
        if (timer == 0) {
            if (published == Long.MIN_VALUE || now - published >= publishing.itemIntervalMs()) {
                out.collect(record(ctx.getCurrentKey(), shownAt, impression, clicks, popularity, now));
                published = now;
            } else {
                timer = published + publishing.itemIntervalMs();
                ctx.timerService().registerProcessingTimeTimer(timer);
            }
        }
        item.update(state(shownAt, popularity, clicks, published, timer, impression));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<KeyedRecord> out) throws Exception {
        byte[] kept = item.value();
        if (kept == null) return; // expired meanwhile
        ByteBuffer b = ByteBuffer.wrap(kept);
        long shownAt = b.getLong();
        double popularity = b.getDouble();
        long clicks = b.getLong();
        b.getLong();
        b.getLong();
        byte[] impression = new byte[b.remaining()];
        b.get(impression);
        out.collect(record(ctx.getCurrentKey(), shownAt, impression, clicks, popularity, timestamp));
        item.update(state(shownAt, popularity, clicks, timestamp, 0, impression));
    }

    private static byte[] state(long shownAt, double popularity, long clicks, long published, long timer, byte[] impression) {
        return ByteBuffer.allocate(HEADER + impression.length).putLong(shownAt).putDouble(popularity).putLong(clicks)
                .putLong(published).putLong(timer).put(impression).array();
    }

    private KeyedRecord record(String itemId, long shownAt, byte[] impression, long clicks, double popularity, long now)
            throws MalformedMessageException {
        ClickEvent e = events.decode(impression);
        ItemFeatures f = ItemFeatures.newBuilder().setItemId(itemId).setShownAt(shownAt)
                .setContext(new HashMap<>(e.getContext())).setNumeric(new HashMap<>(e.getNumeric()))
                .setClicks(clicks).setLog2Popularity(popularity).build();
        ServingFeatures r = ServingFeatures.newBuilder().setSpecFingerprint(specFingerprint).setWrittenAt(now)
                .setExpiresAt(now + publishing.itemTtlMs()).setEntity(f).build();
        return new KeyedRecord(ServingFeatureRecords.itemKey(itemId), features.encode(r));
    }
}

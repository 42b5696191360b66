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

    /** One item's state, as kept in {@link #item}. */
    private static final class Kept {
        long shownAt = Long.MIN_VALUE;
        double popularity = Double.NEGATIVE_INFINITY;
        long clicks;
        long published = Long.MIN_VALUE; // processing time of the last record
        long timer; // processing time of the timer due, 0: none
        byte[] impression; // the newest impression's bytes

        /** Layout: shown at, log2 popularity, clicks, last published, timer due, then the impression's bytes. */
        static Kept read(byte[] bytes) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            Kept k = new Kept();
            k.shownAt = b.getLong();
            k.popularity = b.getDouble();
            k.clicks = b.getLong();
            k.published = b.getLong();
            k.timer = b.getLong();
            k.impression = new byte[b.remaining()];
            b.get(k.impression);
            return k;
        }

        byte[] bytes() {
            return ByteBuffer.allocate(5 * 8 + impression.length).putLong(shownAt).putDouble(popularity).putLong(clicks)
                    .putLong(published).putLong(timer).put(impression).array();
        }
    }

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
        Kept k = old == null ? new Kept() : Kept.read(old);
        if (k.impression == null || s.shownAt >= k.shownAt) { // else an older impression (a late click's): not the newest attributes
            k.shownAt = s.shownAt;
            k.impression = s.impression;
        }
        k.popularity = ServingFeatureRecords.addLog2(k.popularity, s.log2Clicks);
        k.clicks += s.clicks;
        long now = ctx.timerService().currentProcessingTime();
        if (k.timer == 0) {
            if (k.published == Long.MIN_VALUE || now - k.published >= publishing.itemIntervalMs()) {
                out.collect(record(ctx.getCurrentKey(), k, now));
                k.published = now;
            } else {
                k.timer = k.published + publishing.itemIntervalMs();
                ctx.timerService().registerProcessingTimeTimer(k.timer);
            }
        }
        item.update(k.bytes());
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<KeyedRecord> out) throws Exception {
        byte[] kept = item.value();
        if (kept == null) return; // expired meanwhile
        Kept k = Kept.read(kept);
        out.collect(record(ctx.getCurrentKey(), k, timestamp));
        k.published = timestamp;
        k.timer = 0;
        item.update(k.bytes());
    }

    private KeyedRecord record(String itemId, Kept k, long now) throws MalformedMessageException {
        ClickEvent e = events.decode(k.impression);
        ItemFeatures f = ItemFeatures.newBuilder().setItemId(itemId).setShownAt(k.shownAt)
                .setContext(new HashMap<>(e.getContext())).setNumeric(new HashMap<>(e.getNumeric()))
                .setClicks(k.clicks).setLog2Popularity(k.popularity).build();
        ServingFeatures r = ServingFeatures.newBuilder().setSpecFingerprint(specFingerprint).setWrittenAt(now)
                .setExpiresAt(now + publishing.itemTtlMs()).setEntity(f).build();
        return new KeyedRecord(ServingFeatureRecords.itemKey(itemId), features.encode(r));
    }
}

package io.widedeep.datasets;

import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.Map;

/** Builds the labelled impression events that file readers produce. */
final class Events {
    private Events() {}

    static ClickEvent labelled(String id, String user, String item, long time, Map<String, String> ctx,
                               Map<String, Double> num, int label) {
        return ClickEvent.newBuilder().setEventId(id).setEventType(EventType.IMPRESSION).setImpressionId(id)
                .setUserId(user).setItemId(item).setEventTime(time).setContext(ctx).setNumeric(num)
                .setLabel(label).build();
    }
}

package io.widedeep.bench;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.UserHistory;
import io.widedeep.datasets.EventReader;
import io.widedeep.datasets.Readers;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A file's labelled examples in order, extracted into batches with each user's history where the
 * spec uses it (what the job's joiner builds): the input of every benchmark that trains a model.
 */
final class ExampleStream implements AutoCloseable {
    private final EventReader in;
    private final FeatureSpec spec;
    private final FeatureExtractor extractor;
    private final Map<String, UserHistory> histories = new HashMap<>();
    private final long limit;
    private long read;

    ExampleStream(String format, Path data, FeatureSpec spec, long limit) throws Exception {
        this.in = Readers.open(format, data, spec);
        this.spec = spec;
        this.extractor = new FeatureExtractor(spec);
        this.limit = limit;
    }

    ExampleBatch newBatch() {
        return extractor.newBatch(spec.batchSize());
    }

    /** Clears the batch and fills it with the next examples, up to its capacity; false when none were left. */
    boolean fill(ExampleBatch batch) throws Exception {
        batch.clear();
        while (!batch.isFull() && read < limit && in.hasNext()) {
            ClickEvent e = in.next();
            Integer label = e.getLabel();
            if (label == null) continue;
            UserHistory h = spec.usesHistory()
                    ? histories.computeIfAbsent(e.getUserId(), u -> new UserHistory(spec.historyMaxItems())) : null;
            extractor.extract(e, h, label, batch);
            if (h != null) extractor.updateHistory(h, e, label == 1);
            read++;
        }
        return batch.size() > 0;
    }

    @Override
    public void close() throws Exception {
        in.close();
    }
}

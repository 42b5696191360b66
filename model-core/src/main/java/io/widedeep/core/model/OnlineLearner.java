package io.widedeep.core.model;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.UserHistory;
import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.schemas.ClickEvent;

/**
 * The training loop: feeds labelled examples to a {@link WideDeepModel} in mini-batches of the
 * spec's size, records every progressive-validation prediction in the metrics and hands it to a
 * listener. The one loop that trains: the benchmark, the tests and the Flink trainer
 * ({@code OnlineTrainer}, which adds its quality gate as the listener) all run it.
 */
public final class OnlineLearner {
    /**
     * Receives every progressive-validation prediction with its label and its row in the batch, in
     * stream order. Late clicks (corrections of an example already scored) are not predictions.
     */
    public interface PredictionListener {
        void onPrediction(int row, float p, float label);
    }

    private final WideDeepModel model;
    private final ProgressiveValidation metrics;
    private float[] predictions;
    private FeatureExtractor extractor; // only for add(): the job extracts upstream
    private ExampleBatch batch;
    private PredictionListener listener;

    public OnlineLearner(WideDeepModel model, int metricsWindow) {
        this(model, new ProgressiveValidation(metricsWindow));
    }

    /** A loop that records into existing metrics (restored from a checkpoint, say). */
    public OnlineLearner(WideDeepModel model, ProgressiveValidation metrics) {
        this.model = model;
        this.metrics = metrics;
        this.predictions = new float[model.spec().batchSize()];
    }

    public void setListener(PredictionListener listener) {
        this.listener = listener;
    }

    /** Adds one example (the event as the user saw it, with the history it was seen with). */
    public void add(ClickEvent event, UserHistory history, float label) {
        if (extractor == null) {
            extractor = new FeatureExtractor(model.spec());
            batch = extractor.newBatch(model.spec().batchSize());
        }
        extractor.extract(event, history, label, batch);
        if (batch.isFull()) {
            flush();
        }
    }

    /** Trains on the examples buffered so far, even if fewer than a batch. */
    public void flush() {
        if (batch == null) return;
        train(batch);
        batch.clear();
    }

    /**
     * Trains on a batch whose features were extracted elsewhere (upstream of the trainer, where the
     * user's history lives), recording the progressive-validation predictions. Leaves it filled.
     */
    public void train(ExampleBatch examples) {
        int n = examples.size();
        if (n == 0) {
            return;
        }
        if (predictions.length < examples.capacity()) {
            predictions = new float[examples.capacity()];
        }
        model.trainBatch(examples, predictions);
        for (int i = 0; i < n; i++) {
            if (examples.isLateClick(i)) {
                metrics.addLateClick();
                continue;
            }
            metrics.add(predictions[i], examples.label(i));
            if (listener != null) {
                listener.onPrediction(i, predictions[i], examples.label(i));
            }
        }
    }

    public WideDeepModel model() {
        return model;
    }

    public ProgressiveValidation metrics() {
        return metrics;
    }
}

package io.widedeep.core.model;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.UserHistory;
import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.schemas.ClickEvent;

/**
 * Feeds labelled examples to a {@link WideDeepModel} in mini-batches of the spec's size and keeps
 * progressive-validation metrics. The same loop runs in the benchmark and inside the Flink trainer.
 */
public final class OnlineLearner {
    /** Receives every progressive-validation prediction with its label, in stream order. */
    public interface PredictionListener {
        void onPrediction(float p, float label);
    }

    private final WideDeepModel model;
    private final FeatureExtractor extractor;
    private final ExampleBatch batch;
    private final float[] predictions;
    private final ProgressiveValidation metrics;
    private PredictionListener listener;

    public OnlineLearner(WideDeepModel model, int metricsWindow) {
        this.model = model;
        this.extractor = new FeatureExtractor(model.spec());
        this.batch = extractor.newBatch(model.spec().batchSize());
        this.predictions = new float[batch.capacity()];
        this.metrics = new ProgressiveValidation(metricsWindow);
    }

    public void setListener(PredictionListener listener) {
        this.listener = listener;
    }

    /** Adds one example (the event as the user saw it, with the history it was seen with). */
    public void add(ClickEvent event, UserHistory history, float label) {
        extractor.extract(event, history, label, batch);
        if (batch.isFull()) {
            flush();
        }
    }

    /** Trains on the examples buffered so far, even if fewer than a batch. */
    public void flush() {
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
        model.trainBatch(examples, predictions);
        for (int i = 0; i < n; i++) {
            metrics.add(predictions[i], examples.label(i));
            if (listener != null) {
                listener.onPrediction(predictions[i], examples.label(i));
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

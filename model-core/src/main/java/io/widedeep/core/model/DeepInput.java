package io.widedeep.core.model;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.spec.FeatureSpec;
import java.util.Arrays;

/**
 * The deep part's input layer: each row's field embeddings (the mean of a multi-valued field's
 * rows) and normalised numerics, laid side by side as the MLP's input; the factorisation machine's
 * pairwise term over those embeddings (DeepFM); and, backwards, the input's gradient spread onto the
 * embedding rows it came from. It owns no weights: the tables are the model's.
 */
final class DeepInput {
    final EmbeddingTable[] embeddings;
    private final int[] deepFields;
    private final int[] numericFields;
    private final int[] offsets;
    private final NumericNormalizer normalizer;
    final boolean fm;
    private final FieldGates fmGate; // null: the FM term enters the logit as it is

    DeepInput(FeatureSpec spec, EmbeddingTable[] embeddings, NumericNormalizer normalizer, FieldGates fmGate) {
        this.embeddings = embeddings;
        this.fmGate = fmGate;
        this.deepFields = spec.deepFields();
        this.numericFields = spec.numericFields();
        this.normalizer = normalizer;
        this.fm = spec.interaction() == FeatureSpec.Interaction.FM;
        this.offsets = new int[deepFields.length];
        for (int k = 1; k < deepFields.length; k++) offsets[k] = offsets[k - 1] + spec.embeddingDims()[k - 1];
    }

    /** Fills the MLP's input for the batch's rows; in training, records each value's slot for {@link #backward}. */
    void gather(ExampleBatch batch, WideDeepModel.Scratch s, int width, boolean training) {
        int n = batch.size();
        float[] in = s.ws.input;
        int values = n == 0 ? 0 : batch.valueEnd(n - 1, batch.numFields() - 1);
        if (s.valueSlots.length < values) {
            s.valueSlots = new int[Math.max(values * 2, 1024)];
        }
        // rows past the batch are padding: zero so they stay finite; their gradients are zero anyway
        Arrays.fill(in, n * width, s.capacity * width, 0f);
        for (int r = 0; r < n; r++) {
            long t = batch.eventTime(r);
            int rowOff = r * width;
            for (int k = 0; k < deepFields.length; k++) {
                gatherField(batch, s, r, k, rowOff + offsets[k], width, t, training);
            }
            int numOff = rowOff + width - numericFields.length;
            for (int j = 0; j < numericFields.length; j++) {
                in[numOff + j] = normalizer.normalize(j, batch.numeric(r, numericFields[j]));
            }
        }
    }

    private void gatherField(ExampleBatch batch, WideDeepModel.Scratch s, int r, int k, int off, int width, long t,
                             boolean training) {
        float[] in = s.ws.input;
        EmbeddingTable table = embeddings[k];
        int f = deepFields[k];
        int dim = table.dim;
        int start = batch.valueStart(r, f), end = batch.valueEnd(r, f);
        if (!training && r > 0 && end > start && sameValues(batch, r, f)) {
            // a request's candidates share the user's fields and history: copy, don't look up again
            System.arraycopy(in, off - width, in, off, dim);
            return;
        }
        Arrays.fill(in, off, off + dim, 0f);
        for (int i = start; i < end; i++) {
            int slot = training ? table.slotForTraining(batch.value(i), t) : table.index.get(batch.value(i));
            if (training) s.valueSlots[i] = slot;
            if (slot < 0) continue;
            float[] rows = table.rows;
            int ro = slot * dim;
            for (int j = 0; j < dim; j++) in[off + j] += rows[ro + j];
        }
        if (end - start > 1) {
            float inv = 1f / (end - start);
            for (int j = 0; j < dim; j++) in[off + j] *= inv;
        }
    }

    /** Whether field f of row r has exactly the values it has in row r - 1. */
    private static boolean sameValues(ExampleBatch batch, int r, int f) {
        int start = batch.valueStart(r, f), end = batch.valueEnd(r, f);
        int prev = batch.valueStart(r - 1, f);
        if (end - start != batch.valueEnd(r - 1, f) - prev) return false;
        for (int i = start; i < end; i++) {
            if (batch.value(i) != batch.value(prev + i - start)) return false;
        }
        return true;
    }

    /**
     * The factorisation machine's pairwise term over the field embeddings e_1..e_F of each row
     * (DeepFM, Guo et al. 2017). Without gates, in O(F d) by Rendle's identity:
     * {@code sum_{i<j} <e_i, e_j> = 1/2 sum_d ((sum_i e_id)^2 - sum_i e_id^2)}. With them, each pair
     * of fields has its own learned weight, {@code sum_{i<j} r_ij <e_i, e_j>} (the field pair weights
     * of FwFM, Pan et al. WWW 2018), in O(F^2 d): pairs of fields that do not interact are turned
     * down one by one, where one weight on the whole term could only scale their noise with the
     * signal of the pairs that do.
     */
    void addPairwiseInteractions(WideDeepModel.Scratch s, int n, int width) {
        float[] in = s.ws.input;
        int dim = embeddings[0].dim;
        if (fmGate != null) {
            addGatedPairs(s, n, width);
            return;
        }
        for (int r = 0; r < n; r++) {
            double pairs = 0;
            for (int d = 0; d < dim; d++) {
                double sum = 0, squares = 0;
                for (int k = 0; k < embeddings.length; k++) {
                    double e = in[r * width + offsets[k] + d];
                    sum += e;
                    squares += e * e;
                }
                pairs += sum * sum - squares;
            }
            s.logits[r] += 0.5 * pairs;
        }
    }

    private void addGatedPairs(WideDeepModel.Scratch s, int n, int width) {
        float[] in = s.ws.input;
        int dim = embeddings[0].dim, fields = embeddings.length, pairs = fmGate.size();
        float[] gate = fmGate.gate;
        for (int r = 0; r < n; r++) {
            int row = r * width;
            double total = 0;
            for (int i = 0, p = 0; i < fields; i++) {
                int a = row + offsets[i];
                for (int j = i + 1; j < fields; j++, p++) {
                    int b = row + offsets[j];
                    // four partial sums: independent chains the CPU overlaps (one float chain cannot be reordered)
                    float d0 = 0, d1 = 0, d2 = 0, d3 = 0;
                    int d = 0;
                    for (; d + 3 < dim; d += 4) {
                        d0 += in[a + d] * in[b + d];
                        d1 += in[a + d + 1] * in[b + d + 1];
                        d2 += in[a + d + 2] * in[b + d + 2];
                        d3 += in[a + d + 3] * in[b + d + 3];
                    }
                    for (; d < dim; d++) d0 += in[a + d] * in[b + d];
                    double dot = (d0 + d1) + (d2 + d3);
                    s.pairDots[r * pairs + p] = dot;
                    total += gate[p] * dot;
                }
            }
            s.logits[r] += total;
        }
    }

    /**
     * Backwards: adds the pairwise term's gradient (d/d e_kd = sum_i e_id - e_kd, times the row's
     * output gradient) to the input's gradient {@code dIn}, then spreads each field's part of it over
     * the embedding rows it averaged.
     */
    void backward(ExampleBatch batch, WideDeepModel.Scratch s, float[] dOut, float[] dIn, int width) {
        int n = batch.size();
        if (fm) backPairwiseInteractions(s, n, dOut, dIn, width);
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < deepFields.length; k++) {
                int f = deepFields[k];
                int start = batch.valueStart(r, f), end = batch.valueEnd(r, f);
                if (end == start) continue;
                float scale = 1f / (end - start);
                for (int i = start; i < end; i++) {
                    int slot = s.valueSlots[i];
                    if (slot >= 0) embeddings[k].addGrad(slot, dIn, r * width + offsets[k], scale);
                }
            }
        }
    }

    private void backPairwiseInteractions(WideDeepModel.Scratch s, int n, float[] dOut, float[] dIn, int width) {
        float[] in = s.ws.input;
        int dim = embeddings[0].dim;
        if (fmGate != null) {
            backGatedPairs(s, n, dOut, dIn, width);
            return;
        }
        for (int r = 0; r < n; r++) {
            float g = dOut[r];
            for (int d = 0; d < dim; d++) {
                float sum = 0;
                for (int k = 0; k < embeddings.length; k++) {
                    sum += in[r * width + offsets[k] + d];
                }
                for (int k = 0; k < embeddings.length; k++) {
                    int i = r * width + offsets[k] + d;
                    dIn[i] += g * (sum - in[i]);
                }
            }
        }
    }

    /** d/d e_i = g sum_{j != i} r_ij e_j; d/d r_ij = g <e_i, e_j> (per example, into the gates' AdaGrad). */
    private void backGatedPairs(WideDeepModel.Scratch s, int n, float[] dOut, float[] dIn, int width) {
        float[] in = s.ws.input;
        int dim = embeddings[0].dim, fields = embeddings.length, pairs = fmGate.size();
        float[] gate = fmGate.gate;
        for (int r = 0; r < n; r++) {
            float g = dOut[r];
            if (g == 0) continue; // padding rows
            int row = r * width;
            for (int i = 0, p = 0; i < fields; i++) {
                int a = row + offsets[i];
                for (int j = i + 1; j < fields; j++, p++) {
                    int b = row + offsets[j];
                    double dot = s.pairDots[r * pairs + p];
                    if (dot != 0) fmGate.addGrad(p, g * dot);
                    float w = g * gate[p];
                    // two plain axpy loops: each vectorises, where one loop writing both ranges did not
                    for (int d = 0; d < dim; d++) dIn[a + d] += w * in[b + d];
                    for (int d = 0; d < dim; d++) dIn[b + d] += w * in[a + d];
                }
            }
        }
    }
}

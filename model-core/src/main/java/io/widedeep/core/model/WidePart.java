package io.widedeep.core.model;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import java.util.Arrays;

/**
 * The wide part's arithmetic: each row's sum of wide weights into its logit, with the field's
 * shared unknown-value weight standing in for a value whose own weight is zero, and each group
 * (field or cross) scaled by its gate when the gates are on; backwards, the logit's gradient onto
 * the keys and the gates. The weights are the model's {@link WideTable} and {@link FieldGates}.
 *
 * <p><b>Unknown values</b> ({@code wide.unknown_values}). A field's value whose own wide weight is
 * still zero (never seen, or held at zero by L1 for want of evidence) adds its field's shared
 * "unknown value" weight instead, which learns what such values have in common: the out-of-vocabulary
 * token of Criteo's winning field-aware FM entries (rare values mapped to one), but decided by the
 * weight itself, so serving (which holds the weights) decides exactly as training did.
 */
final class WidePart {
    private final WideTable wide;
    private final FieldGates gates; // null: no gates
    private final boolean unknownValues;

    WidePart(WideTable wide, FieldGates gates, boolean unknownValues) {
        this.wide = wide;
        this.gates = gates;
        this.unknownValues = unknownValues;
    }

    /** Each row's wide sum into its logit (through the field gates, when on); in training, records the keys' slots. */
    void forward(ExampleBatch batch, WideDeepModel.Scratch s, boolean training) {
        int n = batch.size();
        if (s.wideSlots.length < batch.wideEnd(n - 1)) {
            s.wideSlots = new int[Math.max(batch.wideEnd(n - 1) * 2, 1024)];
        }
        for (int r = 0; r < n; r++) {
            long t = batch.eventTime(r);
            double sum = 0;
            float previous = 0f; // weight of the key before: an unknown-value key counts only after a zero
            if (gates != null) Arrays.fill(s.groupSums, r * gates.size(), (r + 1) * gates.size(), 0f);
            for (int i = batch.wideStart(r), e = batch.wideEnd(r); i < e; i++) {
                long key = batch.wideKey(i);
                if (unknownValues && key < 0 && previous != 0f) {
                    s.wideSlots[i] = -1;
                    continue;
                }
                if (training) {
                    int slot = wide.slotForTraining(key, t);
                    s.wideSlots[i] = slot;
                    previous = wide.w[slot];
                } else {
                    previous = wide.weight(key);
                }
                if (gates == null) {
                    sum += previous;
                } else {
                    s.groupSums[r * gates.size() + group(key)] += previous;
                }
            }
            if (gates != null) {
                for (int g = 0, base = r * gates.size(); g < gates.size(); g++) sum += gates.gate[g] * s.groupSums[base + g];
            }
            s.logits[r] += sum;
        }
    }

    /** A gated key's gradient is scaled by its group's gate; a gate's is the logit's times its group's sum. */
    void backward(ExampleBatch batch, WideDeepModel.Scratch s, float[] dOut) {
        for (int r = 0, n = batch.size(); r < n; r++) {
            for (int i = batch.wideStart(r), e = batch.wideEnd(r); i < e; i++) {
                if (s.wideSlots[i] < 0) continue; // an unknown-value key that did not count
                wide.addGrad(s.wideSlots[i], gates == null ? dOut[r] : dOut[r] * gates.gate[group(batch.wideKey(i))]);
            }
            if (gates != null) {
                for (int g = 0, base = r * gates.size(); g < gates.size(); g++) {
                    if (s.groupSums[base + g] != 0f) gates.addGrad(g, (double) dOut[r] * s.groupSums[base + g]);
                }
            }
        }
    }

    /** The wide group (field or cross) a gated key belongs to: the bits above its hash (see FeatureExtractor). */
    private static int group(long key) {
        return (int) ((key >>> FeatureExtractor.GROUP_SHIFT) & 0x7FFF) - 1;
    }
}

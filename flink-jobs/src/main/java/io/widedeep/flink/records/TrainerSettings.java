package io.widedeep.flink.records;

import io.widedeep.core.model.DenseBackend;
import java.io.Serializable;

/**
 * The trainers: how many hold the one model, how long one waits for a peer before the job restarts,
 * the address they exchange gradients on (null: the host's), whether checkpoints compare their
 * weights, float64 dense math instead of float32, and where the MLP's passes run.
 */
public record TrainerSettings(int parallelism, long timeoutMs, String bindHost, boolean verifyReplicas, boolean float64,
                              DenseBackend backend)
        implements Serializable {}

package io.widedeep.core.model;

import io.widedeep.core.parallel.Collective;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Synchronous data parallelism for the MLP, the part of a training step that costs: each rank of
 * a {@link Collective} runs the forward and backward pass over its own contiguous slice of the
 * batch's rows, then the ranks all-gather the slices' outputs and input gradients and all-reduce
 * the weight gradients. Everything else in the step (sparse lookups, the wide part, the
 * interaction term, the optimizers) runs on every rank over the whole batch, on the same inputs in
 * the same order, so the ranks' models stay equal bit for bit.
 *
 * <p>Compared with one trainer on the same batch, the only difference is the order in which the
 * weight gradient's per-row terms are added (slice by slice, then rank by rank), a rounding-level
 * difference; with dropout, each slice draws its own masks.
 */
final class DataParallelMlp {
    private final Collective group;
    private final Mlp mlp;
    private final int[] rowCounts;
    private final int[] inputCounts;
    private final float[] grads; // float32 models
    private final float[] gatheredGrads;
    private final double[] grads64; // float64 models (gradient and equivalence checks)
    private final double[] gatheredGrads64;
    private Mlp.Workspace slice;
    private double[] sliceOut = new double[0];
    private float[] sliceDOut = new float[0];
    private int lo;
    private int hi;

    DataParallelMlp(Collective group, Mlp mlp) {
        this.group = group;
        this.mlp = mlp;
        this.rowCounts = new int[group.size()];
        this.inputCounts = new int[group.size()];
        int n = Math.toIntExact(mlp.numParams());
        boolean wide = mlp.dtype == DataType.DOUBLE;
        this.grads = wide ? null : new float[n];
        this.gatheredGrads = wide ? null : new float[n * group.size()];
        this.grads64 = wide ? new double[n] : null;
        this.gatheredGrads64 = wide ? new double[n * group.size()] : null;
    }

    /** Runs this rank's slice of {@code full}'s first {@code n} rows; every rank ends with all n outputs. */
    void forward(Mlp.Workspace full, int n, long step) {
        int size = group.size();
        for (int r = 0; r < size; r++) rowCounts[r] = start(n, r + 1) - start(n, r);
        lo = start(n, group.rank());
        hi = start(n, group.rank() + 1);
        int need = (full.capacity + size - 1) / size;
        if (slice == null || slice.capacity < need) {
            slice = mlp.newWorkspace(need);
            sliceOut = new double[need];
            sliceDOut = new float[need];
        }
        int width = mlp.inputWidth();
        System.arraycopy(full.input, lo * width, slice.input, 0, (hi - lo) * width);
        Arrays.fill(slice.input, (hi - lo) * width, slice.input.length, 0f); // padding rows
        mlp.forward(slice, step);
        System.arraycopy(slice.out, 0, sliceOut, 0, hi - lo);
        group.allGather(sliceOut, rowCounts, full.out);
    }

    /** Back-propagates this rank's slice of {@code dOut}; every rank ends with the summed weight gradient and all n rows' input gradients. */
    void backward(Mlp.Workspace full, float[] dOut) {
        System.arraycopy(dOut, lo, sliceDOut, 0, hi - lo);
        Arrays.fill(sliceDOut, hi - lo, sliceDOut.length, 0f);
        mlp.backward(slice, sliceDOut);
        if (grads != null) {
            mlp.grads.data().asNioFloat().get(0, grads, 0, grads.length);
            group.allReduceSum(grads, grads.length, gatheredGrads);
            mlp.grads.data().asNioFloat().put(0, grads, 0, grads.length);
        } else {
            mlp.grads.data().asNioDouble().get(0, grads64, 0, grads64.length);
            group.allReduceSum(grads64, grads64.length, gatheredGrads64);
            mlp.grads.data().asNioDouble().put(0, grads64, 0, grads64.length);
        }
        int width = mlp.inputWidth();
        for (int r = 0; r < rowCounts.length; r++) inputCounts[r] = rowCounts[r] * width;
        group.allGather(slice.dInputHost, inputCounts, full.dInputHost);
    }

    /** First row of rank r's slice of n rows: contiguous slices whose sizes differ by at most one. */
    private int start(int n, int r) {
        return (int) ((long) n * r / group.size());
    }
}

package io.widedeep.core.optim;

/**
 * The per-row form of a {@link DenseOptimizer}, for embedding rows kept in primitive arrays: only
 * the rows a mini-batch touched are updated (lazy updates, as is usual for sparse embeddings).
 */
public interface SparseRowOptimizer {
    /** Floats of optimizer state per parameter. */
    int stateWidth();

    /** Initial value of each state float. */
    float initialState(int k);

    /**
     * Updates {@code dim} parameters at {@code w[wOff..]} with gradients at {@code g[gOff..]} and
     * state at {@code state[sOff..]} ({@code stateWidth() * dim} floats), step number {@code t >= 1}.
     */
    void stepRow(float[] w, int wOff, float[] state, int sOff, float[] g, int gOff, int dim, long t);
}

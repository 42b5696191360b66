package io.widedeep.flink.functions;

/**
 * Test hook ({@code --fail.after}): fails attempt i of the publishing trainer at the first training
 * step after the model has trained {@code failAfter[i]} examples and the attempt has completed a
 * checkpoint (so restores resume checkpointed models however fast the machine), or at the end of
 * the input at the latest (so a run always fails exactly as often as asked).
 */
final class FailureInjector {
    private final long[] failAfter;
    private boolean checkpointed;

    FailureInjector(long[] failAfter) {
        this.failAfter = failAfter;
    }

    void checkpointCompleted() {
        checkpointed = true;
    }

    /** Throws if attempt {@code attempt} is to fail now. */
    void maybeFail(int attempt, long trainedExamples, boolean endOfInput) {
        if (!(checkpointed || endOfInput) || attempt >= failAfter.length) return;
        if (endOfInput || trainedExamples >= failAfter[attempt]) {
            throw new IllegalStateException("injected failure " + attempt + " after " + trainedExamples + " examples");
        }
    }
}

package io.widedeep.flink.functions;

import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.functions.RuntimeContext;

/**
 * The CUDA device a trainer subtask runs its MLP on (trainer.backend torch-cuda). With Flink's GPU
 * external resource declared ({@code external-resources: gpu}, see docs/gpu.md) a TaskManager knows
 * the indices of the GPUs it was given, and its subtasks take them round-robin by subtask index, so
 * with one slot per GPU every trainer has a device of its own. Without it, the subtask index (modulo
 * the devices libtorch sees).
 */
final class TrainerDevice {
    static final String RESOURCE = "gpu";

    private TrainerDevice() {}

    static int of(RuntimeContext ctx) {
        int subtask = ctx.getTaskInfo().getIndexOfThisSubtask();
        List<Integer> indices = ctx.getExternalResourceInfos(RESOURCE).stream()
                .map(info -> info.getProperty("index"))
                .flatMap(Optional::stream)
                .map(Integer::parseInt)
                .sorted()
                .toList();
        return indices.isEmpty() ? subtask : indices.get(subtask % indices.size());
    }
}

package io.widedeep.bench.serving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Device interrupts taken by the server's CPUs during a run, from {@code /proc/interrupts}.
 *
 * <p>A device's interrupt, and the kernel work its completion starts, runs on the CPU its affinity
 * names, ahead of any thread there. On the 2-core machines here the disk's queue interrupt
 * ({@code virtio1-req.0}) is bound to CPU 1 and cannot be moved from inside the guest: with the
 * server on CPU 1, every write of the trainer beside it (checkpoints, RocksDB compactions, the
 * broker's log) completed on the server's core, and block-completion workers took it for 8 ms at a
 * time (traced). load-bench reports these counts per run so an operator sees when the serving cores
 * are the ones a busy device interrupts.
 */
final class DeviceInterrupts {
    private DeviceInterrupts() {}

    /** Each numbered interrupt line as {@code "N device"} to its per-CPU counts. */
    static Map<String, long[]> parse(String procInterrupts) {
        List<String> lines = procInterrupts.lines().toList();
        Map<String, long[]> out = new LinkedHashMap<>();
        if (lines.isEmpty()) return out;
        int cpus = lines.get(0).trim().split("\\s+").length;
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f.length < cpus + 2 || !f[0].matches("\\d+:")) continue; // NMI, LOC and the like: not devices
            long[] counts = new long[cpus];
            for (int c = 0; c < cpus; c++) counts[c] = Long.parseLong(f[1 + c]);
            out.put(f[0].substring(0, f[0].length() - 1) + " " + f[f.length - 1], counts);
        }
        return out;
    }

    /** {@link #parse} of this machine's {@code /proc/interrupts}, empty where there is none. */
    static Map<String, long[]> read() {
        try {
            return parse(Files.readString(Path.of("/proc/interrupts")));
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    /** Interrupts each device raised on {@code cpus} between the two readings, most first; none left out but zeros. */
    static Map<String, Long> on(List<Integer> cpus, Map<String, long[]> before, Map<String, long[]> after) {
        Map<String, Long> delta = new HashMap<>();
        after.forEach((device, counts) -> {
            long[] was = before.get(device);
            long n = 0;
            for (int c : cpus) {
                if (c < counts.length) n += counts[c] - (was == null || c >= was.length ? 0 : was[c]);
            }
            if (n > 0) delta.put(device, n);
        });
        Map<String, Long> sorted = new LinkedHashMap<>();
        delta.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** A taskset CPU list ({@code 1}, {@code 0,2-3}) as CPU numbers. */
    static List<Integer> cpuList(String list) {
        List<Integer> out = new ArrayList<>();
        for (String part : list.split(",")) {
            String[] range = part.split("-");
            int from = Integer.parseInt(range[0]), to = Integer.parseInt(range[range.length - 1]);
            for (int c = from; c <= to; c++) out.add(c);
        }
        return out;
    }
}

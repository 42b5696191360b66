package io.widedeep.bench.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Device interrupt counts read as this machine's kernel writes them, and what the server's CPUs took. */
class DeviceInterruptsTest {
    private static final String BEFORE = """
                       CPU0       CPU1
              26:          0         16  IO-APIC   4-edge      ttyS0
              32:        277          0 PCI-MSIX-0000:00:01.0   4-edge      virtio0-reporting_vq
              36:          0     162704 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0
              39:       5383          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0
             NMI:          0          0   Non-maskable interrupts
             LOC:    3422529    1474391   Local timer interrupts
             ERR:          0
            """;
    private static final String AFTER = """
                       CPU0       CPU1
              26:          0         16  IO-APIC   4-edge      ttyS0
              32:        280          0 PCI-MSIX-0000:00:01.0   4-edge      virtio0-reporting_vq
              36:          0     170000 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0
              39:       5483          2 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0
             NMI:          0          0   Non-maskable interrupts
             LOC:    3500000    1500000   Local timer interrupts
             ERR:          0
            """;

    @Test
    void readsNumberedDeviceLinesOnly() {
        Map<String, long[]> m = DeviceInterrupts.parse(BEFORE);
        assertEquals(List.of("26 ttyS0", "32 virtio0-reporting_vq", "36 virtio1-req.0", "39 virtio2-output.0"), List.copyOf(m.keySet()));
        assertArrayEquals(new long[] {0, 162704}, m.get("36 virtio1-req.0"));
    }

    @Test
    void countsWhatTheServersCpusTookMostFirst() {
        Map<String, long[]> before = DeviceInterrupts.parse(BEFORE), after = DeviceInterrupts.parse(AFTER);
        Map<String, Long> onCpu1 = DeviceInterrupts.on(List.of(1), before, after);
        assertEquals(List.of("36 virtio1-req.0", "39 virtio2-output.0"), List.copyOf(onCpu1.keySet()));
        assertEquals(7296L, onCpu1.get("36 virtio1-req.0"));
        assertEquals(2L, onCpu1.get("39 virtio2-output.0"));
        Map<String, Long> onCpu0 = DeviceInterrupts.on(List.of(0), before, after);
        assertEquals(Map.of("39 virtio2-output.0", 100L, "32 virtio0-reporting_vq", 3L), onCpu0);
        assertTrue(DeviceInterrupts.on(List.of(5), before, after).isEmpty(), "a CPU the machine does not have");
    }

    @Test
    void cpuListsAsTasksetWritesThem() {
        assertEquals(List.of(1), DeviceInterrupts.cpuList("1"));
        assertEquals(List.of(0, 2, 3, 4), DeviceInterrupts.cpuList("0,2-4"));
    }
}

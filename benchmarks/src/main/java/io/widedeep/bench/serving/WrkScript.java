package io.widedeep.bench.serving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The wrk script: varied users, fixed-size candidate lists, a JSON summary at the end. */
final class WrkScript {
    static String recommend(int candidates, int users, int items) {
        return """
                -- written by widedeep load-bench
                wrk.method = "POST"
                wrk.headers["Content-Type"] = "application/json"
                local bodies = {}
                math.randomseed(42)
                for b = 1, 256 do
                  local ids = {}
                  local first = math.random(0, %3$d - 1)
                  for i = 0, %1$d - 1 do ids[#ids + 1] = '"item-' .. ((first + i) %% %3$d) .. '"' end
                  bodies[b] = '{"user_id":"user-' .. math.random(0, %2$d - 1) .. '","candidates":[' .. table.concat(ids, ",") .. '],"k":10}'
                end
                local next = 0
                request = function()
                  next = next %% #bodies + 1
                  return wrk.format(nil, nil, nil, bodies[next])
                end
                done = function(summary, latency, requests)
                  local e = summary.errors
                  io.write(string.format('{"requests":%%d,"errors":%%d,"p50_ms":%%.3f,"p99_ms":%%.3f,"p999_ms":%%.3f,"max_ms":%%.3f,"rps":%%.1f}\\n',
                    summary.requests, e.status + e.connect + e.read + e.write + e.timeout,
                    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
                    latency.max / 1000, summary.requests / (summary.duration / 1e6)))
                end
                """.formatted(candidates, users, items);
    }

    /** Writes the script into {@code dir} (as recommend.lua), after checking that wrk is installed. */
    static Path write(Path dir, int candidates, int users, int items) throws IOException {
        requireWrk();
        Path script = dir.resolve("recommend.lua");
        Files.writeString(script, recommend(candidates, users, items));
        return script;
    }

    private static void requireWrk() {
        try {
            new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start().waitFor();
        } catch (IOException | InterruptedException e) {
            System.err.println("widedeep load-bench: needs wrk, an HTTP load generator (Debian/Ubuntu: apt-get install wrk)");
            System.exit(2);
        }
    }
}

-- wrk script: POST /v1/recommend with 100 candidates; prints one JSON line with p50/p99/p99.9/max.
--   wrk -t2 -c4 -d20s -s serving/bench/wrk-recommend.lua http://localhost:8080/v1/recommend
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local cands = {}
for i = 0, 99 do cands[#cands + 1] = '"item-' .. i .. '"' end
wrk.body = '{"user_id":"user-3","context":{"age_group":"a0","region":"r7"},"candidates":[' .. table.concat(cands, ",") .. '],"k":10}'
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"errors":%d,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f,"rps":%.1f}\n',
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50)/1000, latency:percentile(99)/1000, latency:percentile(99.9)/1000, latency.max/1000,
    summary.requests / (summary.duration / 1e6)))
end

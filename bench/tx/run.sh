#!/usr/bin/env bash
# TX benchmark: the same number of 64-byte frames sent on one veth pair in a
# throwaway network namespace by
#   - a libpcap pcap_inject loop (system libpcap; the baseline),
#   - the same loop on ringcap under LD_PRELOAD (pcap_inject: one send() per packet, as libpcap),
#   - trafgen (netsniff-ng; TX ring, qdisc bypass by default, and with --qdisc-path),
#   - ringcap's TX ring without and with PACKET_QDISC_BYPASS,
# in alternating order, RUNS rounds; reports the median packets/s and CPU
# seconds per million packets of each, as ratios to pcap_inject, into
# bench/results/tx-latest.json and tx-latest.md. Then the cost of
# pcap_open_live and pcap_close (bench/tx/open_close.c, 21 of each per
# round), stock vs ringcap, RUNS alternating rounds, into the same .md.
#
# Usage: bench/tx/run.sh [--smoke] [--count N] [--runs R] [--size BYTES] [--explore|--explore-only]
#   --smoke    20 000 packets, 3 rounds, into bench/results/tx-smoke.* (CI:
#              checks that everything runs; figures meaningless at this count)
#   --explore  afterwards, sweep ringcap's batch size, ring size, version,
#              bypass and frame size (bench/results/tx-explore.md)
# Needs root (network namespaces), trafgen (netsniff-ng), libpcap-dev, cc.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COUNT=1000000
RUNS=5
SIZE=64
EXPLORE=0
NAME=tx-latest
MAIN=1
SMOKE=0
while [ $# -gt 0 ]; do
    case "$1" in
    --smoke) COUNT=20000; RUNS=3; SMOKE=1; NAME=tx-smoke ;;
    --count) COUNT=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --explore) EXPLORE=1 ;;
    --explore-only) EXPLORE=1; MAIN=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
WORK=$(mktemp -d)
NS=ringcap-txbench-$$
cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# Build everything first: nothing compiles while the benchmark runs.
(cd "$ROOT" && cargo build --release --quiet)
# The library under its soname, as an installed copy would be found.
LIB=$WORK/lib
mkdir -p "$LIB"
cp "$ROOT/target/release/libringcap.so" "$LIB/"
ln -s libringcap.so "$LIB/libringcap.so.0"
CFLAGS="-O2 -Wall -Wextra -Werror"
cc $CFLAGS -I"$ROOT/include" -o "$WORK/ringcap_tx_bench" "$ROOT/bench/tx/ringcap_tx_bench.c" \
    -L"$LIB" -lringcap -Wl,-rpath,"$LIB"
cc $CFLAGS -o "$WORK/pcap_inject_bench" "$ROOT/bench/tx/pcap_inject_bench.c" -lpcap
cc $CFLAGS -o "$WORK/open_close" "$ROOT/bench/tx/open_close.c" -lpcap
command -v trafgen >/dev/null || { echo "trafgen (netsniff-ng) is not installed" >&2; exit 1; }

ip netns add "$NS"
nsx() { ip netns exec "$NS" "$@"; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsx ip link set lo up
nsx ip link add bench0 type veth peer name bench1
nsx ip link set bench0 up
nsx ip link set bench1 up

# trafgen gets the identical frame: ONE packet template (with several
# templates, trafgen 0.6.8 with -n spins forever).
MAC=$(nsx cat /sys/class/net/bench0/address)
python3 - "$MAC" "$SIZE" > "$WORK/frame.cfg" <<'PY'
import sys
mac = [int(x, 16) for x in sys.argv[1].split(":")]
size = int(sys.argv[2])
frame = [0xff] * 6 + mac + [0x88, 0xb5] + [i & 0xff for i in range(14, size)]
print("{ " + ", ".join("0x%02x" % b for b in frame) + " }")
PY

# One measured run: prints "wall user sys" (seconds) of the whole process.
measure() {
    local out
    out=$(nsx /usr/bin/time -f "TIME %e %U %S" "$@" 2>&1 >/dev/null) || { echo "failed: $* : $out" >&2; exit 1; }
    echo "$out" | awk '/^TIME/ {print $2, $3, $4}'
}

TOOLS=(pcap_inject pcap_inject_ringcap trafgen trafgen_qdisc ringcap ringcap_bypass)
cmd_for() {
    case "$1" in
    pcap_inject) echo "$WORK/pcap_inject_bench bench0 $COUNT $SIZE" ;;
    # The same unmodified libpcap program on ringcap: one send() per packet, like libpcap.
    pcap_inject_ringcap) echo "env LD_PRELOAD=$LIB/libringcap.so $WORK/pcap_inject_bench bench0 $COUNT $SIZE" ;;
    # -P1: one sender process like the others; leave the system's
    # socket memory and IRQ affinity alone; -C: no CPU statistics printout.
    trafgen) echo "trafgen -o bench0 -i $WORK/frame.cfg -n $COUNT -P 1 --no-sock-mem --notouch-irq --no-cpu-stats" ;;
    trafgen_qdisc) echo "trafgen -o bench0 -i $WORK/frame.cfg -n $COUNT -P 1 --no-sock-mem --notouch-irq --no-cpu-stats --qdisc-path" ;;
    ringcap) echo "$WORK/ringcap_tx_bench bench0 $COUNT $SIZE 0" ;;
    ringcap_bypass) echo "$WORK/ringcap_tx_bench bench0 $COUNT $SIZE 1" ;;
    esac
}

if [ "$MAIN" = 1 ]; then
RAW=$WORK/raw.txt
# Other work on the machine inflates wall times; the load is recorded with the figures.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$RAW"
for round in $(seq 1 "$RUNS"); do
    if [ $((round % 2)) -eq 1 ]; then order=("${TOOLS[@]}"); else order=($(printf '%s\n' "${TOOLS[@]}" | tac)); fi
    for tool in "${order[@]}"; do
        read -r wall user sys < <(measure $(cmd_for "$tool"))
        echo "$tool $round $wall $user $sys" | tee -a "$RAW" >&2
    done
done

python3 - "$RAW" "$COUNT" "$SIZE" "$RUNS" "$SMOKE" "$RESULTS/$NAME" "$(uname -r)" "$(nproc)" "$LOAD_BEFORE" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, statistics, sys, datetime
raw, count, size, runs, smoke, results, kernel, cpus, load_before, load_after = sys.argv[1:]
count, size, runs = int(count), int(size), int(runs)
rows = {}
for line in open(raw):
    tool, rnd, wall, user, sys_ = line.split()
    rows.setdefault(tool, []).append((float(wall), float(user) + float(sys_)))
out = {}
for tool, rs in rows.items():
    wall = statistics.median(w for w, _ in rs)
    cpu = statistics.median(c for _, c in rs)
    out[tool] = {"median_wall_s": wall, "pps": count / wall if wall else 0.0,
                 "cpu_s_per_million": cpu / (count / 1e6), "runs": [{"wall_s": w, "cpu_s": c} for w, c in rs]}
base = out["pcap_inject"]
for tool, r in out.items():
    r["pps_ratio"] = r["pps"] / base["pps"] if base["pps"] else 0.0
    r["cpu_ratio"] = r["cpu_s_per_million"] / base["cpu_s_per_million"] if base["cpu_s_per_million"] else 0.0
doc = {"date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), "packets": count, "frame_bytes": size,
       "rounds": runs, "smoke": smoke == "1", "kernel": kernel, "cpus": int(cpus),
       "loadavg_before": load_before, "loadavg_after": load_after, "results": out}
json.dump(doc, open(f"{results}.json", "w"), indent=2)
names = {"pcap_inject": "libpcap pcap_inject loop", "pcap_inject_ringcap": "the same pcap_inject loop on ringcap (LD_PRELOAD)", "trafgen": "trafgen (TX ring, qdisc bypass, default)",
         "trafgen_qdisc": "trafgen --qdisc-path", "ringcap": "ringcap TX ring",
         "ringcap_bypass": "ringcap TX ring + PACKET_QDISC_BYPASS"}
lines = [f"{count} frames of {size} bytes, median of {runs} alternating rounds, kernel {kernel}, {cpus} CPUs, "
         f"load average {load_before} before / {load_after} after"
         + (" (SMOKE RUN: CPU figures meaningless)" if smoke == "1" else ""), "",
         "| sender | packets/s | vs pcap_inject | CPU s per M packets | vs pcap_inject |",
         "|---|---:|---:|---:|---:|"]
for tool in ["pcap_inject", "pcap_inject_ringcap", "trafgen", "trafgen_qdisc", "ringcap", "ringcap_bypass"]:
    r = out[tool]
    lines.append(f"| {names[tool]} | {r['pps']:,.0f} | {r['pps_ratio']:.2f} | {r['cpu_s_per_million']:.2f} | {r['cpu_ratio']:.2f} |")
open(f"{results}.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
fi

if [ "$MAIN" = 1 ]; then
# Open and close: mostly RCU grace periods (synchronize_net when a ring is
# set up or freed and when an AF_PACKET socket closes), so load-dependent.
OC=$WORK/open_close.txt
: > "$OC"
for round in $(seq 1 "$RUNS"); do
    echo "stock $(nsx "$WORK/open_close" bench0 21)" >> "$OC"
    echo "ringcap $(nsx env LD_PRELOAD="$LIB/libringcap.so" "$WORK/open_close" bench0 21)" >> "$OC"
done
python3 - "$OC" "$RUNS" "$RESULTS/$NAME.md" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    who, o, c = line.split()
    rows.setdefault(who, []).append((float(o), float(c)))
med = {w: (statistics.median(o for o, _ in r), statistics.median(c for _, c in r)) for w, r in rows.items()}
lines = ["", f"pcap_open_live(dev, 262144, 0, 1000) and pcap_close, median of {sys.argv[2]} alternating rounds of 21 each", "",
         "| call | stock libpcap | ringcap (LD_PRELOAD) | ratio |", "|---|---:|---:|---:|"]
for i, name in enumerate(["pcap_open_live", "pcap_close"]):
    s, g = med["stock"][i], med["ringcap"][i]
    lines.append(f"| {name} | {s:.1f} ms | {g:.1f} ms | {g / s:.2f} |")
open(sys.argv[3], "a").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
fi

if [ "$EXPLORE" = 1 ]; then
    # ringcap alone: args are bypass version batch ring-bytes, size separately.
    EXP=$WORK/explore.txt
    : > "$EXP"
    explore() { # label size bypass version batch ring
        local best=""
        for r in 1 2 3; do
            read -r wall user sys < <(measure "$WORK/ringcap_tx_bench" bench0 "$COUNT" "$2" "$3" "$4" "$5" "$6")
            echo "$1 $wall $user $sys" >> "$EXP"
        done
        echo "explored $1" >&2
    }
    for b in 1 16 64 256 1024 0; do explore "batch=$b" 64 0 0 "$b" 0; done
    for ring in 65536 262144 1048576 4194304 16777216; do explore "ring=$ring" 64 0 0 -1 "$ring"; done
    for v in 1 2 3; do explore "version=$v" 64 0 "$v" -1 0; done
    for v in 1 2 3; do explore "version=$v+bypass" 64 1 "$v" -1 0; done
    for s in 64 512 1514; do explore "size=$s" "$s" 0 0 -1 0; done
    python3 - "$EXP" "$COUNT" "$RESULTS" <<'PY'
import statistics, sys
exp, count, results = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = {}
for line in open(exp):
    label, wall, user, sys_ = line.split()
    rows.setdefault(label, []).append((float(wall), float(user) + float(sys_)))
lines = [f"ringcap TX ring, {count} frames per run, median of 3 (defaults unless named)", "",
         "| setting | packets/s | CPU s per M packets |", "|---|---:|---:|"]
for label, rs in rows.items():
    wall = statistics.median(w for w, _ in rs)
    cpu = statistics.median(c for _, c in rs)
    lines.append(f"| {label} | {count / wall:,.0f} | {cpu / (count / 1e6):.2f} |")
open(f"{results}/tx-explore.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
fi

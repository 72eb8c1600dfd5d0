#!/usr/bin/env bash
# The demo: install ringcap into a scratch prefix, build examples/capture.c
# through pkg-config as a C user would, then capture real traffic between
# two throwaway network namespaces joined by a veth pair.
# Usage: examples/demo.sh [BUILD_DIR]   (default target/release)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/target/release}
work=$(mktemp -d /tmp/ringcap-demo.XXXXXX)
ns_a=ringcap-demo-a-$$
ns_b=ringcap-demo-b-$$
cleanup() {
    ip netns del "$ns_a" 2>/dev/null || true
    ip netns del "$ns_b" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

sh "$here/pkgconfig/install.sh" "$work/prefix" "$build" >/dev/null
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -O2 "$here/examples/capture.c" -o "$work/capture" \
    $(pkg-config --cflags --libs ringcap) -Wl,-rpath,"$work/prefix/lib"

ip netns add "$ns_a"
ip netns add "$ns_b"
for ns in "$ns_a" "$ns_b"; do
    ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'
    ip -n "$ns" link set lo up
done
ip link add va netns "$ns_a" type veth peer name vb netns "$ns_b"
ip -n "$ns_a" addr add 10.213.0.1/24 dev va
ip -n "$ns_b" addr add 10.213.0.2/24 dev vb
ip -n "$ns_a" link set va up
ip -n "$ns_b" link set vb up

ip netns exec "$ns_b" "$work/capture" -i vb -t 3 >"$work/out" 2>"$work/err" &
capture=$!
for _ in $(seq 100); do grep -q capturing "$work/err" 2>/dev/null && break; sleep 0.02; done
cat "$work/err"

# Traffic: ARP, UDP datagrams, ICMP port-unreachable replies, TCP SYN/RST.
ip netns exec "$ns_a" bash -c '
    for i in 1 2 3 4 5; do echo "ringcap demo $i" > /dev/udp/10.213.0.2/9999; done
    for p in 80 443; do (exec 3<>/dev/tcp/10.213.0.2/$p) 2>/dev/null || true; done
'
wait "$capture"
cat "$work/out"
packets=$(grep -c ', length ' "$work/out" || true)
echo "demo: captured $packets packets between $ns_a and $ns_b"
[ "$packets" -gt 0 ]

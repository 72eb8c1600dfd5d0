#!/bin/sh
# Installs ringcap under a prefix the way cargo-c lays it out:
#   PREFIX/lib/libringcap.so.X.Y.Z, libringcap.so.X -> , libringcap.so -> ,
#   PREFIX/lib/libpcap.so.0.8 and libpcap.so.1 -> the same library,
#   PREFIX/lib/libringcap.a, PREFIX/include/{ringcap.h,pcap.h,pcap/*.h},
#   PREFIX/lib/pkgconfig/ringcap.pc
# Usage: install.sh PREFIX [BUILD_DIR]   (BUILD_DIR defaults to target/release)
set -eu
prefix=${1:?usage: install.sh PREFIX [BUILD_DIR]}
build=${2:-target/release}
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -n 1)
major=${version%%.*}
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
install -m 0755 "$build/libringcap.so" "$prefix/lib/libringcap.so.$version"
ln -sf "libringcap.so.$version" "$prefix/lib/libringcap.so.$major"
ln -sf "libringcap.so.$major" "$prefix/lib/libringcap.so"
[ -f "$build/libringcap.a" ] && install -m 0644 "$build/libringcap.a" "$prefix/lib/libringcap.a"
install -m 0644 "$here/include/ringcap.h" "$here/include/pcap.h" "$prefix/include/"
mkdir -p "$prefix/include/pcap"
install -m 0644 "$here"/include/pcap/*.h "$prefix/include/pcap/"
# The same library under libpcap's file names, for LD_LIBRARY_PATH use.
ln -sf "libringcap.so.$version" "$prefix/lib/libpcap.so.0.8"
ln -sf "libringcap.so.$version" "$prefix/lib/libpcap.so.1"
sed "s|^prefix=.*|prefix=$prefix|" "$here/pkgconfig/ringcap.pc" > "$prefix/lib/pkgconfig/ringcap.pc"
echo "installed ringcap $version under $prefix"

#!/bin/sh
# Installs ringcap under a prefix: ringcap's own files laid out as cargo-c
# does, plus everything Debian's libpcap-dev installs (with lib/ for
# lib/<triplet>/), so that libpcap projects build against ringcap unchanged.
#   lib/libringcap.so.X.Y.Z, libringcap.so.X, libringcap.so, libringcap.a
#   lib/libpcap.so.0.8, libpcap.so.1 (run-time names), libpcap.so (the
#     development link), libpcap.a
#   lib/pkgconfig/ringcap.pc, lib/pkgconfig/libpcap.pc, bin/pcap-config
#   lib/cmake/ringcap/ringcapConfig.cmake, ringcapConfigVersion.cmake
#   include/ringcap.h, include/pcap.h, pcap-bpf.h, pcap-namedb.h, pcap/*.h
#   share/man/man3/*.3 (ringcap's pages), share/man/man1/pcap-config.1,
#     libpcap's pages: share/man/man3/*.3pcap (alias pages as symlinks, as
#     Debian installs them), share/man/man5/pcap-savefile.5, man7/*.7
# Usage: install.sh PREFIX [BUILD_DIR]   (BUILD_DIR defaults to target/release)
set -eu
prefix=${1:?usage: install.sh PREFIX [BUILD_DIR]}
build=${2:-target/release}
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -n 1)
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
[ -f "$build/libringcap.so" ] || { echo "install.sh: $build/libringcap.so is missing: build it first" >&2; exit 1; }
lib=$prefix/lib
mkdir -p "$lib/pkgconfig" "$lib/cmake/ringcap" "$prefix/include/pcap" "$prefix/bin" \
    "$prefix/share/man/man1" "$prefix/share/man/man3" "$prefix/share/man/man5" "$prefix/share/man/man7"

install -m 0755 "$build/libringcap.so" "$lib/libringcap.so.$version"
ln -sf "libringcap.so.$version" "$lib/libringcap.so.$major"
ln -sf "libringcap.so.$major" "$lib/libringcap.so"
# The same library under libpcap's names: the run-time ones for programs
# already linked with libpcap, the development link for -lpcap.
ln -sf "libringcap.so.$version" "$lib/libpcap.so.0.8"
ln -sf "libringcap.so.$version" "$lib/libpcap.so.1"
ln -sf "libringcap.so.$major" "$lib/libpcap.so"
if [ -f "$build/libringcap.a" ]; then
    install -m 0644 "$build/libringcap.a" "$lib/libringcap.a"
    ln -sf libringcap.a "$lib/libpcap.a"
fi

install -m 0644 "$here/include/ringcap.h" "$here/include/pcap.h" "$here/include/pcap-bpf.h" \
    "$here/include/pcap-namedb.h" "$prefix/include/"
install -m 0644 "$here"/include/pcap/*.h "$prefix/include/pcap/"

subst() { sed -e "s|^prefix=/usr/local\$|prefix=$prefix|" -e "s|@PREFIX@|$prefix|g" \
    -e "s|@VERSION@|$version|g" -e "s|@MAJOR@|$major|g" -e "s|@MINOR@|$minor|g" "$1"; }
subst "$here/pkgconfig/ringcap.pc" > "$lib/pkgconfig/ringcap.pc"
subst "$here/pkgconfig/libpcap.pc" > "$lib/pkgconfig/libpcap.pc"
subst "$here/pkgconfig/pcap-config" > "$prefix/bin/pcap-config"
chmod 0755 "$prefix/bin/pcap-config"
subst "$here/pkgconfig/cmake/ringcapConfig.cmake" > "$lib/cmake/ringcap/ringcapConfig.cmake"
subst "$here/pkgconfig/cmake/ringcapConfigVersion.cmake" > "$lib/cmake/ringcap/ringcapConfigVersion.cmake"

install -m 0644 "$here"/man/man3/*.3 "$prefix/share/man/man3/"
install -m 0644 "$here"/man/man1/*.1 "$prefix/share/man/man1/"
for page in "$here"/man/man3/*.3pcap; do
    if [ -L "$page" ]; then
        ln -sf "$(readlink "$page")" "$prefix/share/man/man3/${page##*/}"
    else
        install -m 0644 "$page" "$prefix/share/man/man3/"
    fi
done
install -m 0644 "$here"/man/man5/*.5 "$prefix/share/man/man5/"
install -m 0644 "$here"/man/man7/*.7 "$prefix/share/man/man7/"
echo "installed ringcap $version under $prefix"

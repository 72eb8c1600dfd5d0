#!/bin/sh
# Builds the test program the way one kind of project does, against an
# installed ringcap prefix, with Debian's libpcap-dev out of sight, then
# checks that the binary loads ringcap and runs it on a veth pair.
# Run inside private mount and network namespaces (unshare -m -n): the
# mounts that hide libpcap-dev and the interfaces vanish with them.
# Usage: run.sh KIND PREFIX WORKDIR [BUILD_DIR]
#   KIND: autoconf-pkg autoconf-pcap-config cmake-pkg cmake-find-package
#         cc cc-static build-tree (BUILD_DIR: target/<profile>)
set -eu
kind=$1 prefix=$2 work=$3 build=${4:-}
unset LD_LIBRARY_PATH
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

# Hide every file of libpcap-dev (headers, libpcap.so, libpcap.a, the .pc
# file, pcap-config): empty files over files, an empty directory over
# include/pcap. Anything that still used them would fail to build.
mount --make-rprivate /
for f in $(dpkg -L libpcap0.8-dev | grep -E '^/usr/(include|lib|bin)/'); do
    if [ -d "$f" ]; then
        [ "$f" = /usr/include/pcap ] && mount -t tmpfs -o size=64k none "$f"
    elif [ -e "$f" ]; then
        mount --bind /dev/null "$f"
    fi
done
[ ! -s /usr/include/pcap.h ] && [ -z "$(ls /usr/include/pcap)" ] || { echo "libpcap-dev is still visible" >&2; exit 1; }

echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
ip link set lo up
ip link add va type veth peer name vb
ip link set va up
ip link set vb up

# The checks every built program must pass: it loads ringcap (from the
# prefix, the build tree, or statically linked), never libpcap, and
# captures what it sent.
check_and_run() {
    deps=$(env $run_env ldd "$1")
    echo "$deps"
    case $kind in
    cc-static)
        if echo "$deps" | grep -E 'libringcap|libpcap'; then echo "static build loads a shared libpcap/ringcap" >&2; exit 1; fi
        nm "$1" | grep -q ' T ringcap_capture_open$' || { echo "ringcap is not linked in" >&2; exit 1; }
        ;;
    build-tree)
        echo "$deps" | grep -q "libringcap.so.0 => $build/libringcap.so.0 " ||
            { echo "not loading the build tree's ringcap" >&2; exit 1; }
        ;;
    *)
        echo "$deps" | grep -q "libringcap.so.0 => $prefix/lib/libringcap.so.0 " ||
            { echo "not loading ringcap from $prefix" >&2; exit 1; }
        ;;
    esac
    if echo "$deps" | grep -q 'libpcap'; then echo "the program loads libpcap" >&2; exit 1; fi
    env $run_env "$1" va vb
}

rm -rf "$work"
mkdir -p "$work"
cp "$here/capture.c" "$work/"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PATH="$prefix/bin:$PATH"
cd "$work"
run_env=""
case $kind in
autoconf-pkg|autoconf-pcap-config)
    cp "$here/$kind/configure.ac" "$here/$kind/Makefile.in" .
    autoreconf -i >autoreconf.log 2>&1 || { cat autoreconf.log; exit 1; }
    if [ "$kind" = autoconf-pcap-config ]; then
        # The fallback first: no pcap-config on PATH, only -I/-L, so
        # AC_CHECK_LIB(pcap, pcap_open_live) must find libpcap.so.
        PATH=${PATH#"$prefix/bin:"} CPPFLAGS="-I$prefix/include" LDFLAGS="-L$prefix/lib -Wl,-rpath,$prefix/lib" \
            ./configure >configure.log 2>&1 || { cat configure.log config.log; exit 1; }
        grep -q 'checking for pcap-config... no' configure.log || { cat configure.log; exit 1; }
        grep -q 'checking for pcap_open_live in -lpcap... yes' configure.log || { cat configure.log; exit 1; }
        make
        mv capture capture-fallback
        check_and_run ./capture-fallback
        make distclean
    fi
    ./configure >configure.log 2>&1 || { cat configure.log config.log; exit 1; }
    grep -E 'pcap|PCAP' configure.log
    make
    # pkg-config's libpcap.pc gives -L without an rpath, as libpcap's does.
    [ "$kind" = autoconf-pkg ] && run_env="LD_LIBRARY_PATH=$prefix/lib"
    ;;
cmake-pkg|cmake-find-package)
    cmake -S "$here/$kind" -B build -DCAPTURE_SOURCE="$work/capture.c" -DCMAKE_PREFIX_PATH="$prefix" >cmake.log 2>&1 ||
        { cat cmake.log; exit 1; }
    grep -iE 'pcap|ringcap' cmake.log || true
    cmake --build build
    cp build/capture .
    ;;
cc)
    cc -Wall -Wextra -Werror capture.c -o capture -I"$prefix/include" -L"$prefix/lib" -lpcap -Wl,-rpath,"$prefix/lib"
    ;;
cc-static)
    cc -Wall -Wextra -Werror capture.c -o capture $(pcap-config --cflags) "$prefix/lib/libpcap.a" \
        $(pcap-config --static --additional-libs)
    ;;
build-tree)
    # The build tree as it is after cargo build, no install.
    cc -Wall -Wextra -Werror capture.c -o capture -I"$repo/include" -L"$build" -lringcap -Wl,-rpath,"$build"
    ;;
*)
    echo "unknown kind $kind" >&2
    exit 2
    ;;
esac

check_and_run ./capture

# CMake package for ringcap: find_package(ringcap) gives ringcap::ringcap
# (the shared library; its headers include libpcap's API under <pcap.h>)
# and ringcap::ringcap_static. Located relative to this file, so the
# prefix can be moved after installation.
get_filename_component(_ringcap_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT TARGET ringcap::ringcap)
  add_library(ringcap::ringcap SHARED IMPORTED)
  set_target_properties(ringcap::ringcap PROPERTIES
    IMPORTED_LOCATION "${_ringcap_prefix}/lib/libringcap.so.@VERSION@"
    IMPORTED_SONAME "libringcap.so.@MAJOR@"
    INTERFACE_INCLUDE_DIRECTORIES "${_ringcap_prefix}/include")
endif()

if(NOT TARGET ringcap::ringcap_static AND EXISTS "${_ringcap_prefix}/lib/libringcap.a")
  add_library(ringcap::ringcap_static STATIC IMPORTED)
  set_target_properties(ringcap::ringcap_static PROPERTIES
    IMPORTED_LOCATION "${_ringcap_prefix}/lib/libringcap.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_ringcap_prefix}/include"
    INTERFACE_LINK_LIBRARIES "gcc_s;util;rt;pthread;m;dl")
endif()

set(ringcap_VERSION "@VERSION@")
set(ringcap_INCLUDE_DIRS "${_ringcap_prefix}/include")
set(ringcap_LIBRARIES ringcap::ringcap)
unset(_ringcap_prefix)

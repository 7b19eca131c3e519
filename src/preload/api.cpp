// SPDX-License-Identifier: MIT
// include/sctpmap/sctpmap.h
#include <sctpmap/sctpmap.h>

#include "preload/fd_table.hpp"

#define SCTPMAP_EXPORT extern "C" __attribute__((visibility("default")))

SCTPMAP_EXPORT const char* sctpmap_version(void) noexcept { return SCTPMAP_VERSION; }

SCTPMAP_EXPORT int sctpmap_is_emulated(int fd) noexcept {
  return sctpmap::preload::FdTable::get().find(fd) != nullptr ? 1 : 0;
}

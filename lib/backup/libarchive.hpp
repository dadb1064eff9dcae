#pragma once
// libarchive, loaded when a files backup needs it. Linking it statically drags in every format
// it has (xar needs libxml2), and the shared library pulls libxml2 and ICU (30 MB) into the
// start of every command; so it is opened with dlopen by the commands that use it.
#include <archive.h>
#include <archive_entry.h>

namespace opsdesk::backup {

#define OPSDESK_LIBARCHIVE_FUNCTIONS(X)                                                                       \
  X(archive_write_new) X(archive_write_set_format_pax_restricted) X(archive_write_set_bytes_in_last_block) \
  X(archive_write_open2) X(archive_write_header) X(archive_write_data) X(archive_write_close)              \
  X(archive_free) X(archive_error_string) X(archive_entry_new) X(archive_entry_free)                       \
  X(archive_entry_set_pathname_utf8) X(archive_entry_set_perm) X(archive_entry_set_mtime)                       \
  X(archive_entry_set_uid) X(archive_entry_set_gid) X(archive_entry_set_filetype)                          \
  X(archive_entry_set_symlink_utf8) X(archive_entry_set_size) X(archive_read_new)                               \
  X(archive_read_support_format_tar) X(archive_read_open) X(archive_read_next_header)                      \
  X(archive_entry_pathname) X(archive_entry_pathname_utf8) X(archive_entry_perm) X(archive_entry_mtime) X(archive_entry_filetype)         \
  X(archive_entry_symlink) X(archive_entry_symlink_utf8) X(archive_read_data_block)

struct Libarchive {
#define OPSDESK_LIBARCHIVE_POINTER(name) decltype(&::name) name = nullptr;
  OPSDESK_LIBARCHIVE_FUNCTIONS(OPSDESK_LIBARCHIVE_POINTER)
#undef OPSDESK_LIBARCHIVE_POINTER
};

// The loaded library; Error(unavailable) when it is not installed.
const Libarchive& libarchive();

}  // namespace opsdesk::backup

#pragma once
// Files as a tar archive (pax, written and read with libarchive): modes, times and symlinks
// kept (symlinks are stored, never followed), a SHA-256 per file. Extraction is done here, not
// by libarchive's disk writer, so that no entry can land outside the destination: absolute
// paths, ".." and writes through symlinks are refused.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace opsdesk::backup {

struct FileEntry {
  std::string path;  // inside the archive: the source path without its leading '/'
  std::string type;  // file, dir, symlink
  std::int64_t size = 0;
  std::uint32_t mode = 0;  // permission bits
  std::int64_t mtime = 0;
  std::string sha256;  // files
  std::string link;    // symlinks
};

// Walk `paths` (globs expand; directories are walked; symlinks are stored as links), leave out
// what matches an `exclude` pattern (against the whole path or any name in it), and write the
// archive to `sink`. Error(not_found) when a path matches nothing.
std::vector<FileEntry> write_tar(const std::vector<std::string>& paths, const std::vector<std::string>& exclude,
                                 const std::function<void(std::string_view)>& sink);

// Extract the archive that `source` yields (empty at the end) into the existing directory
// `dir`; the entries written, with the hashes of the files as extracted.
std::vector<FileEntry> extract_tar(const std::function<std::string_view()>& source, const std::filesystem::path& dir);

}  // namespace opsdesk::backup

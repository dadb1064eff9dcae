#pragma once
// Files the way opsdesk keeps them: private (0600 files, 0700 directories) whatever the
// umask, and written whole or not at all.
#include <filesystem>
#include <string>
#include <string_view>

namespace opsdesk::core {

// $XDG_CONFIG_HOME or ~/.config; $XDG_DATA_HOME or ~/.local/share.
std::filesystem::path xdg_config_home();
std::filesystem::path xdg_data_home();
// Expand a leading "~/" to $HOME.
std::filesystem::path expand_home(std::string_view path);

// Create `dir` and its missing parents with mode 0700. Throws Error(io).
void make_private_dirs(const std::filesystem::path& dir);

// Create `path` empty with mode 0600 if it does not exist; true when this call created it.
bool create_private_file(const std::filesystem::path& path);

// Write `content` to a temporary file beside `path` (0600), fsync it, rename it over `path`
// and fsync the directory. Throws Error(io) naming the path; no partial file is left.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// A file written through a temporary name beside it (0600) and renamed into place by
// commit(); dropped without a trace if the writer goes away uncommitted. Errors are Error(io).
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(std::string_view data);
  void commit();  // fsync, rename, fsync the directory

 private:
  void flush();
  std::filesystem::path m_path;
  std::string m_temp;
  int m_fd = -1;
  std::string m_buffer;
};

// An empty private directory beside `near` (".opsdesk-restore-XXXXXX"), removed with its
// contents when it goes away unless released. Error(io) when it cannot be made.
class ScratchDir {
 public:
  explicit ScratchDir(const std::filesystem::path& near);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path release();

 private:
  std::filesystem::path m_path;
};

// Whole file as bytes. Throws Error(not_found) or Error(io).
std::string read_file(const std::filesystem::path& path);

// All of standard input.
std::string read_stdin();

// An input file's bytes: a regular file is mapped read-only (large imports are not copied),
// "-" is standard input, a pipe or device is read to its end.
class InputFile {
 public:
  explicit InputFile(const std::filesystem::path& path);  // Error(not_found) / Error(io)
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  std::string_view view() const { return m_data ? std::string_view{m_data, m_size} : std::string_view{m_buffer}; }

 private:
  const char* m_data = nullptr;
  std::size_t m_size = 0;
  std::string m_buffer;
};

}  // namespace opsdesk::core

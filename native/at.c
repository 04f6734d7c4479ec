// Descriptor-relative file operations for the staging tree (the tree is untrusted input: README "How a clear stays safe"), as
// Node's fs has none: openat, fstatat(AT_SYMLINK_NOFOLLOW), unlinkat, and a
// scan that lists a folder (and stats each entry) in one call. Names are
// Buffers of raw bytes and must be single path components. Built from source
// by `npm ci` (node-gyp), on Node-API, so one build serves every Node version.
#define _GNU_SOURCE
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <linux/fs.h>
#include <unistd.h>

#define STAT_FIELDS 7 // mode, size, mtimeMs, ino, dev, ctimeMs, blocks (512-byte units)

static const char *errno_name(int code) {
  switch (code) {
    case ENOENT: return "ENOENT";
    case ELOOP: return "ELOOP";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EEXIST: return "EEXIST";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EBUSY: return "EBUSY";
    case EROFS: return "EROFS";
    case EIO: return "EIO";
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENXIO: return "ENXIO";
    case EAGAIN: return "EAGAIN";
    case ESTALE: return "ESTALE";
    case EXDEV: return "EXDEV";
    default: return "EUNKNOWN";
  }
}

// Throws an Error with `code` and `errno`, as Node's fs errors have.
static napi_value throw_errno(napi_env env, int code, const char *syscall) {
  char text[160];
  snprintf(text, sizeof text, "%s: %s, %s", errno_name(code), strerror(code), syscall);
  napi_value name, message, error, number;
  napi_create_string_utf8(env, errno_name(code), NAPI_AUTO_LENGTH, &name);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, name, message, &error);
  napi_create_int32(env, -code, &number);
  napi_set_named_property(env, error, "errno", number);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return 0;
  return 1;
}

static int get_fd(napi_env env, napi_value value, int *fd) {
  return napi_get_value_int32(env, value, fd) == napi_ok;
}

// A single path component: no '/', no NUL, not "." or "..", at most NAME_MAX.
// Returns 0, or an errno for a name that is not one.
static int get_name(napi_env env, napi_value value, char out[256]) {
  void *data;
  size_t length;
  if (napi_get_buffer_info(env, value, &data, &length) != napi_ok) return EINVAL;
  if (length > 255) return ENAMETOOLONG;
  memcpy(out, data, length);
  out[length] = '\0';
  if (length == 0 || memchr(out, '/', length) || memchr(out, '\0', length)) return EINVAL;
  if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0) return EINVAL;
  return 0;
}

// The (dirfd, name, ...) arguments of a call taking `want` of them. Returns 1,
// or 0 once it has thrown (a TypeError for bad arguments, the errno of a name
// that is not a single component).
static int dir_and_name(napi_env env, napi_callback_info info, size_t want, napi_value *argv, int *dirfd,
                        char name[256], const char *usage, const char *syscall) {
  if (!get_args(env, info, want, argv) || !get_fd(env, argv[0], dirfd)) {
    throw_type(env, usage);
    return 0;
  }
  int invalid = get_name(env, argv[1], name);
  if (invalid) {
    throw_errno(env, invalid, syscall);
    return 0;
  }
  return 1;
}

static void fill_stat(double *slot, const struct stat *st) {
  slot[0] = (double)st->st_mode;
  slot[1] = (double)st->st_size;
  slot[2] = (double)st->st_mtim.tv_sec * 1000.0 + (double)st->st_mtim.tv_nsec / 1000000.0;
  slot[3] = (double)st->st_ino;
  slot[4] = (double)st->st_dev;
  slot[5] = (double)st->st_ctim.tv_sec * 1000.0 + (double)st->st_ctim.tv_nsec / 1000000.0;
  slot[6] = (double)st->st_blocks;
}

static napi_value stat_array(napi_env env, const struct stat *st) {
  napi_value buffer, array;
  double *slot;
  napi_create_arraybuffer(env, STAT_FIELDS * sizeof(double), (void **)&slot, &buffer);
  fill_stat(slot, st);
  napi_create_typedarray(env, napi_float64_array, STAT_FIELDS, buffer, 0, &array);
  return array;
}

// A new descriptor as a number, or the errno of the call that failed.
static napi_value fd_result(napi_env env, int fd, const char *syscall) {
  if (fd < 0) return throw_errno(env, errno, syscall);
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

// openat2 with RESOLVE_NO_XDEV: fails with EXDEV at a mount point, bind
// mounts of the same filesystem included (Linux 5.6 on; elsewhere ENOSYS).
static int open_within_mount(int dirfd, const char *name, int flags) {
  struct open_how how = {.flags = (unsigned long long)flags, .resolve = RESOLVE_NO_XDEV};
  return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
}

// openat(dirfd, name, flags, crossMounts) -> fd; O_CLOEXEC is always added.
// Without crossMounts, an entry that is a mount point is refused with EXDEV
// (where the kernel cannot tell, the caller compares st_dev).
static napi_value Openat(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int dirfd, flags;
  bool cross;
  char name[256];
  const char *usage = "openat(dirfd, name, flags, crossMounts)";
  if (!dir_and_name(env, info, 4, argv, &dirfd, name, usage, "openat")) return NULL;
  if (!get_fd(env, argv[2], &flags) || napi_get_value_bool(env, argv[3], &cross) != napi_ok) {
    return throw_type(env, usage);
  }
  flags |= O_CLOEXEC;
  if (!cross) {
    int fd = open_within_mount(dirfd, name, flags);
    // Without openat2 (a kernel before 5.6), st_dev checks remain.
    if (fd >= 0 || errno != ENOSYS) return fd_result(env, fd, "openat2");
  }
  return fd_result(env, openat(dirfd, name, flags), "openat");
}

// open(path, flags) -> fd: a trusted path from the configuration (its links
// are the operator's). O_CLOEXEC is always added.
static napi_value Open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int flags;
  void *data;
  size_t length;
  char path[4096];
  if (!get_args(env, info, 2, argv) || napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok ||
      !get_fd(env, argv[1], &flags)) {
    return throw_type(env, "open(path, flags)");
  }
  if (length == 0 || length >= sizeof path || memchr(data, '\0', length)) return throw_errno(env, EINVAL, "open");
  memcpy(path, data, length);
  path[length] = '\0';
  return fd_result(env, open(path, flags | O_CLOEXEC), "open");
}

// close(fd): for descriptors this addon opened (Node's fs tracks its own).
static napi_value Close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return throw_type(env, "close(fd)");
  if (close(fd) != 0) return throw_errno(env, errno, "close");
  return NULL;
}

// lstatat(dirfd, name) -> Float64Array [mode, size, mtimeMs, ino, dev, ctimeMs, blocks]
static napi_value Lstatat(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int dirfd;
  char name[256];
  struct stat st;
  if (!dir_and_name(env, info, 2, argv, &dirfd, name, "lstatat(dirfd, name)", "fstatat")) return NULL;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return throw_errno(env, errno, "fstatat");
  return stat_array(env, &st);
}

// fstat(fd) -> Float64Array [mode, size, mtimeMs, ino, dev, ctimeMs, blocks]
static napi_value Fstat(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  struct stat st;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return throw_type(env, "fstat(fd)");
  if (fstat(fd, &st) != 0) return throw_errno(env, errno, "fstat");
  return stat_array(env, &st);
}

// fstatvfs(fd) -> Float64Array [frsize, blocks, bfree, bavail, files, ffree]:
// the volume holding an open folder, as df sees it (by descriptor, so it is
// the folder the service works in, whatever its path points to by then).
static napi_value Fstatvfs(napi_env env, napi_callback_info info) {
  napi_value argv[1], buffer, result;
  int fd;
  struct statvfs st;
  void *data;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return throw_type(env, "fstatvfs(fd)");
  if (fstatvfs(fd, &st) != 0) return throw_errno(env, errno, "fstatvfs");
  napi_create_arraybuffer(env, 6 * sizeof(double), &data, &buffer);
  double *fields = data;
  fields[0] = (double)st.f_frsize;
  fields[1] = (double)st.f_blocks;
  fields[2] = (double)st.f_bfree;
  fields[3] = (double)st.f_bavail;
  fields[4] = (double)st.f_files;
  fields[5] = (double)st.f_ffree;
  napi_create_typedarray(env, napi_float64_array, 6, buffer, 0, &result);
  return result;
}

// inodeFlags(fd) -> the inode's flags (FS_IOC_GETFLAGS: append-only,
// immutable, ...), or -1 where the filesystem keeps none.
static napi_value InodeFlags(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_value result;
  int fd;
  int flags = 0;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return throw_type(env, "inodeFlags(fd)");
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
    if (errno != ENOTTY && errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS) return throw_errno(env, errno, "ioctl");
    flags = -1;
  }
  napi_create_int32(env, flags, &result);
  return result;
}

// unlinkat(dirfd, name, removeDirectory)
static napi_value Unlinkat(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int dirfd;
  bool directory;
  char name[256];
  const char *usage = "unlinkat(dirfd, name, removeDirectory)";
  if (!dir_and_name(env, info, 3, argv, &dirfd, name, usage, "unlinkat")) return NULL;
  if (napi_get_value_bool(env, argv[2], &directory) != napi_ok) return throw_type(env, usage);
  if (unlinkat(dirfd, name, directory ? AT_REMOVEDIR : 0) != 0) return throw_errno(env, errno, "unlinkat");
  return NULL;
}

// Whether an entry's stamps are still the judged ones [ino, size, mtimeMs, ctimeMs].
static bool same_stamps(const struct stat *st, const double judged[4]) {
  double now[STAT_FIELDS];
  fill_stat(now, st);
  return now[3] == judged[0] && now[1] == judged[1] && now[2] == judged[2] && now[5] == judged[3];
}

// Copies what an unlinked regular file holds, reopened through the O_PATH
// descriptor that kept it, to a new file `name` (never over another one).
// Returns 0, or the errno that stopped it.
static int restore_file(int dirfd, const char *name, int held, mode_t mode) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", held);
  int in = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (in < 0) return errno;
  int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
  int failure = out < 0 ? errno : 0;
  char *buffer = failure ? NULL : malloc(1 << 16);
  if (!failure && !buffer) failure = ENOMEM;
  while (!failure) {
    ssize_t got = read(in, buffer, 1 << 16);
    if (got == 0) break;
    if (got < 0) {
      if (errno != EINTR) failure = errno;
      continue;
    }
    for (ssize_t put = 0; put < got && !failure;) {
      ssize_t wrote = write(out, buffer + put, (size_t)(got - put));
      if (wrote >= 0) put += wrote;
      else if (errno != EINTR) failure = errno;
    }
  }
  if (!failure && fsync(out) != 0) failure = errno;
  free(buffer);
  if (out >= 0) close(out);
  close(in);
  return failure;
}

// unlinkatUnchanged(dirfd, name, ino, size, mtimeMs, ctimeMs) -> 0 once
// unlinked; 1 when the entry is no longer the one judged (another inode,
// size, mtime or ctime, read afresh just before the unlink), and nothing was
// unlinked; 2 when a regular file was written to between that look and its
// unlink: its content is then restored under its name; or -errno when that
// restore failed. The entry is held by an O_PATH descriptor across its
// unlink (which opens nothing: no read permission needed, no FIFO or device
// touched), so a write that landed while it was still linked is seen after.
static napi_value UnlinkatUnchanged(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int dirfd;
  char name[256];
  double judged[4];
  const char *usage = "unlinkatUnchanged(dirfd, name, ino, size, mtimeMs, ctimeMs)";
  if (!dir_and_name(env, info, 6, argv, &dirfd, name, usage, "unlinkat")) return NULL;
  for (int i = 0; i < 4; i++) {
    if (napi_get_value_double(env, argv[2 + i], &judged[i]) != napi_ok) return throw_type(env, usage);
  }
  int held = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (held < 0) return throw_errno(env, errno, "openat");
  struct stat before, after;
  int outcome = 0, failure = 0;
  const char *failed = NULL;
  if (fstat(held, &before) != 0) {
    failure = errno;
    failed = "fstat";
  } else if (S_ISDIR(before.st_mode) || !same_stamps(&before, judged)) {
    outcome = 1;
  } else if (unlinkat(dirfd, name, 0) != 0) {
    failure = errno;
    failed = "unlinkat";
  } else if (S_ISREG(before.st_mode) && fstat(held, &after) == 0 &&
             (after.st_size != before.st_size || after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
              after.st_mtim.tv_nsec != before.st_mtim.tv_nsec)) {
    // The unlink itself renews the ctime: only the size and mtime tell a write.
    int lost = restore_file(dirfd, name, held, before.st_mode);
    outcome = lost ? -lost : 2;
  }
  close(held);
  if (failed) return throw_errno(env, failure, failed);
  napi_value result;
  napi_create_int32(env, outcome, &result);
  return result;
}

struct growable {
  char *data;
  size_t length, capacity;
};

static int grow(struct growable *g, size_t more) {
  if (g->length + more <= g->capacity) return 1;
  size_t capacity = g->capacity ? g->capacity * 2 : 4096;
  while (capacity < g->length + more) capacity *= 2;
  char *data = realloc(g->data, capacity);
  if (!data) return 0;
  g->data = data;
  g->capacity = capacity;
  return 1;
}

// scan(dirfd, withStats) -> {names: Buffer (each name ends in NUL),
// directories: Uint8Array (1 for a folder), stats?: Float64Array (7 a name;
// when fstatat failed: mode 0 and its errno in the size field)}. The folder is
// read through a new open file description, so `dirfd` is not moved.
static napi_value Scan(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int dirfd;
  bool with_stats;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &dirfd) ||
      napi_get_value_bool(env, argv[1], &with_stats) != napi_ok) {
    return throw_type(env, "scan(dirfd, withStats)");
  }
  int own = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (own < 0) return throw_errno(env, errno, "openat");
  DIR *dir = fdopendir(own);
  if (!dir) {
    int code = errno;
    close(own);
    return throw_errno(env, code, "fdopendir");
  }
  struct growable names = {0}, kinds = {0}, stats = {0};
  size_t count = 0;
  int failure = 0;
  for (;;) {
    errno = 0;
    struct dirent *entry = readdir(dir);
    if (!entry) {
      failure = errno;
      break;
    }
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    size_t length = strlen(entry->d_name);
    struct stat st;
    int stated = 0, stat_error = 0;
    unsigned char type = entry->d_type;
    if (with_stats || type == DT_UNKNOWN) {
      stated = fstatat(dirfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (!stated) stat_error = errno;
    }
    if (type == DT_UNKNOWN && stated) type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
    if (!grow(&names, length + 1) || !grow(&kinds, 1) || (with_stats && !grow(&stats, STAT_FIELDS * sizeof(double)))) {
      failure = ENOMEM;
      break;
    }
    memcpy(names.data + names.length, entry->d_name, length + 1);
    names.length += length + 1;
    kinds.data[kinds.length++] = type == DT_DIR;
    if (with_stats) {
      double *slot = (double *)(stats.data + stats.length);
      if (stated) {
        fill_stat(slot, &st);
      } else {
        memset(slot, 0, STAT_FIELDS * sizeof(double));
        slot[1] = (double)stat_error;
      }
      stats.length += STAT_FIELDS * sizeof(double);
    }
    count += 1;
  }
  closedir(dir);
  napi_value result = NULL;
  if (failure) {
    throw_errno(env, failure, "readdir");
  } else {
    napi_value names_buffer, kinds_buffer, kinds_array;
    void *copy;
    napi_create_object(env, &result);
    napi_create_buffer_copy(env, names.length, names.data ? names.data : "", &copy, &names_buffer);
    napi_set_named_property(env, result, "names", names_buffer);
    napi_create_arraybuffer(env, kinds.length, &copy, &kinds_buffer);
    if (kinds.length) memcpy(copy, kinds.data, kinds.length);
    napi_create_typedarray(env, napi_uint8_array, kinds.length, kinds_buffer, 0, &kinds_array);
    napi_set_named_property(env, result, "directories", kinds_array);
    if (with_stats) {
      napi_value stats_buffer, stats_array;
      napi_create_arraybuffer(env, stats.length, &copy, &stats_buffer);
      if (stats.length) memcpy(copy, stats.data, stats.length);
      napi_create_typedarray(env, napi_float64_array, count * STAT_FIELDS, stats_buffer, 0, &stats_array);
      napi_set_named_property(env, result, "stats", stats_array);
    }
  }
  free(names.data);
  free(kinds.data);
  free(stats.data);
  return result;
}

// mkdirat(dirfd, name) then openat(dirfd, name, O_DIRECTORY|O_NOFOLLOW) -> fd,
// one right after the other: the folder made is opened (not a link put in
// its place) unless it is swapped within microseconds.
static napi_value MkdirOpenat(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int dirfd;
  char name[256];
  if (!dir_and_name(env, info, 2, argv, &dirfd, name, "mkdirOpenat(dirfd, name)", "mkdirat")) return NULL;
  if (mkdirat(dirfd, name, 0777) != 0) return throw_errno(env, errno, "mkdirat");
  return fd_result(env, openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), "openat");
}

// mountId(fd) -> the mount id of an open file or folder (statx STATX_MNT_ID,
// Linux 5.8 on), or -1 where the kernel does not give it.
static napi_value MountId(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int fd;
  struct statx stx;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return throw_type(env, "mountId(fd)");
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) != 0) return throw_errno(env, errno, "statx");
  napi_create_double(env, (stx.stx_mask & STATX_MNT_ID) ? (double)stx.stx_mnt_id : -1.0, &result);
  return result;
}

// Change notifications (inotify) on folders held open: the staging index
// (README "Speed, and how fresh a row is") reads them when it is asked, so
// that an unchanged tree costs no directory reads.

// inotifyInit() -> a non-blocking inotify descriptor.
static napi_value InotifyInit(napi_env env, napi_callback_info info) {
  (void)info;
  return fd_result(env, inotify_init1(IN_NONBLOCK | IN_CLOEXEC), "inotify_init1");
}

#define WATCH_MASK                                                                                         \
  (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE |          \
   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

// inotifyWatch(inotifyFd, dirfd) -> the watch descriptor of the folder open
// at dirfd: named through /proc/self/fd, so it is exactly the folder held,
// whatever its path names by now (no link in the tree is followed).
static napi_value InotifyWatch(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  int notify_fd, dirfd;
  char path[64];
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &notify_fd) || !get_fd(env, argv[1], &dirfd)) {
    return throw_type(env, "inotifyWatch(inotifyFd, dirfd)");
  }
  snprintf(path, sizeof path, "/proc/self/fd/%d", dirfd);
  int wd = inotify_add_watch(notify_fd, path, WATCH_MASK);
  if (wd < 0) return throw_errno(env, errno, "inotify_add_watch");
  napi_create_int32(env, wd, &result);
  return result;
}

// inotifyUnwatch(inotifyFd, wd): a watch already gone (its folder removed) is no error.
static napi_value InotifyUnwatch(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int notify_fd, wd;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &notify_fd) || !get_fd(env, argv[1], &wd)) {
    return throw_type(env, "inotifyUnwatch(inotifyFd, wd)");
  }
  if (inotify_rm_watch(notify_fd, wd) != 0 && errno != EINVAL) return throw_errno(env, errno, "inotify_rm_watch");
  return NULL;
}

// inotifyRead(inotifyFd) -> Int32Array [wd, mask, hasName, ...]: every event
// queued, until none is left. An overflow is wd -1 with IN_Q_OVERFLOW; a
// folder's own change (not of an entry in it) has hasName 0.
static napi_value InotifyRead(napi_env env, napi_callback_info info) {
  napi_value argv[1], buffer, result;
  int notify_fd;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &notify_fd)) return throw_type(env, "inotifyRead(inotifyFd)");
  size_t count = 0, capacity = 256;
  int32_t *events = malloc(capacity * 3 * sizeof(int32_t));
  if (!events) return throw_errno(env, ENOMEM, "malloc");
  char chunk[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t length = read(notify_fd, chunk, sizeof chunk);
    if (length < 0 && errno == EINTR) continue;
    if (length < 0 && errno == EAGAIN) break;
    if (length <= 0) {
      int code = length < 0 ? errno : EIO;
      free(events);
      return throw_errno(env, code, "read");
    }
    for (char *at = chunk; at < chunk + length;) {
      const struct inotify_event *event = (const struct inotify_event *)at;
      if (count == capacity) {
        capacity *= 2;
        int32_t *grown = realloc(events, capacity * 3 * sizeof(int32_t));
        if (!grown) {
          free(events);
          return throw_errno(env, ENOMEM, "realloc");
        }
        events = grown;
      }
      events[count * 3] = event->wd;
      events[count * 3 + 1] = (int32_t)event->mask;
      events[count * 3 + 2] = event->len > 0 && event->name[0] != '\0';
      count += 1;
      at += sizeof(struct inotify_event) + event->len;
    }
  }
  void *data;
  napi_create_arraybuffer(env, count * 3 * sizeof(int32_t), &data, &buffer);
  if (count) memcpy(data, events, count * 3 * sizeof(int32_t));
  free(events);
  napi_create_typedarray(env, napi_int32_array, count * 3, buffer, 0, &result);
  return result;
}

static void export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  export_function(env, exports, "open", Open);
  export_function(env, exports, "close", Close);
  export_function(env, exports, "openat", Openat);
  export_function(env, exports, "lstatat", Lstatat);
  export_function(env, exports, "fstat", Fstat);
  export_function(env, exports, "unlinkat", Unlinkat);
  export_function(env, exports, "unlinkatUnchanged", UnlinkatUnchanged);
  export_function(env, exports, "scan", Scan);
  export_function(env, exports, "inodeFlags", InodeFlags);
  export_function(env, exports, "fstatvfs", Fstatvfs);
  export_function(env, exports, "mkdirOpenat", MkdirOpenat);
  export_function(env, exports, "mountId", MountId);
  export_function(env, exports, "inotifyInit", InotifyInit);
  export_function(env, exports, "inotifyWatch", InotifyWatch);
  export_function(env, exports, "inotifyUnwatch", InotifyUnwatch);
  export_function(env, exports, "inotifyRead", InotifyRead);
  return exports;
}

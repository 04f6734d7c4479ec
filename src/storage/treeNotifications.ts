// The kernel's change notifications (inotify) on folders of the staging tree,
// read when asked rather than as they come: the index (service/stagingIndex.ts)
// drains them before each answer, so that a change made before a request is
// always seen by it, and an unchanged tree costs one read() that finds nothing.
// Each folder is watched through the descriptor the walk holds, so the watch
// is on that very folder, whatever its path names by then.
import { errorCode, type DirHandle } from './dirHandle.ts';
import { nativeAt } from './nativeAt.ts';

// <sys/inotify.h>
const IN_IGNORED = 0x8000;
const IN_Q_OVERFLOW = 0x4000;

export interface Notification {
  wd: number;
  // A change of the folder itself (its permissions, its removal), not of an entry in it.
  self: boolean;
  // The watch is gone (its folder removed, or its filesystem unmounted).
  ended: boolean;
}

export interface Drained {
  notifications: Notification[];
  // The kernel's queue overflowed: some changes are not among them.
  overflowed: boolean;
}

export class TreeNotifications {
  private constructor(private readonly fd: number) {}

  // Notifications, or why there are none (inotify_init1 refused: its
  // max_user_instances reached, or a kernel without inotify).
  static open(): TreeNotifications | { unavailable: string } {
    try {
      return new TreeNotifications(nativeAt.inotifyInit());
    } catch (error) {
      return { unavailable: `inotify cannot be started (${errorCode(error)})` };
    }
  }

  // The watch of the folder, or 'limit' when the user's max_user_watches is
  // reached (ENOSPC); other failures throw.
  watch(folder: DirHandle): number | 'limit' {
    try {
      return nativeAt.inotifyWatch(this.fd, folder.fd);
    } catch (error) {
      if (errorCode(error) === 'ENOSPC') return 'limit';
      throw error;
    }
  }

  unwatch(wd: number): void {
    nativeAt.inotifyUnwatch(this.fd, wd);
  }

  drain(): Drained {
    const events = nativeAt.inotifyRead(this.fd);
    const notifications: Notification[] = [];
    let overflowed = false;
    for (let at = 0; at < events.length; at += 3) {
      const wd = events[at] as number;
      const mask = events[at + 1] as number;
      if (wd === -1) {
        overflowed ||= (mask & IN_Q_OVERFLOW) !== 0;
        continue;
      }
      notifications.push({ wd, self: events[at + 2] === 0, ended: (mask & IN_IGNORED) !== 0 });
    }
    return { notifications, overflowed };
  }

  close(): void {
    nativeAt.close(this.fd);
  }
}

// The user and group this process runs as: what file permissions must allow
// (-1 where the platform has none).
export function runsAs(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
}

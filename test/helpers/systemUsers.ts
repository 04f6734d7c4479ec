// Real users and groups for deployment tests (useradd, groupadd), named
// uniquely per test process, and removed again.
import { execFileSync } from 'node:child_process';

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
  // A command prefix that runs what follows as this user, with its groups.
  asUser: string[];
}

const idOf = (flag: '-u' | '-g', name: string): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());

export function systemName(role: string): string {
  return `sc${process.pid.toString(36)}${role}`.slice(0, 30);
}

export function addGroup(name: string): void {
  execFileSync('groupadd', ['--system', name]);
}

export function addUser(name: string, groups: readonly string[] = []): SystemUser {
  execFileSync('useradd', [
    '--system',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    '--user-group',
    ...(groups.length > 0 ? ['--groups', groups.join(',')] : []),
    name,
  ]);
  const [uid, gid] = [idOf('-u', name), idOf('-g', name)];
  return { name, uid, gid, asUser: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--'] };
}

// Removes what was added (a user's own group goes with it); missing ones
// (never made, or removed with their user) are fine.
export function removeUsersAndGroups(users: readonly string[], groups: readonly string[]): void {
  const quietly = (command: string, name: string): void => {
    try {
      execFileSync(command, [name], { stdio: 'ignore' });
    } catch {
      // Not there.
    }
  };
  for (const name of users) quietly('userdel', name);
  for (const name of groups) quietly('groupdel', name);
}

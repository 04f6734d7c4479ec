// An attacker with write access to the staging tree, as a process of its own
// (plain JavaScript: it runs under any Node without a loader). Once a
// deletion has begun (one of the sentinel files is gone), it keeps swapping,
// in turn, each target folder for a symbolic link to its canary twin (a tree
// of the same names and mtimes outside the staging root) for about a
// millisecond, then swaps the real folder back (and leaves it there for
// restMs, 0 unless given). It stops when the stop file appears, leaves every
// target as it was, and prints how many swaps it made.
//
// argv[2]: JSON {targets: [{path, canary}], sentinels: [path], stopFile, restMs?}
import fs from 'node:fs';

const { targets, sentinels, stopFile, restMs = 0 } = JSON.parse(process.argv[2]);
const pause = new Int32Array(new SharedArrayBuffer(4));
const sleepMs = (ms) => Atomics.wait(pause, 0, 0, ms);
const stopped = () => fs.existsSync(stopFile);

while (!stopped() && sentinels.every((file) => fs.existsSync(file))) sleepMs(0.2);

let swaps = 0;
while (!stopped()) {
  for (const { path, canary } of targets) {
    const aside = `${path}.racer-aside`;
    try {
      fs.renameSync(path, aside);
    } catch {
      continue; // already gone: the deletion reached it
    }
    try {
      fs.symlinkSync(canary, path);
      sleepMs(1);
      fs.unlinkSync(path);
    } catch {
      // the deletion removed our link: put the folder back all the same
    }
    fs.renameSync(aside, path);
    swaps += 1;
    if (restMs > 0) sleepMs(restMs);
  }
}
process.stdout.write(`${swaps}\n`);

// An attacker with write access to the staging tree, as a process of its own
// (plain JavaScript: it runs under any Node without a loader), going for a
// run's lock folder. As fast as it can until the stop file appears: a lock
// folder at the name is moved aside, a symbolic link to the canary folder
// (outside the staging root) stands in for it for about a millisecond, and
// the folder is moved back (or, when a new lock took the name meanwhile,
// removed); with no lock there, the link is planted for a millisecond all
// the same. Between rounds it pauses two milliseconds, so that clears also
// meet the name free. Prints how many held locks it swapped and how many
// links it planted on a free name.
//
// argv[2]: JSON {lock, canary, stopFile}
import fs from 'node:fs';

const { lock, canary, stopFile } = JSON.parse(process.argv[2]);
const pause = new Int32Array(new SharedArrayBuffer(4));
const sleepMs = (ms) => Atomics.wait(pause, 0, 0, ms);
const aside = `${lock}.racer-aside`;

const standIn = () => {
  try {
    fs.symlinkSync(canary, lock);
  } catch {
    return false; // a lock took the name first
  }
  sleepMs(1);
  fs.unlinkSync(lock);
  return true;
};

let swaps = 0;
let plants = 0;
while (!fs.existsSync(stopFile)) {
  let moved = true;
  try {
    fs.renameSync(lock, aside);
  } catch {
    moved = false;
  }
  const stood = standIn();
  if (moved) {
    try {
      fs.renameSync(aside, lock);
    } catch {
      fs.rmSync(aside, { recursive: true, force: true });
    }
    swaps += 1;
  } else if (stood) plants += 1;
  sleepMs(2);
}
process.stdout.write(`${JSON.stringify({ swaps, plants })}\n`);

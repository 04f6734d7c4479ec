// A writer that keeps writing into a run while it is cleared, as an
// instrument PC or a copy job would, as a process of its own (plain
// JavaScript: it runs under any Node without a loader). Once a deletion has
// begun (one of the sentinel files is gone), it appends a marker to every
// file of the run once, in random order, opening each by path without
// creating it. Then it prints, as JSON, the files whose append landed in a
// file still linked once written (`written`: a clear must keep each of
// them), how many were gone before it came (`gone`), and how many it had
// opened just before their unlink, so that the append went with the unlinked
// inode (`intoUnlinked`: the writer can tell, nlink 0; as with rm).
//
// argv[2]: a JSON file {files: [path], sentinels: [path], marker}
import fs from 'node:fs';

const { files, sentinels, marker } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const pause = new Int32Array(new SharedArrayBuffer(4));
const deadline = Date.now() + 60_000;
while (Date.now() < deadline && sentinels.every((file) => fs.existsSync(file))) Atomics.wait(pause, 0, 0, 0.2);

const order = [...files];
for (let i = order.length - 1; i > 0; i -= 1) {
  const j = Math.floor(Math.random() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const written = [];
let gone = 0;
let intoUnlinked = 0;
const { O_WRONLY, O_APPEND, O_NOFOLLOW } = fs.constants;
for (const file of order) {
  let fd;
  try {
    fd = fs.openSync(file, O_WRONLY | O_APPEND | O_NOFOLLOW);
  } catch {
    gone += 1;
    continue;
  }
  try {
    fs.writeSync(fd, marker);
    if (fs.fstatSync(fd).nlink > 0) written.push(file);
    else intoUnlinked += 1;
  } finally {
    fs.closeSync(fd);
  }
}
process.stdout.write(JSON.stringify({ written, gone, intoUnlinked }));

// Whole-file reads and writes on WASI's file system: the component's working directory is its
// one preopened directory, `/`, and file settings arrive as absolute paths inside it.

import { getDirectories } from "wasi:filesystem/preopens@0.2.12";

const CHUNK = 1n << 20n;

/** A file-system failure, with WASI's error code (`no-entry`, `access`, ...) as `code`. */
export class FileError extends Error {
  constructor(path, code) {
    super(code === "no-entry" ? "no such file" : `cannot be used (${code})`);
    this.path = path;
    this.code = code;
  }
}

function open(path, openFlags, descriptorFlags) {
  const [root] = getDirectories().find(([, name]) => name === "/") ?? [];
  if (!root) throw new FileError(path, "no working directory");
  try {
    return root.openAt({}, path.replace(/^\/+/, ""), openFlags, descriptorFlags);
  } catch (e) {
    throw new FileError(path, e.payload ?? String(e));
  }
}

/** The bytes of the file at `path`. */
export function readFile(path) {
  const file = open(path, {}, { read: true });
  const chunks = [];
  let offset = 0n;
  try {
    for (;;) {
      const [bytes, end] = file.read(CHUNK, offset);
      chunks.push(bytes);
      offset += BigInt(bytes.length);
      if (end || bytes.length === 0) break;
    }
  } catch (e) {
    throw new FileError(path, e.payload ?? String(e));
  }
  const whole = new Uint8Array(Number(offset));
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.length;
  }
  return whole;
}

/** Creates or replaces the file at `path` with `text`, UTF-8 encoded. */
export function writeFile(path, text) {
  const file = open(path, { create: true, truncate: true }, { write: true });
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  try {
    while (offset < bytes.length) {
      offset += Number(file.write(bytes.subarray(offset), BigInt(offset)));
    }
  } catch (e) {
    throw new FileError(path, e.payload ?? String(e));
  }
}

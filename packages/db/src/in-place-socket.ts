import net from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Reads the bytes `data[start..end]` the socket just read, in place (the buffer is read into
 * again once it returns); false pauses the socket until `resume()`.
 */
export type InPlaceReader = (data: Buffer, start: number, end: number) => boolean;

const readers = new WeakMap<net.Socket, InPlaceReader>();
const inPlaceSockets = new WeakSet<net.Socket>();
/** Bytes a read takes at most: what Node's own socket reads allocate. */
const readBytes = 64 * 1024;

/**
 * A database connection's socket that reads into one buffer of its own. The driver gets each
 * read as a 'data' event with a copy, as from any socket; but while an in-place reader is
 * attached (`readInPlace`), reads go to it without a copy. A COPY of a whole table out then
 * leaves no buffer behind per read: Node's own sockets allocate one per read, and V8 frees
 * them only when tens of megabytes have piled up (the open-data cut reads a gigabyte a day).
 * TLS connections read through the TLS socket and keep Node's usual one.
 */
export function inPlaceSocket(): net.Socket {
  const buffer = Buffer.allocUnsafe(readBytes);
  // `onread` is a Socket option since Node 12 (lib/net.js); the types list it for connect() only.
  const socket: net.Socket = new net.Socket({
    onread: {
      buffer,
      callback: (bytes: number) => {
        const reader = readers.get(socket);
        if (reader) return reader(buffer, 0, bytes);
        socket.emit('data', Buffer.from(buffer.subarray(0, bytes)));
        return true;
      },
    },
  } as net.SocketConstructorOpts);
  inPlaceSockets.add(socket);
  return socket;
}

/** Whether `socket` can be read in place (an `inPlaceSocket`). */
export function readsInPlace(socket: unknown): socket is net.Socket {
  return socket instanceof net.Socket && inPlaceSockets.has(socket);
}

/** Sends `socket`'s reads to `reader` from now on, or (undefined) back to its 'data' listeners. */
export function readInPlace(socket: net.Socket, reader: InPlaceReader | undefined): void {
  if (reader) readers.set(socket, reader);
  else readers.delete(socket);
}

/**
 * pg's `stream` option: a connection's socket, read in place unless TLS reads it. pg calls it
 * with the connection's settings (its types declare no argument).
 */
export const connectionStream = ((settings: { ssl?: unknown }) =>
  settings.ssl ? new net.Socket() : inPlaceSocket()) as unknown as () => Duplex;

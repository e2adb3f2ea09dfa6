import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * What is compressed: JSON answers (the API, problems, GraphQL, the OpenAPI document) and text
 * (the YAML document, the documentation pages). Never NDJSON or event streams, which a client
 * reads as they arrive and a compressor would hold back, nor PDFs and images, compressed already.
 * Types this does not name fall back to the MIME database's word (`application/pdf`: no).
 */
export const compressibleTypes = /^application\/(?:[\w.-]+\+)?json(?:;|$)|^text\/(?!event-stream)/;

/** Below this an answer is sent as it is: the headers and the work outweigh the bytes saved. */
export const compressionThresholdBytes = 1024;

/**
 * Answers compressed with brotli or gzip when the client accepts them (`Content-Encoding`,
 * `Vary: Accept-Encoding`). Signed reports keep their signature: it covers the canonical JSON of
 * the report, which decoding gives back byte for byte. Request bodies are not decompressed: a
 * compressed body would be inflated past the body limits before they are checked.
 */
async function compressionPlugin(app: FastifyInstance) {
  await app.register(compress, {
    global: true,
    globalDecompression: false,
    encodings: ['br', 'gzip'],
    threshold: compressionThresholdBytes,
    customTypes: compressibleTypes,
  });
}

export default fp(compressionPlugin, { name: 'credit-compression' });

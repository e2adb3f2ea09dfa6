import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateKeyMaterial, type KeyMaterial } from './keyring.ts';

interface KeyFile {
  blindIndexKey: { id: string; key: string };
  encryptionKeys: { id: string; key: string }[];
  createdAt: string;
}

/**
 * For the embedded default only: keys live in a file under DATA_DIR, created with mode 0600 on
 * first start, so a local platform keeps reading its own data across restarts.
 */
export async function loadOrCreateKeyFile(
  path: string,
): Promise<{ material: KeyMaterial; created: boolean }> {
  try {
    const file = JSON.parse(await readFile(path, 'utf8')) as KeyFile;
    return {
      created: false,
      material: {
        blindIndexKey: { id: file.blindIndexKey.id, key: Buffer.from(file.blindIndexKey.key, 'base64') },
        encryptionKeys: file.encryptionKeys.map(({ id, key }) => ({ id, key: Buffer.from(key, 'base64') })),
      },
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const material = generateKeyMaterial();
  const file: KeyFile = {
    blindIndexKey: { id: material.blindIndexKey.id, key: material.blindIndexKey.key.toString('base64') },
    encryptionKeys: material.encryptionKeys.map(({ id, key }) => ({ id, key: key.toString('base64') })),
    createdAt: new Date().toISOString(),
  };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { material, created: true };
}

/** Parses `ENCRYPTION_KEYS` ("k2:<base64>,k1:<base64>", active first) and `BLIND_INDEX_KEY` ("bi1:<base64>"). */
export function parseKeyEnvironment(blindIndexKey: string, encryptionKeys: string): KeyMaterial {
  const parsePair = (pair: string, variable: string) => {
    const [id, key] = pair.trim().split(':');
    if (!id || !key) throw new Error(`${variable}: expected id:base64key, got '${pair.slice(0, 6)}…'`);
    return { id, key: Buffer.from(key, 'base64') };
  };
  return {
    blindIndexKey: parsePair(blindIndexKey, 'BLIND_INDEX_KEY'),
    encryptionKeys: encryptionKeys.split(',').map((pair) => parsePair(pair, 'ENCRYPTION_KEYS')),
  };
}

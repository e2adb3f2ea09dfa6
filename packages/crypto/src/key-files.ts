import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { generateKeyMaterial, type KeyMaterial } from './keyring.ts';

interface KeyFile {
  blindIndexKey: { id: string; key: string };
  encryptionKeys: { id: string; key: string }[];
  createdAt: string;
}

/** Where the embedded default keeps its keys. */
export function keyFilePath(dataDir: string): string {
  return join(dataDir, 'keys', 'platform-keys.json');
}

function materialOf(file: KeyFile): KeyMaterial {
  return {
    blindIndexKey: { id: file.blindIndexKey.id, key: Buffer.from(file.blindIndexKey.key, 'base64') },
    encryptionKeys: file.encryptionKeys.map(({ id, key }) => ({ id, key: Buffer.from(key, 'base64') })),
  };
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
    return { created: false, material: materialOf(file) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const material = generateKeyMaterial();
  await writeKeyFile(path, material, 'wx');
  return { material, created: true };
}

/** Writes key material in the key file's format (mode 0600), e.g. to move keys from the environment. */
export async function writeKeyFile(
  path: string,
  material: KeyMaterial,
  flag: 'w' | 'wx' = 'w',
): Promise<void> {
  const file: KeyFile = {
    blindIndexKey: { id: material.blindIndexKey.id, key: material.blindIndexKey.key.toString('base64') },
    encryptionKeys: material.encryptionKeys.map(({ id, key }) => ({ id, key: key.toString('base64') })),
    createdAt: new Date().toISOString(),
  };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag });
  await chmod(path, 0o600);
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

/**
 * A key id that cannot collide with a retired one still named by an old backup: the date it was
 * made and a random suffix (`k20260315-9f3a`).
 */
export function newEncryptionKeyId(now: Date = new Date()): string {
  return `k${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(2).toString('hex')}`;
}

/** Writes the whole file anew beside the old one and renames it over: never half a key file. */
async function replaceKeyFile(path: string, file: KeyFile): Promise<void> {
  const next = `${path}.${process.pid}.next`;
  await writeFile(next, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(next, 0o600);
  await rename(next, path);
}

/**
 * Key rotation in the key file: puts a fresh data-encryption key first (active for every new
 * encryption) and keeps the others for reading what they encrypted. Returns the new material.
 */
export async function introduceEncryptionKey(path: string, now: Date = new Date()): Promise<KeyMaterial> {
  const file = JSON.parse(await readFile(path, 'utf8')) as KeyFile;
  const id = newEncryptionKeyId(now);
  file.encryptionKeys = [{ id, key: randomBytes(32).toString('base64') }, ...file.encryptionKeys];
  await replaceKeyFile(path, file);
  return materialOf(file);
}

/** Destroys the given keys (never the active one): whatever they still encrypted is lost with them. */
export async function retireEncryptionKeys(path: string, ids: readonly string[]): Promise<KeyMaterial> {
  const file = JSON.parse(await readFile(path, 'utf8')) as KeyFile;
  if (ids.includes(file.encryptionKeys[0]?.id ?? '')) throw new Error('the active key cannot be retired');
  file.encryptionKeys = file.encryptionKeys.filter((k) => !ids.includes(k.id));
  await replaceKeyFile(path, file);
  return materialOf(file);
}

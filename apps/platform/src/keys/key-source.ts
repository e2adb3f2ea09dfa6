import { access } from 'node:fs/promises';
import type { BaseEnvironment } from '@credit/config';
import {
  introduceEncryptionKey,
  type KeyMaterial,
  keyFilePath,
  loadOrCreateKeyFile,
  parseKeyEnvironment,
  retireEncryptionKeys,
} from '@credit/crypto';
import { CommandError } from '../cli-support/command.ts';

/**
 * Where a process's keys come from, as the rotation command sees it. The key file under DATA_DIR
 * can be changed by the command itself; keys from the environment are the operator's to change
 * (a secret store, a deployment), so for them the command only says what to change.
 */
export type KeySource =
  | { kind: 'environment'; material: KeyMaterial }
  | {
      kind: 'file';
      path: string;
      material: KeyMaterial;
      introduce(now: Date): Promise<KeyMaterial>;
      retire(ids: readonly string[]): Promise<KeyMaterial>;
    };

export function keyFileSource(path: string, material: KeyMaterial): KeySource {
  return {
    kind: 'file',
    path,
    material,
    introduce: (now) => introduceEncryptionKey(path, now),
    retire: (ids) => retireEncryptionKeys(path, ids),
  };
}

export async function keySourceOf(env: BaseEnvironment): Promise<KeySource> {
  if (env.BLIND_INDEX_KEY && env.ENCRYPTION_KEYS)
    return { kind: 'environment', material: parseKeyEnvironment(env.BLIND_INDEX_KEY, env.ENCRYPTION_KEYS) };
  const path = keyFilePath(env.DATA_DIR);
  // Generating keys here would only make a keyring that opens nothing.
  await access(path).catch(() => {
    throw new CommandError(`no keys to rotate: neither ENCRYPTION_KEYS nor ${path} is there`);
  });
  return keyFileSource(path, (await loadOrCreateKeyFile(path)).material);
}

export { canonicalJson } from './canonical-json.ts';
export {
  chainHash,
  commitmentOfCanonical,
  contentCommitment,
  fingerprint,
  genesisHash,
  hashLength,
  newSalt,
  sha256,
} from './hashing.ts';
export { base32, idFromDigest, newId } from './ids.ts';
export {
  introduceEncryptionKey,
  keyFilePath,
  loadOrCreateKeyFile,
  newEncryptionKeyId,
  parseKeyEnvironment,
  retireEncryptionKeys,
  writeKeyFile,
} from './key-files.ts';
export {
  createKeyring,
  generateKeyMaterial,
  identityAad,
  type KeyMaterial,
  type Keyring,
  openSigningSecret,
  sealSigningSecret,
  signingSecretAad,
} from './keyring.ts';
export {
  type DetachedVerification,
  loadOrCreateSigner,
  type PlatformSigner,
  platformIssuer,
  signerFromJwk,
  verifyDetachedWith,
} from './signer.ts';

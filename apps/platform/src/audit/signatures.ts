import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

/** Checks a detached compact JWS over `payload` against a published key set and JWS `typ`. */
export function detachedVerifier(jwks: JSONWebKeySet) {
  const keys = createLocalJWKSet(jwks);
  return async (payload: string, signature: string, typ: string): Promise<boolean> => {
    const [header, detached, sig] = signature.split('.');
    if (header === undefined || detached !== '' || sig === undefined) return false;
    try {
      const { protectedHeader } = await compactVerify(
        `${header}.${Buffer.from(payload, 'utf8').toString('base64url')}.${sig}`,
        keys,
      );
      return protectedHeader.typ === typ;
    } catch {
      return false;
    }
  };
}

/**
 * Google Cloud: the metadata server's instance identity token, a JWT signed by Google
 * (RS256, issuer https://accounts.google.com) for the audience we name; `format=full` adds
 * the google.compute_engine claims (project, zone, instance id and name). The broker checks
 * it against Google's JWKS like any other attestation JWT.
 */
import { metadataGet, type MetadataFetchOptions } from './metadata-http.js';

export async function fetchGcpIdentityToken(options: MetadataFetchOptions & { audience: string }): Promise<string> {
  const query = new URLSearchParams({ audience: options.audience, format: 'full' });
  const path = `/computeMetadata/v1/instance/service-accounts/default/identity?${query}`;
  const jwt = (await metadataGet(path, { headers: { 'Metadata-Flavor': 'Google' } }, options)).trim();
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jwt)) throw new Error('the identity answer is not a compact JWT');
  return jwt;
}

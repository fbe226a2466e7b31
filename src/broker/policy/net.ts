/**
 * What the cidr operator takes from node:net. net.browser.ts stands in for it in the
 * console's bundle, where policies are only validated (parseCidr), never evaluated.
 */
export { BlockList, isIP } from 'node:net';

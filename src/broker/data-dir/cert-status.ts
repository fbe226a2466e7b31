/**
 * How long the broker's certificates have left (GET /v1/health `certificate`, and the
 * warning `broker serve` prints): the server certificate (`broker cert renew` makes a new
 * one) and the CA agents pin. A warning once either expires within 30 days.
 */
import { certificateNotAfter } from './tls.js';

const DAY = 86_400_000;
export const WARN_DAYS = 30;

/** The expiry dates of the certificates a broker serves with; replaced when it reloads them. */
export interface CertificateDates {
  server: Date;
  ca: Date;
}

export interface CertificateStatus {
  server: { notAfter: string; daysLeft: number };
  ca: { notAfter: string; daysLeft: number };
  /** One line per certificate that expires within 30 days (or has expired). */
  warnings: string[];
}

export function certificateDates(serverPem: string, caPem: string): CertificateDates {
  return { server: certificateNotAfter(serverPem), ca: certificateNotAfter(caPem) };
}

export function certificateStatus(dates: CertificateDates, now: Date): CertificateStatus {
  const one = (d: Date) => ({ notAfter: d.toISOString(), daysLeft: Math.floor((d.getTime() - now.getTime()) / DAY) });
  const server = one(dates.server);
  const ca = one(dates.ca);
  const warnings: string[] = [];
  const warn = (what: string, c: { notAfter: string; daysLeft: number }, fix: string) => {
    if (c.daysLeft < 0) warnings.push(`the ${what} expired on ${c.notAfter}: ${fix}`);
    else if (c.daysLeft < WARN_DAYS) warnings.push(`the ${what} expires in ${c.daysLeft} days (${c.notAfter}): ${fix}`);
  };
  warn('server certificate', server, 'run `sectorcrypt broker cert renew --data DIR`, then send the broker SIGHUP or restart it');
  warn('broker CA certificate', ca, 'agents pin it; make a new broker CA and give it to every agent before then');
  return { server, ca, warnings };
}

/**
 * Who a request acts as: the subject of a verified token and its role. The four roles are the
 * callers of the edge (docs/security.md): a `user` acts only as itself, a `taxi` is a driver's app
 * acting as its taxi, a `service` is a producer acting for many users (the video position service,
 * a CDC connector), an `admin` reads the process's metrics and the ops routes.
 */
export const ROLES = ['user', 'taxi', 'service', 'admin'] as const;

export type Role = (typeof ROLES)[number];

export interface Principal {
  readonly sub: string;
  readonly role: Role;
}

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

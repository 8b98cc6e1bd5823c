/** First start: create user `admin` (root_admin) unless any user exists. Never a fixed default password. */
import { ROOT_TENANT } from '../store/index.js';
import { generatePassword } from './password.js';
import type { UsersRepo } from './users.js';

export const ADMIN_PASSWORD_ENV = 'INSPECTOR_CONNECTOR_ADMIN_PASSWORD';

export interface EnsureAdminResult {
  created: boolean;
  /** Set only when the password was generated (the caller prints it once). */
  generatedPassword?: string;
}

export async function ensureAdmin(users: UsersRepo, env: NodeJS.ProcessEnv): Promise<EnsureAdminResult> {
  if (users.count() > 0) return { created: false };
  const fromEnv = env[ADMIN_PASSWORD_ENV];
  const password = fromEnv !== undefined && fromEnv !== '' ? fromEnv : generatePassword();
  // The rules of src/auth/password.ts apply to a chosen password too; the error names where it came from.
  await users.create(
    { username: 'admin', password, role: 'root_admin', tenantId: ROOT_TENANT.id },
    fromEnv ? { field: ADMIN_PASSWORD_ENV, label: 'password' } : {},
  );
  return fromEnv ? { created: true } : { created: true, generatedPassword: password };
}

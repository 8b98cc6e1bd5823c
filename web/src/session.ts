// The signed-in session (user and /meta), provided by App and read by the pages: a module of its
// own so that the pages do not import App (which imports them).
import { createContext, useContext } from 'react';
import type { Meta, User } from './api.js';

export interface Session {
  user: User;
  meta: Meta;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside of a session');
  return s;
}

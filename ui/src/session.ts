/** Who the dashboard speaks as: the signed-in key, or none on this machine in protected mode. */
import { createContext } from 'preact';
import type { SessionKeys } from './api-client.js';
import { useContext } from 'preact/hooks';

export interface Session {
  keys: SessionKeys;
  /** The reader's locale, for every number and date. */
  locale: string;
  signOut: () => void;
}

export const SessionContext = createContext<Session>({
  keys: { admin: null, client: null },
  locale: 'en-US',
  signOut: () => {},
});

export function useSession(): Session {
  return useContext(SessionContext);
}

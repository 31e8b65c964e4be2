/** Who the dashboard speaks as: the signed-in key, or none on this machine in protected mode. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface Session {
  key: string | null;
  /** The reader's locale, for every number and date. */
  locale: string;
  signOut: () => void;
}

export const SessionContext = createContext<Session>({ key: null, locale: 'en-US', signOut: () => {} });

export function useSession(): Session {
  return useContext(SessionContext);
}
